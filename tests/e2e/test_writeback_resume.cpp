// run-crm write-back, idempotency and resume end to end (conformance.md §9): the request order
// of a write run, retries and lost responses that must not duplicate records, transient
// exhaustion and its resume, resume pre-flight errors, leases and claim release, permanent
// failures and the Task owner override. Every scenario drives the real executable against the
// in-process emulator and reads the emulator's log and state, the artifacts and the journal.
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "actors/common/ids.hpp"
#include "tests/e2e/cli_harness.hpp"

using namespace opencloser;
using namespace opencloser::e2e;

namespace {

namespace fs = std::filesystem;

// Option values of config/emulator-seed.json's acme_status.
constexpr std::int64_t status_ready = 100000000;
constexpr std::int64_t status_in_progress = 100000001;

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("'" + from + "' not found");
  return text.replace(at, from.size(), to);
}

/// Points one of the harness's common flags (`--slice2-config`, `--mapping`, …) at `value`.
void set_common_flag(cli_env& env, const std::string& flag, const std::string& value) {
  const auto it = std::find(env.common_flags.begin(), env.common_flags.end(), flag);
  if (it == env.common_flags.end() || std::next(it) == env.common_flags.end())
    throw std::runtime_error("no common flag " + flag);
  *std::next(it) = value;
}

/// The conformance defaults (backoff [0.01], Retry-After cap 0.05) instead of the shipped
/// [1, 2, 4]: exhausting retries then takes milliseconds. Arrays have no env override, so the
/// test runs on a modified copy of the shipped slice2.toml.
void use_fast_retry(cli_env& env) {
  auto text = slurp(shipped("slice2.toml"));
  text = replace_once(text, "backoff_seconds = [1, 2, 4]", "backoff_seconds = [0.01]");
  text = replace_once(text, "retry_after_cap_seconds = 30", "retry_after_cap_seconds = 0.05");
  const auto copy = env.dir / "slice2-fast-retry.toml";
  spit(copy, text);
  set_common_flag(env, "--slice2-config", copy.string());
}

/// A copy of the shipped mapping under env.dir that the test may later change.
fs::path use_mapping_copy(cli_env& env) {
  const auto copy = env.dir / "dataverse_mapping.json";
  spit(copy, slurp(shipped("dataverse_mapping.json")));
  set_common_flag(env, "--mapping", copy.string());
  return copy;
}

void add_faults(cli_env& env, const std::string& rules) {
  env.emu.add_fault(json::parse(rules));
}

// ---- The request log -----------------------------------------------------------------------

std::string text_of(const json::value& entry, std::string_view key) {
  const auto* v = entry.find(key);
  return v && v->is_string() ? v->as_string() : std::string();
}

std::string method_of(const json::value& q) {
  return text_of(q, "method");
}
std::string path_of(const json::value& q) {
  return text_of(q, "path");
}
std::string query_of(const json::value& q) {
  return text_of(q, "query");
}
std::int64_t status_of(const json::value& q) {
  return q.find("status")->as_int();
}

/// A request header by name, compared ASCII case-insensitively ("" when absent).
std::string header_of(const json::value& q, std::string_view name) {
  const auto* headers = q.find("headers");
  if (!headers || !headers->is_object()) return {};
  for (const auto& [k, v] : headers->as_object()) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(k[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    if (same && v.is_string()) return v.as_string();
  }
  return {};
}

/// The body of a logged request as JSON (the log keeps JSON bodies parsed).
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

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

/// What a logged request is, in the vocabulary of dataverse.md §3–§7.
std::string step_of(const json::value& q) {
  const auto m = method_of(q);
  const auto p = path_of(q);
  if (p == "token") return "token";
  if (starts_with(p, "EntityDefinitions")) return "metadata";
  if (p == "systemusers" || p == "teams") return "owner_check";
  if (p == "accounts") return "facility_name";
  if (p == queue_set && m == "GET") return "queue_read";
  if (starts_with(p, queue_set + "(") && m == "PATCH")
    return header_of(q, "Prefer").empty() ? "queue_patch" : "claim";
  if (p == "phonecalls" && m == "GET") return "phone_prequery";
  if (p == "phonecalls" && m == "POST") return "phone_post";
  if (starts_with(p, "phonecalls(") && m == "PATCH") return "phone_close";
  if (starts_with(p, "phonecalls(") && m == "GET") return "phone_read";
  if (p == "tasks" && m == "GET") return "task_prequery";
  if (p == "tasks" && m == "POST") return "task_post";
  if (starts_with(p, "tasks(") && m == "GET") return "task_read";
  return m + " " + p;
}

std::vector<std::string> steps_of(const std::vector<json::value>& log) {
  std::vector<std::string> out;
  for (const auto& q : log) out.push_back(step_of(q));
  return out;
}

std::vector<json::value> with_step(const std::vector<json::value>& log, const std::string& step) {
  std::vector<json::value> out;
  for (const auto& q : log)
    if (step_of(q) == step) out.push_back(q);
  return out;
}

/// Web API writes (POST, PATCH, DELETE, `$batch`); token requests are not Web API requests.
std::size_t writes_in(const std::vector<json::value>& log) {
  std::size_t n = 0;
  for (const auto& q : log)
    if (path_of(q) != "token" && method_of(q) != "GET") ++n;
  return n;
}

/// The log's newest sequence number: requests after it are the next run's.
std::uint64_t log_mark(const cli_env& env) {
  const auto log = env.requests();
  return log.empty() ? 0 : static_cast<std::uint64_t>(log.back().find("seq")->as_int());
}

// ---- Journal, artifacts, emulator rows -----------------------------------------------------

/// run_status, claim, phone call, queue status, task flags of the session's ledger row.
std::vector<std::string> ledger_of(const cli_env& env, const std::string& sid) {
  const auto rows = env.query(
      "SELECT run_status, claim_done, phone_call_activity_done, queue_status_update_done, "
      "task_done FROM writeback_progress WHERE session_id = '" +
      sid + "'");
  return rows.empty() ? std::vector<std::string>{} : rows.front();
}

std::string session_state_of(const cli_env& env, const std::string& sid) {
  const auto rows = env.query("SELECT state FROM sessions WHERE session_id = '" + sid + "'");
  return rows.empty() ? std::string() : rows.front().front();
}

/// Writes to the journal behind the product's back, as the conformance text allows for
/// leases ("a test that needs an expired lease moves lease_expires_at into the past").
void exec_sql(const cli_env& env, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(env.state_db().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + env.state_db().string());
  }
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  const int changed = sqlite3_changes(db);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error("sql failed: " + message);
  if (changed != 1) throw std::runtime_error("sql changed " + std::to_string(changed) + " rows");
}

