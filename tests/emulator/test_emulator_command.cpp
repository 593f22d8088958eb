// `opencloser emulator` as a user runs it (cli.md §8.1): a separate process that prints where it
// listens and the synthetic credentials, serves over loopback until SIGINT, then writes the
// state dump and exits 0; a bad seed, a bad faults file or a non-loopback host exits 2 with a
// one-line error naming the problem.

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>

#include <string>
#include <vector>

#include "tests/emulator/http_test_client.hpp"
#include "tests/unit/test_support.hpp"

extern char** environ;

using namespace opencloser;
using namespace opencloser::emulator::http_testing;
using Catch::Contains;

namespace {

/// The emulator process with its stdout and stderr on pipes.
class emulator_process {
 public:
  explicit emulator_process(std::vector<std::string> args) {
    args.insert(args.begin(), {OPENCLOSER_EXE, "emulator"});
    REQUIRE(::pipe(out_) == 0);
    REQUIRE(::pipe(err_) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_[1], 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, OPENCLOSER_EXE, &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out_[1]);
    ::close(err_[1]);
  }
  ~emulator_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_[0]);
    ::close(err_[0]);
  }

  /// One line of stdout (without LF); "" at end of stream.
  std::string line() {
    std::string text;
    char c;
    while (::read(out_[0], &c, 1) == 1 && c != '\n') text.push_back(c);
    return text;
  }
  std::string rest_of_stderr() {
    std::string text;
    char buf[256];
    for (ssize_t n; (n = ::read(err_[0], buf, sizeof buf)) > 0;) text.append(buf, n);
    return text;
  }
  void signal(int sig) { ::kill(pid_, sig); }
  int wait_exit_code() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int out_[2]{};
  int err_[2]{};
};

std::string value_after(const std::string& line, const std::string& prefix) {
  REQUIRE(line.starts_with(prefix));
  return line.substr(prefix.size());
}

}  // namespace

TEST_CASE("opencloser emulator serves until SIGINT, then writes the state dump and exits 0",
          "[emulator-command]") {
  testing::temp_dir dir;
  const auto dump = (dir.path / "state.json").string();
  emulator_process emu({"--seed", testing::fixture("emulator/demo_seed.json").string(), "--port",
                        "0", "--state-dump", dump});
  const auto listening = emu.line();
  const auto origin = value_after(listening, "listening:             ");
  CHECK(origin.starts_with("http://127.0.0.1:"));
  CHECK(emu.line() == "DATAVERSE_ENV_URL=" + origin);
  CHECK(emu.line() == "OPENCLOSER_DATAVERSE_AUTHORITY_HOST=" + origin);
  const auto tenant = value_after(emu.line(), "DATAVERSE_TENANT_ID=");
  const auto client = value_after(emu.line(), "DATAVERSE_CLIENT_ID=");
  CHECK(tenant == "7d3c1b7e-0000-4000-8000-00000000a001");
  CHECK(client == "c0ffee00-0000-4000-8000-000000000001");

  const auto port = static_cast<std::uint16_t>(std::stoi(origin.substr(origin.rfind(':') + 1)));
  http_connection connection(port);
  const auto token = request_token(connection, origin, {tenant, client, "emu-secret"});
  REQUIRE(token.status == 200);
  const auto bearer = "Bearer " + token.json().find("access_token")->as_string();
  const auto created = connection.request(
      "POST", "/api/data/v9.2/tasks",
      {{"Authorization", bearer}, {"Content-Type", "application/json; charset=utf-8"}},
      R"({"subject": "made by the CLI test", "acme_idemkey": "cli-test"})");
  CHECK(created.status == 204);

  emu.signal(SIGINT);
  CHECK(emu.wait_exit_code() == 0);
  const auto state = json::parse(testing::read_file(dump));
  CHECK(state.find("schema_version")->as_string() == "opencloser-emulator-state-v1");
  const auto& tasks = state.find("tables")->find("task")->as_array();
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].find("subject")->as_string() == "made by the CLI test");
  // The secret is never printed or dumped.
  CHECK(testing::read_file(dump).find("emu-secret") == std::string::npos);
}

TEST_CASE("opencloser emulator refuses bad input with exit 2 and a one-line error",
          "[emulator-command]") {
  testing::temp_dir dir;
  const auto seed = testing::fixture("emulator/demo_seed.json").string();
  SECTION("a seed that is not JSON") {
    const auto bad = dir.write("bad-seed.json", "{not json");
    emulator_process emu({"--seed", bad});
    CHECK(emu.wait_exit_code() == 2);
    const auto err = emu.rest_of_stderr();
    CHECK_THAT(err, Contains("error:       ") && Contains("bad-seed.json"));
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  }
  SECTION("a seed file that does not exist") {
    emulator_process emu({"--seed", (dir.path / "missing.json").string()});
    CHECK(emu.wait_exit_code() == 2);
    CHECK_THAT(emu.rest_of_stderr(), Contains("missing.json"));
  }
  SECTION("a faults file with an unknown action") {
    const auto faults = dir.write("faults.json", R"([{"action": "explode"}])");
    emulator_process emu({"--seed", seed, "--faults", faults});
    CHECK(emu.wait_exit_code() == 2);
    CHECK_THAT(emu.rest_of_stderr(), Contains("faults.json") && Contains("explode"));
  }
  SECTION("a non-loopback host without --allow-remote") {
    emulator_process emu({"--seed", seed, "--host", "0.0.0.0"});
    CHECK(emu.wait_exit_code() == 2);
    CHECK_THAT(emu.rest_of_stderr(), Contains("--allow-remote"));
  }
}
