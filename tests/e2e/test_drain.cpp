// `opencloser drain` and `opencloser ctl` end to end (cli.md §5–§6, conformance.md §11–12):
// the real executable drains a campaign of the emulator this test process serves — with
// faults, throttling, adaptive concurrency — and a second process steers it through `ctl`.
// Every invariant is read back from what the drain left: its reports, the SQLite journal, the
// emulator's request log and its state dump.
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/cli_harness.hpp"

using namespace opencloser;
using namespace opencloser::e2e;

namespace {

namespace fs = std::filesystem;

// Option values of config/emulator-seed.json's acme_status (config/dataverse_mapping.json).
constexpr std::int64_t status_ready = 100000000;
constexpr std::int64_t status_in_progress = 100000001;
constexpr std::int64_t status_completed = 100000002;
constexpr std::int64_t status_blocked = 100000003;
constexpr std::int64_t status_dnc = 100000004;

// Campaigns of the rows the tests generate (the shipped seed's rows are all in `campaign`).
const std::string second_campaign = "c0000000-0000-4000-8000-00000000ca02";
const std::string outsider_campaign = "c0000000-0000-4000-8000-00000000ca03";
const std::string finished_campaign = "c0000000-0000-4000-8000-00000000ca04";
const std::string unknown_campaign = "c0000000-0000-4000-8000-0000000000ff";
const std::string maple_court = "5a1e0c6d-1111-4a2b-9c3d-000000000001";

// ---- Files and temporary directories -------------------------------------------------------

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

/// A directory of the test's own: seeds (they must exist before the emulator starts, i.e.
/// before cli_env makes its directory) or a journal and artifact tree kept in memory.
struct scratch_dir {
  fs::path path;
  explicit scratch_dir(const fs::path& base = fs::temp_directory_path()) {
    std::random_device rd;
    for (int i = 0; i < 100 && path.empty(); ++i) {
      auto candidate = base / ("oc-drain-" + std::to_string(rd()));
      if (fs::create_directory(candidate)) path = candidate;
    }
    if (path.empty()) throw std::runtime_error("cannot create a temporary directory");
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
};

/// The id of the n-th row a `rows_seed` with this id group generates. The group keeps the ids
/// apart from the shipped seed's `{{guid}}` rows and from other groups.
std::string generated_id(const std::string& group, int n) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%012d", n);
  return "00000000-0000-4000-" + group + "-" + digits;
}

/// A seed merged after the shipped one (fixtures.md §5.2): `count` rows of `campaign` with
/// status `status`, callable in the shipped call window at the frozen clock (America/Chicago).
fs::path rows_seed(const fs::path& dir, const std::string& group, int count,
                   const std::string& campaign, std::int64_t status = status_ready) {
  const auto file = dir / ("seed-" + group + ".json");
  spit(file, R"({"schema_version": "opencloser-emulator-seed-v1", "generate": [{"table": )"
             R"("acme_callqueue", "count": )" +
                 std::to_string(count) +
                 R"(, "template": {"acme_callqueueid": "00000000-0000-4000-)" + group +
                 R"(-{{n:12}}", "acme_phone": "+1555556{{n:4}}", "acme_tz": "America/Chicago", )"
                 R"("acme_attempts": 0, "acme_dnc": false, "acme_status": )" +
                 std::to_string(status) + R"(, "_acme_accountid_value": ")" + maple_court +
                 R"(", "_acme_campaignid_value": ")" + campaign + R"("}}]})");
  return file;
}

/// The shipped seed plus `extra`, with service protection off: a drain of thousands of
/// requests would otherwise meet the shipped 6000-per-300 s budget and wait out its
/// Retry-After. Tests that want throttling turn it back on.
emulator::emulator_options drain_emulator(const std::vector<fs::path>& extra) {
  emulator::emulator_options o;
  o.seeds.emplace_back(shipped("emulator-seed.json"));
  for (const auto& s : extra) o.seeds.push_back(s);
  o.throttle_requests = 0;
  o.throttle_concurrency = 0;
  o.throttle_exec_ms = 0;
  return o;
}

/// Points one of the harness's common flags at `value`.
void set_common_flag(cli_env& env, const std::string& flag, const std::string& value) {
  const auto it = std::find(env.common_flags.begin(), env.common_flags.end(), flag);
  if (it == env.common_flags.end() || std::next(it) == env.common_flags.end())
    throw std::runtime_error("no common flag " + flag);
  *std::next(it) = value;
}

/// Retries without the shipped 1-2-4 s backoff (arrays have no env override): thousands of
/// injected transient faults would otherwise sleep for minutes. Retry counts are unchanged.
void use_fast_retry(cli_env& env) {
  auto text = slurp(shipped("slice2.toml"));
  const std::string from = "backoff_seconds = [1, 2, 4]";
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("shipped slice2.toml changed");
  text.replace(at, from.size(), "backoff_seconds = [0.01]");
  const auto copy = env.dir / "slice2-fast-retry.toml";
  spit(copy, text);
  set_common_flag(env, "--slice2-config", copy.string());
}

// ---- JSON ----------------------------------------------------------------------------------

const json::value& at(const json::value& v, std::string_view key) {
  const auto* found = v.find(key);
  if (!found) throw std::runtime_error("no key '" + std::string(key) + "'");
  return *found;
}

std::int64_t int_at(const json::value& v, std::string_view key) {
  return at(v, key).as_int();
}

std::string text_at(const json::value& v, std::string_view key) {
  const auto* found = v.find(key);
  return found && found->is_string() ? found->as_string() : std::string();
}

bool has_keys(const json::value& v, const std::vector<std::string>& keys) {
  if (!v.is_object()) return false;
  for (const auto& k : keys)
    if (!v.contains(k)) return false;
  return true;
}

// ---- Drain runs and reports ----------------------------------------------------------------