void expire_lease(const cli_env& env, const std::string& sid) {
  exec_sql(env,
           "UPDATE writeback_progress SET lease_expires_at = '2000-01-01T00:00:00.000Z' "
           "WHERE session_id = '" +
               sid + "'");
}

std::int64_t int_column(const json::value& row, std::string_view column) {
  const auto* v = row.find(column);
  return v && v->is_int() ? v->as_int() : -1;
}

std::string string_column(const json::value& row, std::string_view column) {
  const auto* v = row.find(column);
  return v && v->is_string() ? v->as_string() : std::string("<not a string>");
}

cli_result resume(const cli_env& env, const std::string& sid) {
  return env.run({"run-crm", "--write", "--resume", sid});
}

/// The seed's third hand-written queue row: the one with an owner override and no fixed id.
std::string override_row(const cli_env& env) {
  for (const auto& r : env.rows("acme_callqueue")) {
    const auto* o = r.find("acme_owneroverride");
    if (o && o->is_string() && o->as_string() == callback_owner)
      return r.find("acme_callqueueid")->as_string();
  }
  throw std::runtime_error("no queue row with an owner override in the seed");
}

bool has_warning(const cli_result& r, const std::string& code) {
  return r.out.find("  " + code + ":") != std::string::npos;
}

/// The `ownerid@odata.bind` of the (only) Task POST in `log`.
std::string task_owner_bind(const std::vector<json::value>& log) {
  const auto posts = with_step(log, "task_post");
  if (posts.size() != 1) return "<" + std::to_string(posts.size()) + " Task POSTs>";
  const auto body = body_of(posts.front());
  const auto* bind = body.find("ownerid@odata.bind");
  return bind && bind->is_string() ? bind->as_string() : "<no owner bind>";
}

/// Runs the ready row with every Task POST answering 503 until the retries are exhausted:
/// the session ends `resume_needed` with the Phone Call and the status update done.
std::string run_until_task_exhaustion(cli_env& env) {
  add_faults(env, R"json([{"id": "tasks-down", "match": {"method": "POST", "path": "^tasks$"},
                            "action": "status", "status": 503, "times": -1}])json");
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 2);
  REQUIRE(r.line("exit_status") == "resume_needed");
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(starts_with(sid, "ses_"));
  REQUIRE(ledger_of(env, sid) == std::vector<std::string>{"resume_needed", "1", "1", "1", "0"});
  return sid;
}

}  // namespace

// ---- Happy path ----------------------------------------------------------------------------

