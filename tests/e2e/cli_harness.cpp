#include "tests/e2e/cli_harness.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

namespace opencloser::e2e {

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path fresh_temp_dir() {
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    auto dir = fs::temp_directory_path() / ("oc-e2e-" + std::to_string(rd()));
    if (fs::create_directory(dir)) return dir;
  }
  throw std::runtime_error("cannot create a temporary directory");
}

}  // namespace

std::optional<std::string> cli_result::line(const std::string& label) const {
  const std::string prefix = label + ":";
  std::size_t pos = 0;
  while (pos < out.size()) {
    auto end = out.find('\n', pos);
    if (end == std::string::npos) end = out.size();
    const auto text = out.substr(pos, end - pos);
    if (text.rfind(prefix, 0) == 0) {
      auto value = text.substr(prefix.size());
      value.erase(0, value.find_first_not_of(' '));
      return value;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

fs::path source_dir() {
  return OPENCLOSER_SOURCE_DIR;
}
fs::path fixture(const std::string& relative) {
  return source_dir() / "tests/fixtures" / relative;
}
std::string shipped(const std::string& name) {
  return (source_dir() / "config" / name).string();
}

cli_env::cli_env(emulator::emulator_options options) : dir(fresh_temp_dir()) {
  if (options.seeds.empty()) options.seeds.emplace_back(shipped("emulator-seed.json"));
  emu.start(std::move(options));
  const auto& seed = emu.seed();
  env["DATAVERSE_TENANT_ID"] = seed.tenant_id;
  env["DATAVERSE_CLIENT_ID"] = seed.clients.front().client_id;
  env["DATAVERSE_CLIENT_SECRET"] = seed.clients.front().client_secret;
  env["DATAVERSE_ENV_URL"] = emu.origin();
  env["OPENCLOSER_DATAVERSE_AUTHORITY_HOST"] = emu.origin();
  env["OPENCLOSER_CLOCK_NOW"] = frozen_clock;
  common_flags = {"--config",        shipped("slice1.toml"),
                  "--slice2-config", shipped("slice2.toml"),
                  "--mapping",       shipped("dataverse_mapping.json"),
                  "--artifacts-dir", (dir / "artifacts").string(),
                  "--state-db",      (dir / "state.db").string()};
}

cli_env::~cli_env() {
  emu.stop();
  std::error_code ec;
  fs::remove_all(dir, ec);
}

cli_result cli_env::run(const std::vector<std::string>& args, bool with_common) const {
  std::vector<std::string> argv_text{OPENCLOSER_BINARY};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  if (with_common) argv_text.insert(argv_text.end(), common_flags.begin(), common_flags.end());
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    if (name.rfind("DATAVERSE_", 0) == 0 || name.rfind("OPENCLOSER_", 0) == 0) continue;
    env_text.push_back(entry);
  }
  for (const auto& [k, v] : env) env_text.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);

  static std::atomic<int> counter{0};
  const auto out_file = dir / ("stdout." + std::to_string(++counter));
  const auto err_file = dir / ("stderr." + std::to_string(counter));
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0) ::_exit(126);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (::chdir(source_dir().c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  cli_result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_file);
  r.err = slurp(err_file);
  return r;
}

cli_result cli_env::run_crm(const std::string& row, const std::string& transport,
                            const std::string& conversation,
                            const std::vector<std::string>& extra) const {
  std::vector<std::string> args{"run-crm", "--queue-item-id", row, "--transport-fixture",
                                fixture("transport_events/" + transport + ".json").string()};
  if (!conversation.empty()) {
    args.emplace_back("--conversation-fixture");
    args.push_back(fixture("conversations/" + conversation + ".json").string());
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return run(args);
}

json::value cli_env::artifact(const std::string& session_id, const std::string& name) const {
  const auto file = session_dir(session_id) / name;
  if (!fs::exists(file)) throw std::runtime_error("no artifact " + file.string());
  return json::parse(slurp(file));
}

bool cli_env::has_artifact(const std::string& session_id, const std::string& name) const {
  return fs::exists(session_dir(session_id) / name);
}

std::vector<json::value> cli_env::rows(const std::string& table) const {
  const auto state = emu.state();
  const auto* tables = state.find("tables");
  const auto* rows = tables ? tables->find(table) : nullptr;
  if (!rows) return {};
  return rows->as_array();
}

json::value cli_env::row(const std::string& table, const std::string& id) const {
  for (const auto& r : rows(table))
    for (const auto& [k, v] : r.as_object())
      if (k.size() > 2 && k.substr(k.size() - 2) == "id" && v.is_string() && v.as_string() == id)
        return r;
  return {};
}

std::vector<json::value> cli_env::requests(std::uint64_t since) const {
  const auto log = emu.requests(since);
  if (log.is_array()) return log.as_array();
  if (const auto* entries = log.find("requests")) return entries->as_array();
  return {};
}

std::size_t cli_env::write_count() const {
  // The log's paths are relative to /api/data/v9.2/ (`token` for the token endpoint); the
  // operations inside a `$batch` are logged too, with an `inner_index`.
  std::size_t n = 0;
  for (const auto& r : requests()) {
    const auto* inner = r.find("inner_index");
    if (r.find("method")->as_string() != "GET" && r.find("path")->as_string() != "token" &&
        (!inner || inner->is_null()))
      ++n;
  }
  return n;
}

std::vector<std::vector<std::string>> cli_env::query(const std::string& sql) const {
  std::vector<std::vector<std::string>> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(state_db().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + state_db().string());
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error("bad query: " + message);
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* text = sqlite3_column_text(stmt, i);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    out.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

}  // namespace opencloser::e2e