/// `drain` over `campaign` with the shipped fixture plan; no ctl endpoint, no progress noise.
std::vector<std::string> drain_args(const std::string& drain_campaign,
                                    std::vector<std::string> extra = {}) {
  std::vector<std::string> args{
      "drain",        "--campaign", drain_campaign, "--fixture-plan", shipped("fixture-plan.json"),
      "--no-progress"};
  if (std::find(extra.begin(), extra.end(), "--listen") == extra.end())
    extra.insert(extra.end(), {"--listen", "none"});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::vector<std::string> resume_pending_args() {
  return {"drain", "--write", "--resume-pending", "--listen", "none", "--no-progress"};
}

/// The drain report a run printed (`report:`), parsed.
json::value report_of(const cli_result& r) {
  const auto path = r.line("report");
  if (!path) throw std::runtime_error("no report line in:\n" + r.out + r.err);
  return json::parse(slurp(*path));
}

const std::vector<std::string> totals_keys = {"seen",
                                              "processed",
                                              "deferred",
                                              "not_started",
                                              "completed",
                                              "blocked_eligibility",
                                              "blocked_conflict",
                                              "blocked_other",
                                              "resume_needed",
                                              "failed",
                                              "no_callable_item"};

/// cli.md §5.3: seen = processed + deferred + not_started; processed = the sum of its parts;
/// the items (one per row seen) carry the same counts.
void check_totals(const json::value& report) {
  const auto& t = at(report, "totals");
  REQUIRE(has_keys(t, totals_keys));
  CHECK(int_at(t, "seen") ==
        int_at(t, "processed") + int_at(t, "deferred") + int_at(t, "not_started"));
  CHECK(int_at(t, "processed") == int_at(t, "completed") + int_at(t, "blocked_eligibility") +
                                      int_at(t, "blocked_conflict") + int_at(t, "blocked_other") +
                                      int_at(t, "resume_needed") + int_at(t, "failed") +
                                      int_at(t, "no_callable_item"));
  static const std::set<std::string> item_statuses = {
      "completed",        "blocked",  "resume_needed", "failed",
      "no-callable-item", "deferred", "not_started"};
  std::map<std::string, std::int64_t> by_status;
  std::set<std::string> undocumented;
  std::int64_t eligibility = 0, conflict = 0;
  for (const auto& item : at(report, "items").as_array()) {
    const auto status = text_at(item, "exit_status");
    if (!item_statuses.count(status)) undocumented.insert(status);
    ++by_status[status];
    if (status == "blocked" && text_at(item, "block_reason") == "eligibility") ++eligibility;
    if (status == "blocked" && text_at(item, "block_reason") == "conflict_detected") ++conflict;
  }
  CHECK(undocumented.empty());
  CHECK(static_cast<std::int64_t>(at(report, "items").as_array().size()) == int_at(t, "seen"));
  CHECK(by_status["completed"] == int_at(t, "completed"));
  CHECK(by_status["blocked"] == int_at(t, "blocked_eligibility") + int_at(t, "blocked_conflict") +
                                    int_at(t, "blocked_other"));
  CHECK(eligibility == int_at(t, "blocked_eligibility"));
  CHECK(conflict == int_at(t, "blocked_conflict"));
  CHECK(by_status["resume_needed"] == int_at(t, "resume_needed"));
  CHECK(by_status["failed"] == int_at(t, "failed"));
  CHECK(by_status["no-callable-item"] == int_at(t, "no_callable_item"));
  CHECK(by_status["deferred"] == int_at(t, "deferred"));
  CHECK(by_status["not_started"] == int_at(t, "not_started"));
  std::int64_t dispositions = 0;
  for (const auto& [name, count] : at(report, "dispositions").as_object()) {
    (void)name;
    dispositions += count.as_int();
  }
  CHECK(at(report, "dispositions").as_object().size() == 11);
  CHECK(dispositions <= int_at(t, "processed"));
}

/// cli.md §5.3: the drain's exit_status and code follow from its totals, first match wins.
std::pair<std::string, int> expected_exit(const json::value& report) {
  const auto& t = at(report, "totals");
  if (at(report, "cancelled").as_bool()) return {"cancelled", 2};
  if (int_at(t, "failed") > 0) return {"failed", 2};
  if (int_at(t, "resume_needed") > 0) return {"resume_needed", 2};
  if (int_at(t, "blocked_conflict") + int_at(t, "blocked_other") > 0) return {"blocked", 1};
  if (int_at(t, "processed") > 0) return {"completed", 0};
  return {"no-callable-item", 0};
}

void check_exit_matches_report(const cli_result& r, const json::value& report) {
  const auto [status, code] = expected_exit(report);
  CHECK(text_at(report, "exit_status") == status);
  CHECK(r.line("exit_status") == status);
  CHECK(r.exit_code == code);
}

std::map<std::string, json::value> items_by_row(const json::value& report) {
  std::map<std::string, json::value> out;
  for (const auto& item : at(report, "items").as_array())
    out[lower(text_at(item, "queue_item_id"))] = item;
  return out;
}

// ---- Emulator state and log ----------------------------------------------------------------

std::vector<json::value> table_of(const json::value& state, const std::string& table) {
  const auto* tables = state.find("tables");
  const auto* rows = tables ? tables->find(table) : nullptr;
  return rows ? rows->as_array() : std::vector<json::value>{};
}

std::map<std::string, json::value> queue_rows(const json::value& state) {
  std::map<std::string, json::value> out;
  for (const auto& row : table_of(state, "acme_callqueue"))
    out[lower(text_at(row, "acme_callqueueid"))] = row;
  return out;
}

std::int64_t int_column(const json::value& row, std::string_view column) {
  const auto* v = row.find(column);
  return v && v->is_int() ? v->as_int() : -1;
}

bool is_web_write(const json::value& q) {
  const auto* inner = q.find("inner_index");
  return text_at(q, "path") != "token" && text_at(q, "method") != "GET" &&
         (!inner || inner->is_null());
}

std::size_t writes_in(const std::vector<json::value>& log) {
  return static_cast<std::size_t>(std::count_if(log.begin(), log.end(), is_web_write));
}

std::uint64_t log_mark(const cli_env& env) {
  const auto log = env.requests();
  return log.empty() ? 0 : static_cast<std::uint64_t>(int_at(log.back(), "seq"));
}

/// The queue row a logged PATCH addresses (`acme_callqueues(<id>)`), lower-case, or "".
std::string patched_row(const json::value& q) {
  const auto path = text_at(q, "path");
  const std::string prefix = queue_set + "(";
  if (text_at(q, "method") != "PATCH" || path.rfind(prefix, 0) != 0 || path.back() != ')')
    return {};
  return lower(path.substr(prefix.size(), path.size() - prefix.size() - 1));
}

json::value body_of(const json::value& q) {
  const auto* b = q.find("body");
  if (!b) return {};
  if (b->is_string()) {
    try {
      return json::parse(b->as_string());
    } catch (const std::exception&) {
      return *b;
    }
  }
  return *b;
}

/// Claims that changed the emulator's state, per row: committed PATCHes setting the row
/// in_progress (dataverse.md §6), whether or not their response reached the client.
std::map<std::string, int> landed_claims(const std::vector<json::value>& log) {
  std::map<std::string, int> out;
  for (const auto& q : log) {
    const auto row = patched_row(q);
    const auto* committed = q.find("committed");
    if (row.empty() || !committed || !committed->is_bool() || !committed->as_bool()) continue;
    const auto body = body_of(q);
    const auto* status = body.is_object() ? body.find("acme_status") : nullptr;
    if (status && status->is_int() && status->as_int() == status_in_progress) ++out[row];
  }
  return out;
}

// ---- SQLite and artifacts -----------------------------------------------------------------

/// The value of one of the harness's common flags (a test may have moved the journal or the
/// artifact root, e.g. to memory).
fs::path common_flag(const cli_env& env, const std::string& flag) {
  const auto it = std::find(env.common_flags.begin(), env.common_flags.end(), flag);
  if (it == env.common_flags.end() || std::next(it) == env.common_flags.end())
    throw std::runtime_error("no common flag " + flag);
  return *std::next(it);
}

bool has_artifact(const cli_env& env, const std::string& session_id, const std::string& name) {
  return fs::exists(common_flag(env, "--artifacts-dir") / session_id / name);
}

/// One query's rows on the journal the runs use, each column as text ("" for NULL).
std::vector<std::vector<std::string>> query(const cli_env& env, const std::string& sql) {
  const auto file = common_flag(env, "--state-db");
  std::vector<std::vector<std::string>> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + file.string());
  }
  sqlite3_busy_timeout(db, 5000);
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