TEST_CASE(
    "write run sends token, readiness, load, claim, pre-write read, phone call, queue "
    "patch and task in order",
    "[e2e][resume]") {
  cli_env env;
  const auto load_etag = string_column(env.row("acme_callqueue", ready_row), "@odata.etag");
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.line("exit_status") == "completed");
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(starts_with(sid, "ses_"));
  const auto log = env.requests();
  const auto steps = steps_of(log);
  INFO(json::write_compact(json::value(json::array(log.begin(), log.end()))));

  // Token first, then readiness (metadata and both owner checks), then the session.
  REQUIRE(!steps.empty());
  CHECK(steps.front() == "token");
  const auto first_load = std::find(steps.begin(), steps.end(), "queue_read");
  REQUIRE(first_load != steps.end());
  const std::vector<std::string> readiness(steps.begin() + 1, first_load);
  CHECK(std::count(readiness.begin(), readiness.end(), "metadata") > 0);
  for (const auto& s : readiness) CHECK((s == "metadata" || s == "owner_check" || s == "token"));
  const auto readiness_log =
      std::vector<json::value>(log.begin(), log.begin() + (first_load - steps.begin()));
  bool callback_checked = false, review_checked = false;
  for (const auto& q : with_step(readiness_log, "owner_check")) {
    if (query_of(q).find(callback_owner) != std::string::npos) callback_checked = true;
    if (query_of(q).find(review_owner) != std::string::npos) review_checked = true;
  }
  CHECK(callback_checked);
  CHECK(review_checked);

  std::vector<std::string> session_steps;
  for (auto it = first_load; it != steps.end(); ++it)
    if (*it != "token") session_steps.push_back(*it);
  CHECK(session_steps == std::vector<std::string>{"queue_read", "facility_name", "claim",
                                                  "queue_read", "phone_prequery", "phone_post",
                                                  "phone_close", "queue_patch", "task_prequery",
                                                  "task_post"});
  CHECK(std::count(session_steps.begin(), session_steps.end(), "owner_check") == 0);

  const std::vector<json::value> session_log(log.begin() + (first_load - steps.begin()), log.end());
  // Claim: If-Match of the load ETag, representation asked for.
  const auto claims = with_step(session_log, "claim");
  REQUIRE(claims.size() == 1);
  CHECK(header_of(claims[0], "If-Match") == load_etag);
  CHECK(header_of(claims[0], "Prefer") == "return=representation");
  CHECK(int_column(body_of(claims[0]), "acme_status") == status_in_progress);
  CHECK(string_column(body_of(claims[0]), "acme_lastsession") == sid);
  CHECK(int_column(body_of(claims[0]), "acme_attempts") == 2);
  // Pre-write read: one row by primary id (dataverse.md §7.1 asks for $top=1).
  const auto reads = with_step(session_log, "queue_read");
  REQUIRE(reads.size() == 2);
  CHECK(query_of(reads[1]).find("$top=1") != std::string::npos);
  // Phone Call: POST with the deterministic activityid, close with If-Match: *.
  const auto rid = uuid_v5(opencloser_uuid_namespace, "opencloser:" + sid + ":phonecall");
  const auto posts = with_step(session_log, "phone_post");
  REQUIRE(posts.size() == 1);
  CHECK(string_column(body_of(posts[0]), "activityid") == rid);
  CHECK(string_column(body_of(posts[0]), "acme_idemkey") == sid);
  const auto closes = with_step(session_log, "phone_close");
  REQUIRE(closes.size() == 1);
  CHECK(path_of(closes[0]) == "phonecalls(" + rid + ")");
  CHECK(header_of(closes[0], "If-Match") == "*");
  // Queue status PATCH: If-Match of the claim ETag, last_error cleared.
  const auto baselines = env.query("SELECT phase, etag FROM queue_baselines WHERE session_id = '" +
                                   sid + "' ORDER BY phase");
  REQUIRE(baselines.size() == 2);
  CHECK(baselines[0] == std::vector<std::string>{"claim", baselines[0][1]});
  CHECK(baselines[1] == std::vector<std::string>{"load", load_etag});
  const auto patches = with_step(session_log, "queue_patch");
  REQUIRE(patches.size() == 1);
  CHECK(header_of(patches[0], "If-Match") == baselines[0][1]);
  CHECK(baselines[0][1] != load_etag);
  const auto patch_body = body_of(patches[0]);
  REQUIRE(patch_body.find("acme_lasterror") != nullptr);
  CHECK(patch_body.find("acme_lasterror")->is_null());
  // Task: deterministic id and the session key.
  const auto task_posts = with_step(session_log, "task_post");
  REQUIRE(task_posts.size() == 1);
  CHECK(string_column(body_of(task_posts[0]), "activityid") ==
        uuid_v5(opencloser_uuid_namespace, "opencloser:" + sid + ":task"));

  // Ledger, correlations and the one session id everywhere.
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"completed", "1", "1", "1", "1"});
  const auto correlations =
      env.query("SELECT record_kind, write_status FROM crm_correlations WHERE session_id = '" +
                sid + "' ORDER BY record_kind");
  CHECK(correlations == std::vector<std::vector<std::string>>{{"phone_call_activity", "confirmed"},
                                                              {"queue_claim", "confirmed"},
                                                              {"queue_status", "confirmed"},
                                                              {"task", "confirmed"}});
  const auto calls = env.rows("phonecall");
  REQUIRE(calls.size() == 1);
  CHECK(string_column(calls[0], "acme_idemkey") == sid);
  const auto tasks = env.rows("task");
  REQUIRE(tasks.size() == 1);
  CHECK(string_column(tasks[0], "acme_idemkey") == sid);
  CHECK(string_column(env.row("acme_callqueue", ready_row), "acme_lastsession") == sid);
  CHECK(env.artifact(sid, "session-result.json").find("session_id")->as_string() == sid);
  CHECK(env.artifact(sid, "run-report.json").find("session_id")->as_string() == sid);
  CHECK(session_state_of(env, sid) == "finalized");
}

// ---- Retries and lost responses ------------------------------------------------------------

TEST_CASE("one 503 on the Phone Call POST is followed by a key pre-query and a single record",
          "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  add_faults(env, R"json([{"match": {"method": "POST", "path": "^phonecalls$"},
                            "action": "status", "status": 503, "times": 1}])json");
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  std::vector<std::string> phone_steps;
  for (const auto& s : steps_of(env.requests()))
    if (s == "phone_prequery" || s == "phone_post") phone_steps.push_back(s);
  CHECK(phone_steps ==
        std::vector<std::string>{"phone_prequery", "phone_post", "phone_prequery", "phone_post"});
  CHECK(env.rows("phonecall").size() == 1);
  CHECK(env.rows("task").size() == 1);
}

TEST_CASE(
    "lost responses on the Phone Call POST, its close and the Task POST leave no "
    "duplicate",
    "[e2e][resume]") {
  struct lost_case {
    const char* name;
    const char* rule;
  };
  const lost_case cases[] = {
      {"phone call POST", R"json({"match": {"method": "POST", "path": "^phonecalls$"}})json"},
      {"phone call close", R"json({"match": {"method": "PATCH", "path": "^phonecalls\\("}})json"},
      {"task POST", R"json({"match": {"method": "POST", "path": "^tasks$"}})json"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      cli_env env;
      use_fast_retry(env);
      auto rule = json::parse(c.rule);
      rule.set("action", "lost_response");
      rule.set("times", 1);
      env.emu.add_fault(json::value(json::array{rule}));
      const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
      INFO(r.out << r.err);
      CHECK(r.exit_code == 0);
      CHECK(r.line("exit_status") == "completed");
      const auto sid = r.line("session_id").value_or("");
      const auto calls = env.rows("phonecall");
      REQUIRE(calls.size() == 1);
      CHECK(int_column(calls[0], "statecode") == 1);
      CHECK(env.rows("task").size() == 1);
      CHECK(ledger_of(env, sid) == std::vector<std::string>{"completed", "1", "1", "1", "1"});
      // The fault did fire (a lost response is logged like any other request).
      std::size_t faulted = 0;
      for (const auto& q : env.requests())
        if (!q.find("fault")->is_null()) ++faulted;
      CHECK(faulted == 1);
    }
  }
}

TEST_CASE("lost response on the queue PATCH: resent, 412, re-read shows it applied, completed",
          "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  // The claim is the first queue PATCH; the status update the second.
  add_faults(env, R"json([{"match": {"method": "PATCH", "path": "^acme_callqueues\\("},
                            "action": "lost_response", "skip": 1, "times": 1}])json");
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  const auto sid = r.line("session_id").value_or("");
  const auto log = env.requests();
  const auto patches = with_step(log, "queue_patch");
  REQUIRE(patches.size() == 2);
  CHECK(status_of(patches[1]) == 412);
  const auto steps = steps_of(log);
  const auto second = std::find(std::find(steps.begin(), steps.end(), "queue_patch") + 1,
                                steps.end(), "queue_patch");
  REQUIRE(second != steps.end());
  REQUIRE(second + 1 != steps.end());
  CHECK(*(second + 1) == "queue_read");
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"completed", "1", "1", "1", "1"});
  const auto row = env.row("acme_callqueue", ready_row);
  CHECK(int_column(row, "acme_status") == status_ready);
  CHECK(string_column(row, "acme_lastsession") == sid);
  CHECK(env.rows("task").size() == 1);
}

TEST_CASE("lost response on the claim: 412, re-read shows the claim, attempts incremented once",
          "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  const auto attempts_before = int_column(env.row("acme_callqueue", ready_row), "acme_attempts");
  add_faults(env, R"json([{"match": {"method": "PATCH", "path": "^acme_callqueues\\("},
                            "action": "lost_response", "times": 1}])json");
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  const auto sid = r.line("session_id").value_or("");
  const auto claims = with_step(env.requests(), "claim");
  REQUIRE(claims.size() == 2);
  CHECK(status_of(claims[1]) == 412);
  CHECK(int_column(env.row("acme_callqueue", ready_row), "acme_attempts") == attempts_before + 1);
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"completed", "1", "1", "1", "1"});
  CHECK(env.rows("phonecall").size() == 1);
  CHECK(env.rows("task").size() == 1);
}

// ---- Transient exhaustion and resume (T052) ------------------------------------------------