/// Edits the journal behind the product's back, as conformance §12 allows for leases.
int exec_sql(const cli_env& env, const std::string& sql) {
  const auto file = common_flag(env, "--state-db");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + file.string());
  }
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  const int changed = sqlite3_changes(db);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error("sql failed: " + message);
  return changed;
}

std::int64_t count_of(const cli_env& env, const std::string& sql) {
  const auto rows = query(env, sql);
  return rows.empty() ? -1 : std::stoll(rows.front().front());
}

std::int64_t ledgers_pending(const cli_env& env) {
  return count_of(env,
                  "SELECT COUNT(*) FROM writeback_progress "
                  "WHERE run_status IN ('in_progress', 'resume_needed')");
}

std::int64_t ledgers_in_progress(const cli_env& env) {
  return count_of(env, "SELECT COUNT(*) FROM writeback_progress WHERE run_status = 'in_progress'");
}

// ---- Background processes (a drain that ctl talks to) --------------------------------------

/// A command of the real executable running as a child process while the test acts on it.
/// The destructor kills a child still running (a failed REQUIRE), so no drain outlives a test.
class background_run {
 public:
  background_run(const cli_env& env, const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& extra_env = {}) {
    static int counter = 0;
    ++counter;
    out_file_ = env.dir / ("bg-stdout." + std::to_string(counter));
    err_file_ = env.dir / ("bg-stderr." + std::to_string(counter));
    std::vector<std::string> argv_text{OPENCLOSER_BINARY};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    argv_text.insert(argv_text.end(), env.common_flags.begin(), env.common_flags.end());
    std::vector<std::string> env_text;
    for (char** e = environ; *e; ++e) {
      const std::string entry(*e);
      const auto name = entry.substr(0, entry.find('='));
      if (name.rfind("DATAVERSE_", 0) == 0 || name.rfind("OPENCLOSER_", 0) == 0) continue;
      env_text.push_back(entry);
    }
    auto merged = env.env;
    for (const auto& [k, v] : extra_env) merged[k] = v;
    for (const auto& [k, v] : merged) env_text.push_back(k + "=" + v);
    std::vector<char*> argv, envp;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      const int out = ::open(out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int err = ::open(err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (out < 0 || err < 0) ::_exit(126);
      ::dup2(out, 1);
      ::dup2(err, 2);
      if (::chdir(source_dir().c_str()) != 0) ::_exit(126);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
  }
  ~background_run() {
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  background_run(const background_run&) = delete;
  background_run& operator=(const background_run&) = delete;

  pid_t pid() const { return pid_; }
  const fs::path& stderr_path() const { return err_file_; }

  /// The port of the `listening: <host>:<port>` line; throws if the child ends first.
  std::uint16_t port() {
    const std::string label = "listening: ";
    for (int i = 0; i < 1200; ++i) {
      const auto err = slurp(err_file_);
      const auto at_label = err.find(label);
      if (at_label != std::string::npos) {
        const auto end = err.find('\n', at_label);
        if (end != std::string::npos) {
          const auto line = err.substr(at_label + label.size(), end - at_label - label.size());
          return static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
        }
      }
      if (finished()) throw std::runtime_error("the drain ended before listening:\n" + err);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("no listening line after 60 s:\n" + slurp(err_file_));
  }

  bool finished() {
    if (reaped_) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      status_ = status;
    }
    return reaped_;
  }

  void signal(int sig) { ::kill(pid_, sig); }

  /// Waits for the child's end (at most 5 minutes, then it is killed).
  cli_result wait() {
    for (int i = 0; i < 3000 && !finished(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!finished()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      reaped_ = true;
    }
    cli_result r;
    r.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
    r.out = slurp(out_file_);
    r.err = slurp(err_file_);
    return r;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  fs::path out_file_, err_file_;
};

cli_result ctl(const cli_env& env, std::uint16_t port, const std::vector<std::string>& command) {
  std::vector<std::string> args{"ctl", "--connect", "127.0.0.1:" + std::to_string(port)};
  args.insert(args.end(), command.begin(), command.end());
  return env.run(args, false);
}

json::value ctl_status(const cli_env& env, std::uint16_t port) {
  const auto r = ctl(env, port, {"status"});
  if (r.exit_code != 0) throw std::runtime_error("ctl status failed: " + r.out + r.err);
  return json::parse(r.out);
}

/// Polls `done` until it holds; the 60 s cap only keeps a broken product from hanging the test.
bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 600; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::int64_t processed_of(const json::value& status) {
  return int_at(at(status, "counts"), "processed");
}
std::int64_t in_flight_of(const json::value& status) {
  return int_at(at(status, "concurrency"), "in_flight");
}

/// A write drain of `rows` rows of the second campaign, slowed by emulator latency so that ctl
/// acts while it runs, published on an ephemeral loopback port.
struct slow_drain_setup {
  scratch_dir seeds;
  fs::path campaign_rows = rows_seed(seeds.path, "8c02", 400, second_campaign);
  fs::path outsider_rows = rows_seed(seeds.path, "8c03", 2, outsider_campaign);
  emulator::emulator_options options() const {
    auto o = drain_emulator({campaign_rows, outsider_rows});
    o.latency_ms = 25;
    return o;
  }
};

std::vector<std::string> slow_drain_args() {
  return drain_args(second_campaign, {"--write", "--concurrency", "2", "--listen", "127.0.0.1:0"});
}

// ---- The emission table (domain.md §9) -----------------------------------------------------

struct emission {
  std::int64_t status;
  bool task;
};

emission emission_of(const std::string& disposition) {
  static const std::map<std::string, emission> table = {
      {"interested_callback_requested", {status_ready, true}},
      {"interested_email_captured", {status_completed, true}},
      {"call_back_later", {status_ready, true}},
      {"needs_human_review", {status_blocked, true}},
      {"not_interested", {status_completed, false}},
      {"wrong_number", {status_blocked, false}},
      {"do_not_call", {status_dnc, false}},
      {"no_answer", {status_ready, false}},
      {"voicemail", {status_ready, false}},
      {"failed", {status_ready, false}},
  };
  const auto it = table.find(disposition);
  if (it == table.end()) throw std::runtime_error("no emission for '" + disposition + "'");
  return it->second;
}

std::map<std::string, int> records_per_key(const json::value& state, const std::string& table) {
  std::map<std::string, int> out;
  for (const auto& record : table_of(state, table)) ++out[text_at(record, "acme_idemkey")];
  return out;
}

}  // namespace

// ---- conformance §12: the history check ----------------------------------------------------

TEST_CASE("a faulted write drain of 2022 rows and its resume keep every drain invariant",
          "[e2e][drain]") {
  scratch_dir seeds;
  const std::string group = "8000";
  auto options = drain_emulator({rows_seed(seeds.path, group, 2000, campaign)});
  options.rng_seed = 42;
  cli_env env(std::move(options));
  use_fast_retry(env);
  // Journal and artifacts of 4000+ sessions in memory when the machine has /dev/shm: on disk
  // their fsyncs alone take longer than the drains.
  const fs::path memory = "/dev/shm";
  scratch_dir storage(fs::is_directory(memory) ? memory : fs::temp_directory_path());
  set_common_flag(env, "--artifacts-dir", (storage.path / "artifacts").string());
  set_common_flag(env, "--state-db", (storage.path / "state.db").string());

  // The rows ready at the start: the shipped seed's campaign rows plus the 2000 generated.
  const auto initial = queue_rows(env.emu.state());
  std::set<std::string> ready_rows;
  for (const auto& [id, row] : initial)
    if (int_column(row, "acme_status") == status_ready &&
        text_at(row, "_acme_campaignid_value") == campaign)
      ready_rows.insert(id);
  REQUIRE(ready_rows.size() >= 2000);

  // (6) A dry-run drain: zero writes, every row still ready, artifacts for every row.
  const auto dry = env.run(drain_args(campaign));
  INFO(dry.out << dry.err);
  REQUIRE(dry.line("report"));
  const auto dry_report = report_of(dry);
  CHECK(dry.exit_code == 0);
  CHECK(dry.line("exit_status") == "completed");
  CHECK(text_at(dry_report, "run_mode") == "dry_run");
  check_totals(dry_report);
  CHECK(int_at(at(dry_report, "totals"), "seen") == static_cast<std::int64_t>(ready_rows.size()));
  CHECK(writes_in(env.requests()) == 0);
  {
    const auto after_dry = queue_rows(env.emu.state());
    std::size_t unchanged = 0;
    for (const auto& id : ready_rows) {
      const auto& row = after_dry.at(id);
      if (int_column(row, "acme_status") == status_ready &&
          int_column(row, "acme_attempts") == int_column(initial.at(id), "acme_attempts"))
        ++unchanged;
    }
    CHECK(unchanged == ready_rows.size());
    const auto dry_items = items_by_row(dry_report);
    std::size_t with_artifacts = 0, covered = 0;
    for (const auto& id : ready_rows) {
      const auto it = dry_items.find(id);
      if (it == dry_items.end()) continue;
      ++covered;
      const auto sid = text_at(it->second, "session_id");
      if (!sid.empty() && has_artifact(env, sid, "dry-run-marker.json") &&
          has_artifact(env, sid, "planned-writeback.json") &&
          has_artifact(env, sid, "run-report.json"))
        ++with_artifacts;
    }
    CHECK(covered == ready_rows.size());
    CHECK(with_artifacts == ready_rows.size());
  }
  const auto after_dry_run = log_mark(env);

  // The faults: two rows whose queue status update exhausts its retries (a guaranteed
  // resume_needed; their claim passes through a no-op rule so no random fault takes it), then
  // seeded random 429, 503, reset and lost responses.
  const std::vector<std::string> stalled_rows = {generated_id(group, 7), generated_id(group, 1234)};
  std::string rules = "[";
  for (const auto& id : stalled_rows) {
    const auto path = R"("^acme_callqueues\\()" + id + R"(\\)$")";
    rules += R"({"match": {"method": "PATCH", "path": )" + path +
             R"(}, "action": "latency", "latency_ms": 1, "times": 1},)";
    rules += R"({"match": {"method": "PATCH", "path": )" + path +
             R"(}, "action": "status", "status": 503, "times": 4},)";
  }
  // Rows a human edits while their session writes (conformance §12 item 5): the claim passes,
  // then just before the queue status update lands the row is set to blocked, so the update
  // meets a new ETag (412) and the session must stop writing to the row.
  const std::vector<std::string> edited_rows = {generated_id(group, 11), generated_id(group, 512),
                                                generated_id(group, 1777)};
  for (const auto& id : edited_rows) {
    const auto path = R"("^acme_callqueues\\()" + id + R"(\\)$")";
    rules += R"({"match": {"method": "PATCH", "path": )" + path +
             R"(}, "action": "latency", "latency_ms": 1, "times": 1},)";
    rules += R"({"match": {"method": "PATCH", "path": )" + path +
             R"(}, "action": "human_edit", "when": "before", "times": 1, "target": {"table": )"
             R"("acme_callqueue", "id": ")" +
             id + R"("}, "changes": {"acme_status": )" + std::to_string(status_blocked) + "}},";
  }
  // Each 429 pauses the whole drain for its Retry-After, so only a few of them.
  rules += R"json(
    {"match": {}, "action": "status", "status": 429, "retry_after_s": 1,
     "probability": 0.01, "times": 4},
    {"match": {}, "action": "status", "status": 503, "probability": 0.05, "times": -1},
    {"match": {}, "action": "reset", "probability": 0.02, "times": -1},
    {"match": {"method": "POST|PATCH|DELETE"}, "action": "lost_response",
     "probability": 0.02, "times": -1}
  ])json";
  env.emu.add_fault(json::parse(rules));

  const auto write = env.run(drain_args(campaign, {"--write"}));
  INFO(write.out << write.err);
  REQUIRE(write.line("report"));
  const auto write_report = report_of(write);
  check_totals(write_report);
  check_exit_matches_report(write, write_report);
  CHECK(text_at(write_report, "run_mode") == "write_enabled");
  CHECK(int_at(at(write_report, "totals"), "seen") == static_cast<std::int64_t>(ready_rows.size()));
  CHECK(int_at(at(write_report, "http"), "throttled") >= 1);
  const auto write_items = items_by_row(write_report);
  for (const auto& id : stalled_rows) {
    INFO("stalled row " << id);
    REQUIRE(write_items.count(id) == 1);
    CHECK(text_at(write_items.at(id), "exit_status") == "resume_needed");
  }

  // Resume what is pending until nothing is, the faults gone.
  env.emu.clear_faults();
  std::vector<json::value> resume_reports;
  for (int round = 0; round < 4 && ledgers_pending(env) > 0; ++round) {
    exec_sql(env,
             "UPDATE writeback_progress SET lease_expires_at = '2000-01-01T00:00:00.000Z' "
             "WHERE run_status = 'in_progress'");
    const auto resume = env.run(resume_pending_args());
    INFO(resume.out << resume.err);
    REQUIRE(resume.line("report"));
    resume_reports.push_back(report_of(resume));
    check_totals(resume_reports.back());
    check_exit_matches_report(resume, resume_reports.back());
  }
  CHECK(ledgers_pending(env) == 0);
  CHECK_FALSE(resume_reports.empty());

  // (1) Every row ready at the start ends in exactly one terminal item outcome: its write-drain
  // item, replaced by the item of the resume that took its session over.
  const auto write_drain_id = text_at(write_report, "drain_id");
  std::map<std::string, json::value> final_items = write_items;
  for (const auto& report : resume_reports)
    for (const auto& [id, item] : items_by_row(report)) final_items[id] = item;
  std::size_t outside = 0, terminal = 0;
  const std::set<std::string> terminal_outcomes = {"completed", "blocked",     "failed",
                                                   "deferred",  "not_started", "no-callable-item"};
  for (const auto& [id, item] : write_items) outside += ready_rows.count(id) == 0 ? 1 : 0;
  for (const auto& id : ready_rows) {
    const auto it = final_items.find(id);
    if (it != final_items.end() && terminal_outcomes.count(text_at(it->second, "exit_status")))
      ++terminal;
  }
  CHECK(outside == 0);
  CHECK(write_items.size() == ready_rows.size());
  CHECK(at(write_report, "items").as_array().size() == ready_rows.size());
  CHECK(terminal == ready_rows.size());

  const auto state = env.emu.state();
  const auto log = env.requests(after_dry_run);
  const auto final_rows = queue_rows(state);
  // The faults did happen, lost responses (committed writes without an answer) included.
  std::size_t faulted = 0, lost = 0;
  for (const auto& q : log) {
    const auto* fault = q.find("fault");
    if (!fault || fault->is_null()) continue;
    ++faulted;
    const auto* committed = q.find("committed");
    if (is_web_write(q) && committed && committed->is_bool() && committed->as_bool()) ++lost;
  }
  CHECK(faulted > 0);
  CHECK(lost > 0);

  // (2) Per session key at most one Phone Call and at most one Task.
  const auto phone_calls = records_per_key(state, "phonecall");
  const auto tasks = records_per_key(state, "task");
  const auto most = [](const std::map<std::string, int>& m) {
    int n = 0;
    for (const auto& [k, v] : m) n = std::max(n, v);
    return n;
  };
  CHECK(most(phone_calls) <= 1);
  CHECK(most(tasks) <= 1);

  // (3) At most one session per row per drain; attempts = initial + claims that landed, and
  // the journal knows of exactly those claims.
  CHECK(query(env,
              "SELECT drain_id, queue_item_id FROM sessions WHERE drain_id IS NOT NULL "
              "GROUP BY drain_id, queue_item_id HAVING COUNT(*) > 1")
            .empty());
  CHECK(count_of(env, "SELECT COUNT(DISTINCT queue_item_id) FROM sessions WHERE drain_id = '" +
                          write_drain_id + "'") == static_cast<std::int64_t>(ready_rows.size()));
  const auto claims = landed_claims(log);
  std::map<std::string, int> journal_claims;
  for (const auto& row : query(env,
                               "SELECT lower(s.queue_item_id), COUNT(*) FROM sessions s JOIN "
                               "writeback_progress w ON w.session_id = s.session_id WHERE "
                               "w.claim_done = 1 GROUP BY lower(s.queue_item_id)"))
    journal_claims[row[0]] = std::stoi(row[1]);
  std::vector<std::string> attempt_mismatch, journal_mismatch;
  for (const auto& [id, row] : final_rows) {
    const auto landed = claims.count(id) ? claims.at(id) : 0;
    if (int_column(row, "acme_attempts") != int_column(initial.at(id), "acme_attempts") + landed)
      attempt_mismatch.push_back(id);
    if ((journal_claims.count(id) ? journal_claims.at(id) : 0) != landed)
      journal_mismatch.push_back(id);
  }
  CHECK(attempt_mismatch.empty());
  CHECK(journal_mismatch.empty());

  // (4) Completed sessions: row status per the emission table, DNC set for do_not_call, one
  // Phone Call, a Task exactly when the disposition has one.
  std::map<std::string, std::string> disposition_of;
  for (const auto& row : query(env,
                               "SELECT session_id, COALESCE(final_disposition, '') FROM "
                               "sessions WHERE drain_id = '" +
                                   write_drain_id + "'"))
    disposition_of[row[0]] = row[1];
  std::vector<std::string> wrong_status, wrong_dnc, wrong_records, stray_tasks;
  std::size_t completed = 0;
  for (const auto& id : ready_rows) {
    const auto& item = final_items.at(id);
    const auto sid = text_at(write_items.at(id), "session_id");
    const auto disposition = disposition_of.count(sid) ? disposition_of.at(sid) : "";
    const bool excluded = disposition == "not_interested" || disposition == "wrong_number" ||
                          disposition == "do_not_call" || disposition == "failed" ||
                          disposition == "no_answer" || disposition == "voicemail";
    if (excluded && tasks.count(sid)) stray_tasks.push_back(id);
    if (text_at(item, "exit_status") != "completed") continue;
    ++completed;
    if (disposition.empty() || disposition == "blocked") {
      wrong_status.push_back(id + " completed without a call disposition");
      continue;
    }
    const auto expected = emission_of(disposition);
    const auto& row = final_rows.at(id);
    if (int_column(row, "acme_status") != expected.status ||
        text_at(row, "acme_lastsession") != sid)
      wrong_status.push_back(id + " " + disposition);
    const auto* dnc = row.find("acme_dnc");
    const bool dnc_set = dnc && dnc->is_bool() && dnc->as_bool();
    if (dnc_set != (disposition == "do_not_call")) wrong_dnc.push_back(id);
    if (!phone_calls.count(sid) || (tasks.count(sid) != 0) != expected.task)
      wrong_records.push_back(id + " " + disposition);
  }
  CHECK(completed > 0);
  CHECK(wrong_status.empty());
  CHECK(wrong_dnc.empty());
  CHECK(wrong_records.empty());
  CHECK(stray_tasks.empty());
  // Every record belongs to a session of the write drain.
  std::size_t foreign = 0;
  for (const auto& [key, n] : phone_calls) foreign += disposition_of.count(key) ? 0 : 1;
  for (const auto& [key, n] : tasks) foreign += disposition_of.count(key) ? 0 : 1;
  CHECK(foreign == 0);
  // (5) After a session met the human edit (412 on its status update), it sent no further
  // write for that row: no request after the 412 names the row in its path or body.
  std::size_t conflicts = 0;
  std::vector<std::string> written_after_conflict;
  for (const auto& id : edited_rows) {
    const auto first_412 = std::find_if(log.begin(), log.end(), [&](const json::value& q) {
      return patched_row(q) == id && q.find("status")->is_int() &&
             q.find("status")->as_int() == 412;
    });
    if (first_412 == log.end()) continue;  // eligibility blocked it before any write
    ++conflicts;
    INFO("edited row " << id);
    CHECK(text_at(final_items.at(id), "exit_status") == "blocked");
    CHECK(text_at(final_items.at(id), "block_reason") == "conflict_detected");
    for (auto q = std::next(first_412); q != log.end(); ++q)
      if (is_web_write(*q) &&
          lower(text_at(*q, "path") + json::write_compact(body_of(*q))).find(id) !=
              std::string::npos)
        written_after_conflict.push_back(id + " " + text_at(*q, "method") + " " +
                                         text_at(*q, "path"));
  }
  CHECK(conflicts >= 1);
  CHECK(written_after_conflict.empty());
  // Rows that were not ready were never written to.
  std::size_t touched = 0;
  for (const auto& q : log)
    if (!patched_row(q).empty() && !ready_rows.count(patched_row(q))) ++touched;
  CHECK(touched == 0);
}