TEST_CASE("every Task POST answering 503 ends resume_needed and the resume completes the Task",
          "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  add_faults(env, R"json([{"id": "tasks-down", "match": {"method": "POST", "path": "^tasks$"},
                            "action": "status", "status": 503, "times": -1}])json");
  const auto run = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 2);
  CHECK(run.line("exit_status") == "resume_needed");
  const auto sid = run.line("session_id").value_or("");
  REQUIRE(starts_with(sid, "ses_"));

  // 4 Task POSTs, each after a key pre-query; the rest of the write-back landed.
  std::vector<std::string> task_steps;
  for (const auto& s : steps_of(env.requests()))
    if (starts_with(s, "task_")) task_steps.push_back(s);
  CHECK(task_steps == std::vector<std::string>{"task_prequery", "task_post", "task_prequery",
                                               "task_post", "task_prequery", "task_post",
                                               "task_prequery", "task_post"});
  const auto calls = env.rows("phonecall");
  REQUIRE(calls.size() == 1);
  CHECK(int_column(calls[0], "statecode") == 1);
  CHECK(env.rows("task").empty());
  const auto row = env.row("acme_callqueue", ready_row);
  CHECK(int_column(row, "acme_status") == status_ready);
  CHECK(string_column(row, "acme_lastdisposition") == "interested_callback_requested");
  CHECK(string_column(row, "acme_lastsession") == sid);
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"resume_needed", "1", "1", "1", "0"});
  CHECK(env.has_artifact(sid, "planned-writeback.json"));
  CHECK(env.has_artifact(sid, "http-plan.json"));
  CHECK(env.has_artifact(sid, "session-result.json"));
  CHECK_FALSE(env.has_artifact(sid, "writeback.json"));
  CHECK_FALSE(env.has_artifact(sid, "task.json"));

  // Resume with the fault cleared: only the Task is replayed.
  env.emu.clear_faults();
  const auto mark = log_mark(env);
  const auto resumed = resume(env, sid);
  INFO(resumed.out << resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK(resumed.line("exit_status") == "completed");
  CHECK(resumed.line("session_id") == sid);
  CHECK(resumed.line("operations_replayed") == "task");
  CHECK(resumed.line("message") == "resume completed; replayed 1 operation(s): task");
  CHECK(env.rows("phonecall").size() == 1);
  const auto tasks = env.rows("task");
  REQUIRE(tasks.size() == 1);
  CHECK(string_column(tasks[0], "acme_idemkey") == sid);
  const auto replay_log = env.requests(mark);
  CHECK(with_step(replay_log, "queue_patch").empty());
  CHECK(with_step(replay_log, "claim").empty());
  CHECK(with_step(replay_log, "phone_post").empty());
  CHECK(with_step(replay_log, "task_post").size() == 1);
  CHECK(env.has_artifact(sid, "writeback.json"));
  CHECK(env.has_artifact(sid, "task.json"));
  CHECK(session_state_of(env, sid) == "finalized");
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"completed", "1", "1", "1", "1"});
  const auto report = env.artifact(sid, "run-report.json");
  CHECK(report.find("resumed")->as_bool());
  CHECK(report.find("command")->as_string() == "resume");
  CHECK(report.find("exit_status")->as_string() == "completed");
  CHECK(*report.find("operations_replayed") == json::value(json::array{"task"}));

  // Resuming a completed session: nothing to do, no request, no secret needed.
  for (const char* name : {"DATAVERSE_TENANT_ID", "DATAVERSE_CLIENT_ID", "DATAVERSE_CLIENT_SECRET",
                           "DATAVERSE_ENV_URL"})
    env.env.erase(name);
  const auto mark2 = log_mark(env);
  const auto again = resume(env, sid);
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.line("exit_status") == "no-resume-needed");
  CHECK(env.requests(mark2).empty());
  CHECK(env.rows("task").size() == 1);
}

TEST_CASE("a preserve column edited while the session waits for resume blocks the resume",
          "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  // The claim (first queue PATCH) lands; every status update answers 503.
  add_faults(env, R"json([{"match": {"method": "PATCH", "path": "^acme_callqueues\\("},
                            "action": "status", "status": 503, "skip": 1, "times": -1}])json");
  const auto run = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 2);
  CHECK(run.line("exit_status") == "resume_needed");
  const auto sid = run.line("session_id").value_or("");
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"resume_needed", "1", "1", "0", "0"});
  CHECK(env.rows("task").empty());

  env.emu.clear_faults();
  env.emu.edit_row(
      "acme_callqueue", ready_row,
      json::value(json::object{{"acme_notes", "Changed by a human during the pause"}}));
  const auto mark = log_mark(env);
  const auto resumed = resume(env, sid);
  INFO(resumed.out << resumed.err);
  CHECK(resumed.exit_code == 1);
  CHECK(resumed.line("exit_status") == "blocked");
  CHECK(resumed.line("block_reason") == "conflict_detected");
  CHECK(resumed.line("message").value_or("").find("acme_notes") != std::string::npos);
  CHECK(writes_in(env.requests(mark)) == 0);
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"blocked", "1", "1", "0", "0"});
  CHECK(env.rows("task").empty());

  const auto mark2 = log_mark(env);
  const auto again = resume(env, sid);
  INFO(again.out << again.err);
  CHECK(again.exit_code == 1);
  CHECK(again.line("exit_status") == "blocked");
  CHECK(again.line("block_reason") == "conflict_detected");
  CHECK(env.requests(mark2).empty());
}

// ---- Resume plan files and pre-flight errors -----------------------------------------------