// ---- conformance §11: throttling and concurrency -------------------------------------------

TEST_CASE("one 429 halves the target once and quiet sessions raise it again", "[e2e][drain]") {
  scratch_dir seeds;
  auto options = drain_emulator({rows_seed(seeds.path, "8a02", 40, second_campaign)});
  options.dop_hint = 8;
  cli_env env(std::move(options));
  env.env["OPENCLOSER_DRAIN_INCREASE_AFTER"] = "5";
  env.emu.add_fault(json::parse(
      R"([{"match": {"method": "PATCH"}, "action": "status", "status": 429, "retry_after_s": 1,
           "skip": 10, "times": 1}])"));
  const auto r = env.run(
      drain_args(second_campaign, {"--write", "--concurrency", "4", "--max-concurrency", "8"}));
  INFO(r.out << r.err);
  REQUIRE(r.line("report"));
  const auto report = report_of(r);
  check_totals(report);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  CHECK(int_at(at(report, "totals"), "completed") == 40);
  CHECK(r.line("completed") == "40");
  const auto& c = at(report, "concurrency");
  CHECK(int_at(c, "initial") == 4);
  CHECK(int_at(c, "decreases") == 1);
  CHECK(int_at(c, "increases") >= 1);
  CHECK(int_at(c, "max") <= 8);
  CHECK(int_at(c, "dop_hint") == 8);
  CHECK(int_at(at(report, "http"), "throttled") == 1);
}