TEST_CASE("resume falls back to writeback.json when planned-writeback.json is absent",
          "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  const auto sid = run_until_task_exhaustion(env);
  const auto dir = env.session_dir(sid);
  fs::rename(dir / "planned-writeback.json", dir / "writeback.json");
  env.emu.clear_faults();
  const auto r = resume(env, sid);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  CHECK(r.line("operations_replayed") == "task");
  CHECK(env.rows("task").size() == 1);
  CHECK(env.rows("phonecall").size() == 1);
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"completed", "1", "1", "1", "1"});
}

TEST_CASE("resume of a truncated plan is a malformed-plan pre-flight error", "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  const auto sid = run_until_task_exhaustion(env);
  const auto plan = env.session_dir(sid) / "planned-writeback.json";
  const auto text = slurp(plan);
  spit(plan, text.substr(0, text.size() / 2));
  env.emu.clear_faults();
  const auto mark = log_mark(env);
  const auto r = resume(env, sid);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("error:       resume pre-flight failed: " + plan.string() +
                   " is malformed or unreadable: ") != std::string::npos);
  CHECK(writes_in(env.requests(mark)) == 0);
  CHECK(env.rows("task").empty());
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"resume_needed", "1", "1", "1", "0"});
}

TEST_CASE("resume of an eligibility-blocked session without plan files is a pre-flight error",
          "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  // The DNC row's blocked-path status PATCH exhausts its retries.
  add_faults(env, R"json([{"match": {"method": "PATCH", "path": "^acme_callqueues\\("},
                            "action": "status", "status": 503, "times": -1}])json");
  const auto run = env.run_crm(dnc_row, "standard", "", {"--write"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 2);
  REQUIRE(run.line("exit_status") == "resume_needed");
  const auto sid = run.line("session_id").value_or("");
  const auto dir = env.session_dir(sid);
  fs::remove(dir / "planned-writeback.json");
  fs::remove(dir / "writeback.json");
  env.emu.clear_faults();
  const auto mark = log_mark(env);
  const auto r = resume(env, sid);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("resume pre-flight failed: neither planned-writeback.json nor writeback.json "
                   "exists under " +
                   dir.string()) != std::string::npos);
  CHECK(writes_in(env.requests(mark)) == 0);
}

TEST_CASE("resume usage and pre-flight errors exit 2 before any request", "[e2e][resume]") {
  cli_env env;
  SECTION("unknown session") {
    const std::string sid = "ses_0123456789abcdef0123456789abcdef";
    const auto r = resume(env, sid);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("error:       resume pre-flight failed: session '" + sid +
                     "' has no writeback_progress row; nothing to resume") != std::string::npos);
  }
  SECTION("--resume without --write") {
    const auto r = env.run({"run-crm", "--resume", "ses_0123456789abcdef0123456789abcdef"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(
              "error:       --resume requires --write (resume is a write-back continuation)") !=
          std::string::npos);
  }
  SECTION("malformed session id") {
    const auto r = env.run({"run-crm", "--write", "--resume", "ses_XYZ"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("error:       --resume 'ses_XYZ' is not a valid session id") !=
          std::string::npos);
  }
  SECTION("session id with a trailing character") {
    const auto r =
        env.run({"run-crm", "--write", "--resume", "ses_0123456789abcdef0123456789abcdef0"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("is not a valid session id") != std::string::npos);
  }
  CHECK(env.requests().empty());
  CHECK_FALSE(fs::exists(env.artifacts()));
}

TEST_CASE("resume after the mapping file changed is refused with zero requests", "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  const auto mapping = use_mapping_copy(env);
  const auto sid = run_until_task_exhaustion(env);
  // Same meaning, other bytes: the digest persisted with the plan no longer matches.
  spit(mapping,
       replace_once(slurp(mapping), "A real org's mapping", "A real organisation's mapping"));
  env.emu.clear_faults();
  const auto mark = log_mark(env);
  const auto r = resume(env, sid);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("resume pre-flight failed: mapping " + mapping.string() +
                   " changed since session '" + sid +
                   "' was planned; restore the mapping used by that session") != std::string::npos);
  CHECK(env.requests(mark).empty());
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"resume_needed", "1", "1", "1", "0"});
}

// ---- Leases, crashes and claim release -----------------------------------------------------

TEST_CASE("crash after the plan: a live lease refuses the resume, an expired one is taken over",
          "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  env.env["OPENCLOSER_TEST_CRASH_AT"] = "after_plan";
  const auto crashed = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(crashed.out << crashed.err);
  REQUIRE(crashed.exit_code == 137);
  env.env.erase("OPENCLOSER_TEST_CRASH_AT");
  const auto sessions = env.query("SELECT session_id FROM writeback_progress");
  REQUIRE(sessions.size() == 1);
  const auto sid = sessions[0][0];
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"in_progress", "1", "0", "0", "0"});
  CHECK(env.has_artifact(sid, "planned-writeback.json"));
  CHECK(env.rows("phonecall").empty());

  const auto mark = log_mark(env);
  const auto refused = resume(env, sid);
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 2);
  CHECK(refused.line("exit_status") == "failed");
  CHECK((refused.out + refused.err)
            .find("resume pre-flight failed: session '" + sid + "' is 'in_progress' until ") !=
        std::string::npos);
  CHECK(env.requests(mark).empty());

  expire_lease(env, sid);
  const auto r = resume(env, sid);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  CHECK(r.line("operations_replayed") == "phone_call_activity, queue_status_update, task");
  CHECK(env.rows("phonecall").size() == 1);
  CHECK(env.rows("task").size() == 1);
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"completed", "1", "1", "1", "1"});
  CHECK(int_column(env.row("acme_callqueue", ready_row), "acme_status") == status_ready);
}

TEST_CASE("a second resume while the first holds the lease fails without a request",
          "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  const auto sid = run_until_task_exhaustion(env);
  env.emu.clear_faults();
  // The first resume's Task POST is held for a while; the second starts meanwhile.
  add_faults(env, R"json([{"match": {"method": "POST", "path": "^tasks$"},
                            "action": "latency", "latency_ms": 6000, "times": 1}])json");
  const auto mark = log_mark(env);
  cli_result first;
  std::thread holder([&] { first = resume(env, sid); });
  // The Task pre-query precedes the held POST; once it is logged the lease is taken.
  bool prequery_seen = false;
  for (int i = 0; i < 3000 && !prequery_seen; ++i) {
    prequery_seen = !with_step(env.requests(mark), "task_prequery").empty();
    if (!prequery_seen) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  cli_result second;
  std::uint64_t mark2 = 0;
  if (prequery_seen) {
    mark2 = log_mark(env);
    second = resume(env, sid);
  }
  holder.join();
  REQUIRE(prequery_seen);
  INFO(first.out << first.err << second.out << second.err);
  CHECK(second.exit_code == 2);
  CHECK(second.line("exit_status") == "failed");
  std::size_t second_requests = 0;
  for (const auto& q : env.requests(mark2))
    if (step_of(q) != "task_post") ++second_requests;  // the first run's held POST
  CHECK(second_requests == 0);
  CHECK(first.exit_code == 0);
  CHECK(env.rows("task").size() == 1);
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"completed", "1", "1", "1", "1"});
}

TEST_CASE("crash after the claim, lease expired: resume releases the claim", "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  const auto attempts_before = int_column(env.row("acme_callqueue", ready_row), "acme_attempts");
  env.env["OPENCLOSER_TEST_CRASH_AT"] = "after_claim";
  const auto crashed = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(crashed.out << crashed.err);
  REQUIRE(crashed.exit_code == 137);
  env.env.erase("OPENCLOSER_TEST_CRASH_AT");
  const auto sessions = env.query("SELECT session_id FROM writeback_progress");
  REQUIRE(sessions.size() == 1);
  const auto sid = sessions[0][0];
  CHECK(int_column(env.row("acme_callqueue", ready_row), "acme_status") == status_in_progress);
  CHECK_FALSE(env.has_artifact(sid, "planned-writeback.json"));

  expire_lease(env, sid);
  const auto r = resume(env, sid);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  CHECK(r.line("operations_replayed") == "queue_claim_release");
  const auto row = env.row("acme_callqueue", ready_row);
  CHECK(int_column(row, "acme_status") == status_ready);
  CHECK(string_column(row, "acme_lastdisposition") == "failed");
  CHECK(string_column(row, "acme_lasterror") ==
        "session " + sid + " interrupted before completion; claim released");
  CHECK(int_column(row, "acme_attempts") == attempts_before + 1);
  CHECK(ledger_of(env, sid).at(0) == "aborted");
  CHECK(session_state_of(env, sid) == "aborted");
  CHECK(env.rows("phonecall").empty());
  CHECK(env.rows("task").empty());
  const auto report = env.artifact(sid, "run-report.json");
  CHECK(*report.find("operations_replayed") == json::value(json::array{"queue_claim_release"}));
}

TEST_CASE("claim transient exhaustion with the row unchanged fails and aborts the session",
          "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  const auto before = env.row("acme_callqueue", ready_row);
  add_faults(env, R"json([{"match": {"method": "PATCH", "path": "^acme_callqueues\\("},
                            "action": "status", "status": 503, "times": -1}])json");
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.line("exit_status") == "failed");
  CHECK(starts_with(r.line("message").value_or(""), "dataverse claim failed: "));
  const auto sid = r.line("session_id").value_or("");
  const auto log = env.requests();
  CHECK(with_step(log, "claim").size() == 4);
  const auto steps = steps_of(log);
  REQUIRE(!steps.empty());
  CHECK(steps.back() == "queue_read");  // the verification read
  CHECK(ledger_of(env, sid).at(0) == "aborted");
  CHECK(session_state_of(env, sid) == "aborted");
  CHECK(env.row("acme_callqueue", ready_row) == before);
  CHECK(env.rows("phonecall").empty());
  CHECK_FALSE(env.has_artifact(sid, "transcript.txt"));
}