TEST_CASE("a drain under real service protection completes every session", "[e2e][drain]") {
  scratch_dir seeds;
  auto options = drain_emulator({rows_seed(seeds.path, "8b02", 20, second_campaign)});
  options.throttle_requests = 20;
  options.throttle_window_s = 2;
  options.throttle_concurrency = 4;
  cli_env env(std::move(options));
  env.env["OPENCLOSER_HTTP_MAX_IN_FLIGHT"] = "2";
  const auto r = env.run(drain_args(second_campaign, {"--write"}));
  INFO(r.out << r.err);
  REQUIRE(r.line("report"));
  const auto report = report_of(r);
  check_totals(report);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  CHECK(int_at(at(report, "totals"), "completed") == 20);
  CHECK(int_at(at(report, "totals"), "failed") == 0);
  CHECK(int_at(at(report, "totals"), "resume_needed") == 0);
  CHECK(int_at(at(report, "http"), "throttled") > 0);
  CHECK(int_at(at(report, "http"), "max_in_flight") <= 2);
  const auto counters = at(env.emu.state(), "counters");
  CHECK(int_at(counters, "throttled") > 0);
  CHECK(int_at(counters, "max_in_flight") <= 2);
}

TEST_CASE("the dop hint caps the drain's concurrency", "[e2e][drain]") {
  scratch_dir seeds;
  auto options = drain_emulator({rows_seed(seeds.path, "8d02", 20, second_campaign)});
  options.dop_hint = 2;
  cli_env env(std::move(options));
  const auto r = env.run(drain_args(second_campaign, {"--write", "--concurrency", "8"}));
  INFO(r.out << r.err);
  REQUIRE(r.line("report"));
  const auto report = report_of(r);
  check_totals(report);
  CHECK(r.exit_code == 0);
  CHECK(int_at(at(report, "totals"), "completed") == 20);
  const auto& c = at(report, "concurrency");
  CHECK(int_at(c, "dop_hint") == 2);
  CHECK(int_at(c, "max") <= 2);
  CHECK(int_at(c, "initial") <= 2);
}