TEST_CASE(
    "claim state unknown (claim landed, every answer lost, verification read failing) "
    "ends resume_needed and the resume releases the claim",
    "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  // The load GET passes; later queue reads fail; every claim PATCH loses its response.
  add_faults(env, R"json([{"match": {"method": "PATCH", "path": "^acme_callqueues\\("},
                            "action": "lost_response", "times": -1},
                           {"match": {"method": "GET", "path": "^acme_callqueues$"},
                            "action": "status", "status": 503, "skip": 1, "times": -1}])json");
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 2);
  CHECK(r.line("exit_status") == "resume_needed");
  const auto sid = r.line("session_id").value_or("");
  CHECK(ledger_of(env, sid).at(0) == "resume_needed");
  CHECK(env.rows("phonecall").empty());
  CHECK(int_column(env.row("acme_callqueue", ready_row), "acme_status") == status_in_progress);

  env.emu.clear_faults();
  const auto resumed = resume(env, sid);
  INFO(resumed.out << resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK(resumed.line("exit_status") == "completed");
  CHECK(resumed.line("operations_replayed") == "queue_claim_release");
  const auto row = env.row("acme_callqueue", ready_row);
  CHECK(int_column(row, "acme_status") == status_ready);
  CHECK(string_column(row, "acme_lastdisposition") == "failed");
  CHECK(ledger_of(env, sid).at(0) == "aborted");
  CHECK(env.rows("phonecall").empty());
}

// ---- Permanent failures --------------------------------------------------------------------

TEST_CASE(
    "Task POST answering 400 blocks the session as permanent_other and resume stays "
    "blocked",
    "[e2e][resume]") {
  cli_env env;
  use_fast_retry(env);
  add_faults(env, R"json([{"match": {"method": "POST", "path": "^tasks$"},
                            "action": "status", "status": 400, "times": -1}])json");
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.line("exit_status") == "blocked");
  CHECK(r.line("block_reason") == "permanent_other");
  const auto sid = r.line("session_id").value_or("");
  CHECK(with_step(env.requests(), "task_post").size() == 1);
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"blocked", "1", "1", "1", "0"});
  CHECK(env.rows("phonecall").size() == 1);
  CHECK(env.rows("task").empty());

  env.emu.clear_faults();
  const auto mark = log_mark(env);
  const auto resumed = resume(env, sid);
  INFO(resumed.out << resumed.err);
  CHECK(resumed.exit_code == 1);
  CHECK(resumed.line("exit_status") == "blocked");
  CHECK(resumed.line("block_reason") == "permanent_other");
  CHECK(env.requests(mark).empty());
  CHECK(env.rows("task").empty());
}

// ---- Task owner override -------------------------------------------------------------------

TEST_CASE(
    "Task owner override: verified user or team owns the Task, anything else falls back "
    "to the default with a warning",
    "[e2e][resume]") {
  cli_env env;
  const auto row = override_row(env);
  const std::string disabled_user = "3f0c0000-0000-4000-8000-0000000000d1";
  const std::string access_team = "3f0c0000-0000-4000-8000-0000000000a1";
  env.emu.insert_row("systemuser", json::value(json::object{{"systemuserid", disabled_user},
                                                            {"fullname", "Former Employee"},
                                                            {"isdisabled", true}}));
  env.emu.insert_row(
      "team",
      json::value(json::object{{"teamid", access_team}, {"name", "Access Team"}, {"teamtype", 1}}));

  struct owner_case {
    const char* name;
    json::value override_value;  ///< null: keep the seed's (the active callback user)
    const char* conversation;
    std::string expected_bind;
    bool warned;
  };
  // A review Task's default is the review team, a callback Task's the callback user: each case
  // picks the kind whose default differs from what the override would give.
  const owner_case cases[] = {
      {"active user", json::value(), "uncertain_intent", "/systemusers(" + callback_owner + ")",
       false},
      {"owner team", json::value(review_owner), "callback_weekday_pm",
       "/teams(" + review_owner + ")", false},
      {"not a GUID", json::value("dana.reviewer"), "callback_weekday_pm",
       "/systemusers(" + callback_owner + ")", true},
      {"disabled user", json::value(disabled_user), "uncertain_intent",
       "/teams(" + review_owner + ")", true},
      {"access team", json::value(access_team), "uncertain_intent", "/teams(" + review_owner + ")",
       true},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      if (!c.override_value.is_null())
        env.emu.edit_row("acme_callqueue", row,
                         json::value(json::object{{"acme_owneroverride", c.override_value}}));
      const auto mark = log_mark(env);
      const auto r = env.run_crm(row, "standard", c.conversation, {"--write"});
      INFO(r.out << r.err);
      CHECK(r.exit_code == 0);
      CHECK(r.line("exit_status") == "completed");
      const auto log = env.requests(mark);
      CHECK(task_owner_bind(log) == c.expected_bind);
      CHECK(has_warning(r, "task_owner_override_unverifiable") == c.warned);
      const auto sid = r.line("session_id").value_or("");
      const auto owner = c.expected_bind.substr(c.expected_bind.find('(') + 1, 36);
      CHECK(env.artifact(sid, "task.json").find("assigned_to")->as_string() == owner);
    }
  }
}