TEST_CASE("a drain outside the call window defers every row and writes nothing", "[e2e][drain]") {
  scratch_dir seeds;
  cli_env env(drain_emulator({rows_seed(seeds.path, "8e02", 20, second_campaign)}));
  // 10:00Z is 05:00 in Chicago: only rule (c) fails.
  env.env["OPENCLOSER_CLOCK_NOW"] = "2026-05-22T10:00:00.000Z";
  const auto r = env.run(drain_args(second_campaign, {"--write"}));
  INFO(r.out << r.err);
  REQUIRE(r.line("report"));
  const auto report = report_of(r);
  check_totals(report);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "no-callable-item");
  CHECK(text_at(report, "exit_status") == "no-callable-item");
  CHECK(r.line("deferred") == "20");
  CHECK(r.line("processed") == "0");
  CHECK(int_at(at(report, "totals"), "deferred") == 20);
  CHECK(int_at(at(report, "totals"), "processed") == 0);
  for (const auto& item : at(report, "items").as_array()) {
    CHECK(text_at(item, "exit_status") == "deferred");
    CHECK(at(item, "session_id").is_null());
  }
  CHECK(writes_in(env.requests()) == 0);
  CHECK(count_of(env, "SELECT COUNT(*) FROM sessions") == 0);
  for (const auto& row : table_of(env.emu.state(), "acme_callqueue"))
    if (text_at(row, "_acme_campaignid_value") == second_campaign)
      CHECK(int_column(row, "acme_attempts") == 0);
}

TEST_CASE("a drain of an unknown campaign fails with exit 2", "[e2e][drain]") {
  cli_env env(drain_emulator({}));
  const auto r = env.run(drain_args(unknown_campaign, {"--write"}));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.line("exit_status") == "failed");
  CHECK(r.line("message") == "configured_campaign_not_found: campaign '" + unknown_campaign +
                                 "' has zero queue items in Dataverse");
  CHECK(writes_in(env.requests()) == 0);
  if (r.line("report")) {
    const auto report = report_of(r);
    CHECK(text_at(report, "exit_status") == "failed");
    CHECK(int_at(at(report, "totals"), "seen") == 0);
  }
}

TEST_CASE("a drain of a campaign with no ready row ends no-callable-item", "[e2e][drain]") {
  scratch_dir seeds;
  cli_env env(
      drain_emulator({rows_seed(seeds.path, "8f04", 3, finished_campaign, status_completed)}));
  const auto r = env.run(drain_args(finished_campaign, {"--write"}));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "no-callable-item");
  CHECK(r.line("processed") == "0");
  CHECK(writes_in(env.requests()) == 0);
  REQUIRE(r.line("report"));
  const auto report = report_of(r);
  CHECK(text_at(report, "exit_status") == "no-callable-item");
  check_totals(report);
}

// ---- ctl (cli.md §6, conformance §12) ------------------------------------------------------

TEST_CASE("ctl steers a running drain over loopback", "[e2e][drain]") {
  slow_drain_setup setup;
  cli_env env(setup.options());
  background_run drain(env, slow_drain_args());
  const auto port = drain.port();

  // status carries every documented field.
  const auto first = ctl_status(env, port);
  CHECK(text_at(first, "drain_id").rfind("drn_", 0) == 0);
  CHECK((text_at(first, "state") == "running" || text_at(first, "state") == "paused"));
  CHECK(has_keys(at(first, "concurrency"), {"in_flight", "target", "ceiling"}));
  auto count_keys = totals_keys;
  count_keys.emplace_back("queued");
  CHECK(has_keys(at(first, "counts"), count_keys));
  CHECK(has_keys(at(first, "throttle"), {"paused_until", "last_429_at"}));
  CHECK(first.contains("pages_fetched"));
  REQUIRE(at(first, "workers").is_array());
  REQUIRE_FALSE(at(first, "workers").as_array().empty());
  CHECK(has_keys(at(first, "workers").as_array().front(), {"node", "slots", "in_flight"}));

  // pause: the sessions in flight finish, no new one starts.
  auto r = ctl(env, port, {"pause"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "ok\n");
  const auto at_pause = ctl_status(env, port);
  CHECK(text_at(at_pause, "state") == "paused");
  const auto bound = processed_of(at_pause) + in_flight_of(at_pause);
  CHECK(eventually([&] { return in_flight_of(ctl_status(env, port)) == 0; }));
  const auto settled = processed_of(ctl_status(env, port));
  CHECK(settled <= bound);
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto s = ctl_status(env, port);
    CHECK(processed_of(s) == settled);
    CHECK(in_flight_of(s) == 0);
    CHECK(text_at(s, "state") == "paused");
  }
  CHECK(ctl(env, port, {"pause"}).exit_code == 0);  // idempotent

  // resume: sessions start again.
  r = ctl(env, port, {"resume"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "ok\n");
  CHECK(eventually([&] { return processed_of(ctl_status(env, port)) > settled; }));

  // set-concurrency 1: once the extra sessions drain, at most one is in flight.
  r = ctl(env, port, {"set-concurrency", "1"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "ok\n");
  const auto single = ctl_status(env, port);
  CHECK(int_at(at(single, "concurrency"), "target") == 1);
  CHECK(int_at(at(single, "concurrency"), "ceiling") == 1);
  CHECK(eventually([&] { return in_flight_of(ctl_status(env, port)) <= 1; }));
  for (int i = 0; i < 4; ++i) CHECK(in_flight_of(ctl_status(env, port)) <= 1);

  // enqueue: a row of another campaign is processed; a row already seen is ignored; a
  // non-GUID never reaches the drain.
  const auto outsider = generated_id("8c03", 0);
  r = ctl(env, port, {"enqueue", outsider});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "accepted: 1\n");
  const auto seen_row = generated_id("8c02", 0);
  r = ctl(env, port, {"enqueue", seen_row});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "accepted: 0\nignored: " + seen_row + "\n");
  r = ctl(env, port, {"enqueue", "not-a-guid"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.rfind("error:", 0) == 0);
  CHECK(eventually([&] {
    return !query(env, "SELECT outcome FROM drain_items WHERE queue_item_id = '" + outsider +
                           "' AND outcome <> 'not_started'")
                .empty();
  }));

  // cancel while sessions are in flight (held by emulator latency): only status and cancel are
  // accepted afterwards.
  CHECK(ctl(env, port, {"set-concurrency", "3"}).exit_code == 0);
  CHECK(eventually([&] { return in_flight_of(ctl_status(env, port)) >= 2; }));
  env.emu.add_fault(
      json::parse(R"([{"match": {}, "action": "latency", "latency_ms": 4000, "times": 3}])"));
  r = ctl(env, port, {"cancel"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "ok\n");
  r = ctl(env, port, {"pause"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.rfind("error:", 0) == 0);
  const auto cancelling = ctl_status(env, port);
  CHECK(text_at(cancelling, "state") == "cancelling");
  CHECK(ctl(env, port, {"cancel"}).exit_code == 0);  // idempotent
  env.emu.clear_faults();

  const auto done = drain.wait();
  INFO(done.out << done.err);
  CHECK(done.exit_code == 2);
  CHECK(done.line("exit_status") == "cancelled");
  REQUIRE(done.line("report"));
  const auto report = report_of(done);
  CHECK(at(report, "cancelled").as_bool());
  CHECK(text_at(report, "exit_status") == "cancelled");
  check_totals(report);
  CHECK(int_at(at(report, "totals"), "not_started") > 0);
  const auto items = items_by_row(report);
  REQUIRE(items.count(outsider) == 1);
  CHECK(text_at(items.at(outsider), "exit_status") == "completed");
  CHECK(ledgers_in_progress(env) == 0);
}

TEST_CASE("a drain with a token refuses a ctl without it", "[e2e][drain]") {
  slow_drain_setup setup;
  cli_env env(setup.options());
  background_run drain(env, slow_drain_args(), {{"OPENCLOSER_DRAIN_TOKEN", "s3cret-drain"}});
  const auto port = drain.port();
  auto r = ctl(env, port, {"status"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.rfind("error:", 0) == 0);
  CHECK(r.out.empty());
  env.env["OPENCLOSER_DRAIN_TOKEN"] = "wrong";
  CHECK(ctl(env, port, {"pause"}).exit_code == 1);
  env.env["OPENCLOSER_DRAIN_TOKEN"] = "s3cret-drain";
  r = ctl(env, port, {"status"});
  CHECK(r.exit_code == 0);
  CHECK(text_at(json::parse(r.out), "state") == "running");
  CHECK(ctl(env, port, {"cancel"}).exit_code == 0);
  const auto done = drain.wait();
  INFO(done.out << done.err);
  CHECK(done.exit_code == 2);
  CHECK(done.line("exit_status") == "cancelled");
  CHECK(done.err.find("s3cret-drain") == std::string::npos);
  CHECK(done.out.find("s3cret-drain") == std::string::npos);
}

TEST_CASE("a non-loopback listen needs --allow-remote and a token", "[e2e][drain]") {
  scratch_dir seeds;
  cli_env env(drain_emulator({rows_seed(seeds.path, "8c12", 5, second_campaign)}));
  const auto without_flag =
      env.run(drain_args(second_campaign, {"--write", "--listen", "0.0.0.0:0"}));
  INFO(without_flag.out << without_flag.err);
  CHECK(without_flag.exit_code == 2);
  CHECK(without_flag.err.find("error:") != std::string::npos);
  const auto without_token =
      env.run(drain_args(second_campaign, {"--write", "--listen", "0.0.0.0:0", "--allow-remote"}));
  INFO(without_token.out << without_token.err);
  CHECK(without_token.exit_code == 2);
  CHECK(without_token.err.find("error:") != std::string::npos);
  CHECK(writes_in(env.requests()) == 0);
  CHECK(env.rows("phonecall").empty());
}

TEST_CASE("a first SIGINT cancels the drain after the sessions in flight", "[e2e][drain]") {
  slow_drain_setup setup;
  cli_env env(setup.options());
  background_run drain(env, slow_drain_args());
  const auto port = drain.port();
  REQUIRE(eventually([&] { return processed_of(ctl_status(env, port)) >= 2; }));
  drain.signal(SIGINT);
  const auto done = drain.wait();
  INFO(done.out << done.err);
  CHECK(done.exit_code == 2);
  CHECK(done.line("exit_status") == "cancelled");
  REQUIRE(done.line("report"));
  const auto report = report_of(done);
  CHECK(at(report, "cancelled").as_bool());
  check_totals(report);
  CHECK(int_at(at(report, "totals"), "not_started") > 0);
  CHECK(ledgers_in_progress(env) == 0);
  CHECK(ledgers_pending(env) == 0);
}

TEST_CASE("a second SIGINT stops at once and --resume-pending finishes the sessions",
          "[e2e][drain]") {
  slow_drain_setup setup;
  cli_env env(setup.options());
  background_run drain(env, slow_drain_args());
  const auto port = drain.port();
  REQUIRE(eventually([&] {
    const auto s = ctl_status(env, port);
    return processed_of(s) >= 2 && in_flight_of(s) >= 1;
  }));
  // Hold every request so that sessions are certainly in flight when the signals land.
  env.emu.add_fault(
      json::parse(R"([{"match": {}, "action": "latency", "latency_ms": 3000, "times": -1}])"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  drain.signal(SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  drain.signal(SIGINT);
  const auto done = drain.wait();
  INFO(done.out << done.err);
  CHECK(done.exit_code == 130);
  env.emu.clear_faults();
  const auto interrupted = ledgers_in_progress(env);
  CHECK(interrupted >= 1);

  exec_sql(env,
           "UPDATE writeback_progress SET lease_expires_at = '2000-01-01T00:00:00.000Z' "
           "WHERE run_status = 'in_progress'");
  // The resume listens for ctl, its requests held so that it is still running when asked: a
  // --resume-pending drain refuses enqueue (cli.md §6) and keeps going.
  env.emu.add_fault(
      json::parse(R"([{"match": {}, "action": "latency", "latency_ms": 1000, "times": -1}])"));
  auto resume_args = resume_pending_args();
  *std::find(resume_args.begin(), resume_args.end(), "none") = "127.0.0.1:0";
  background_run resuming(env, resume_args);
  const auto refused = ctl(env, resuming.port(), {"enqueue", generated_id("8c03", 0)});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("enqueue is not accepted by a --resume-pending drain") !=
        std::string::npos);
  CHECK(text_at(ctl_status(env, resuming.port()), "state") == "running");
  env.emu.clear_faults();
  const auto resume = resuming.wait();
  INFO(resume.out << resume.err);
  CHECK(resume.exit_code == 0);
  REQUIRE(resume.line("report"));
  const auto report = report_of(resume);
  check_totals(report);
  CHECK(int_at(at(report, "totals"), "processed") == interrupted);
  CHECK(ledgers_pending(env) == 0);
  const auto state = env.emu.state();
  for (const auto& [key, n] : records_per_key(state, "phonecall")) CHECK(n == 1);
  for (const auto& [key, n] : records_per_key(state, "task")) CHECK(n == 1);
}

TEST_CASE("rows enqueued but never started count as not_started on cancel", "[e2e][drain]") {
  slow_drain_setup setup;
  cli_env env(setup.options());
  background_run drain(env, slow_drain_args());
  const auto port = drain.port();
  CHECK(ctl(env, port, {"pause"}).exit_code == 0);
  CHECK(eventually([&] { return in_flight_of(ctl_status(env, port)) == 0; }));
  const auto outsider = generated_id("8c03", 1);
  auto r = ctl(env, port, {"enqueue", outsider});
  CHECK(r.out == "accepted: 1\n");
  CHECK(int_at(at(ctl_status(env, port), "counts"), "queued") >= 1);
  CHECK(ctl(env, port, {"cancel"}).exit_code == 0);
  const auto done = drain.wait();
  INFO(done.out << done.err);
  CHECK(done.exit_code == 2);
  CHECK(done.line("exit_status") == "cancelled");
  REQUIRE(done.line("report"));
  const auto report = report_of(done);
  check_totals(report);
  const auto items = items_by_row(report);
  REQUIRE(items.count(outsider) == 1);
  CHECK(text_at(items.at(outsider), "exit_status") == "not_started");
  CHECK(ledgers_in_progress(env) == 0);
}
