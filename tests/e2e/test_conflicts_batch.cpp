// run-crm end to end: conflicts (conformance.md §10) and the `$batch` write-back mode (§13).
// A conflict is provoked by an emulator fault rule that edits the queue row at the right moment
// of the run (emulator.md §6): `before` the claim PATCH (between load and claim), `after` the
// claim PATCH (between claim and the pre-write read), or just before the queue status PATCH.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/cli_harness.hpp"

using namespace opencloser;
using namespace opencloser::e2e;

namespace {

constexpr std::int64_t status_ready = 100000000;
constexpr std::int64_t status_blocked = 100000003;
/// The seeded attempt count of `ready_row` (config/emulator-seed.json).
constexpr std::int64_t seeded_attempts = 1;

/// The regex (as JSON text) of a PATCH on one queue row: `^acme_callqueues\(`.
const std::string queue_row_path = R"("^acme_callqueues\\(")";

/// A row fault (`human_edit`, `bump_version`, `delete_row`) on `ready_row` that fires on the
/// n-th queue-row PATCH (`skip` = n - 1): the claim is the first, the status update the second.
json::value row_fault_on_queue_patch(const std::string& action, const std::string& when, int skip,
                                     const std::string& changes = "null", int times = 1,
                                     bool inner = false) {
  return json::parse(R"({"match": {"method": "PATCH", "path": )" + queue_row_path +
                     (inner ? R"(, "inner": true)" : "") + R"(}, "action": ")" + action +
                     R"(", "when": ")" + when + R"(", "skip": )" + std::to_string(skip) +
                     R"(, "times": )" + std::to_string(times) +
                     R"(, "target": {"table": "acme_callqueue", "id": ")" + ready_row +
                     R"("}, "changes": )" + changes + "}");
}

bool is_write(const json::value& entry) {
  const auto& method = entry.find("method")->as_string();
  const auto& path = entry.find("path")->as_string();
  return path != "token" && (method == "POST" || method == "PATCH" || method == "DELETE");
}

/// Top-level Web API writes in the log (the harness's write_count looks for "/api/data/" in
/// the logged path, which the emulator logs relative to the service root).
std::size_t top_level_writes(const cli_env& env) {
  std::size_t n = 0;
  for (const auto& entry : env.requests())
    if (entry.find("batch_seq")->is_null() && is_write(entry)) ++n;
  return n;
}

/// Top-level requests with this method whose path starts with `path_prefix`.
std::vector<json::value> requests_to(const cli_env& env, const std::string& method,
                                     const std::string& path_prefix) {
  std::vector<json::value> out;
  for (const auto& entry : env.requests())
    if (entry.find("batch_seq")->is_null() && entry.find("method")->as_string() == method &&
        entry.find("path")->as_string().rfind(path_prefix, 0) == 0)
      out.push_back(entry);
  return out;
}

std::vector<std::string> ledger_of(const cli_env& env, const std::string& sid) {
  const auto rows = env.query(
      "SELECT run_status, claim_done, phone_call_activity_done, queue_status_update_done, "
      "task_done FROM writeback_progress WHERE session_id = '" +
      sid + "'");
  return rows.empty() ? std::vector<std::string>{} : rows.front();
}

std::string session_state(const cli_env& env, const std::string& sid) {
  const auto rows = env.query("SELECT state FROM sessions WHERE session_id = '" + sid + "'");
  return rows.empty() ? "" : rows.front().front();
}

std::int64_t queue_attempts(const cli_env& env) {
  return env.row("acme_callqueue", ready_row).find("acme_attempts")->as_int();
}

/// Where a conflict is found. The spec words the message of the claim (dataverse.md §6) and
/// of the queue PATCH (§7.3); the pre-write read's (§7.1) only has to name the fields.
enum class found_at { claim, pre_write_read, queue_patch };

/// The common verdict of every conflict (§10 heading): exit 1, blocked/conflict_detected, the
/// message naming the fields, ledger `blocked`, the run report agreeing.
void check_conflict_verdict(const cli_env& env, const cli_result& r, found_at where,
                            const std::vector<std::string>& fields) {
  CHECK(r.exit_code == 1);
  CHECK(r.line("exit_status") == "blocked");
  CHECK(r.line("block_reason") == "conflict_detected");
  const auto message = r.line("message").value_or("");
  const std::string subject = "conflict_detected: queue item '" + ready_row + "' ";
  CHECK(message.rfind(subject, 0) == 0);
  if (where == found_at::claim)
    CHECK(message.rfind(subject + "changed between load and claim; conflicting fields: ", 0) == 0);
  if (where == found_at::queue_patch)
    CHECK(message.rfind(subject + "changed between claim and write-back; conflicting fields: ",
                        0) == 0);
  CHECK(message.find("conflicting fields: ") != std::string::npos);
  for (const auto& field : fields) CHECK(message.find(field) != std::string::npos);
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(sid.rfind("ses_", 0) == 0);
  const auto ledger = ledger_of(env, sid);
  REQUIRE(ledger.size() == 5);
  CHECK(ledger[0] == "blocked");
  CHECK(env.query("SELECT block_reason FROM writeback_progress WHERE session_id = '" + sid +
                  "'")[0][0] == "conflict_detected");
  const auto report = env.artifact(sid, "run-report.json");
  CHECK(report.find("exit_status")->as_string() == "blocked");
  CHECK(report.find("block_reason")->as_string() == "conflict_detected");
}

/// A conflict found at the claim: the session is `aborted` without a call, an attempt or a
/// write-back; only the eligibility decision and the run report are on disk.
void check_claim_conflict_records(const cli_env& env, const cli_result& r) {
  const auto sid = r.line("session_id").value_or("");
  CHECK(session_state(env, sid) == "aborted");
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"blocked", "0", "0", "0", "0"});
  CHECK(env.rows("phonecall").empty());
  CHECK(env.rows("task").empty());
  CHECK(env.has_artifact(sid, "eligibility-decision.json"));
  CHECK(env.has_artifact(sid, "run-report.json"));
  CHECK_FALSE(env.has_artifact(sid, "transcript.txt"));
  CHECK_FALSE(env.has_artifact(sid, "planned-writeback.json"));
  CHECK(env.query("SELECT count(*) FROM mock_call_events WHERE session_id = '" + sid + "'")[0][0] ==
        "0");
  // The only write is the claim PATCH itself, answered 412 (once or twice).
  const auto claims = requests_to(env, "PATCH", "acme_callqueues(");
  REQUIRE_FALSE(claims.empty());
  for (const auto& claim : claims) CHECK(claim.find("status")->as_int() == 412);
  CHECK(top_level_writes(env) == claims.size());
}

/// A conflict found by the pre-write read: claimed, but no record created and no status PATCH.
void check_pre_write_conflict_records(const cli_env& env, const cli_result& r) {
  const auto sid = r.line("session_id").value_or("");
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"blocked", "1", "0", "0", "0"});
  CHECK(env.rows("phonecall").empty());
  CHECK(env.rows("task").empty());
  CHECK(top_level_writes(env) == 1);  // the claim
  CHECK(requests_to(env, "POST", "phonecalls").empty());
}

cli_result run_callback(const cli_env& env) {
  return env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
}

}  // namespace

// ---- between load and claim: 412 on the claim, re-read ---------------------------------------

TEST_CASE("status changed between load and claim is a claim conflict naming the status column",
          "[e2e][conflict]") {
  cli_env env;
  env.emu.add_fault(row_fault_on_queue_patch(
      "human_edit", "before", 0, R"({"acme_status": )" + std::to_string(status_blocked) + "}"));
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  check_conflict_verdict(env, r, found_at::claim, {"acme_status"});
  check_claim_conflict_records(env, r);
  CHECK(queue_attempts(env) == seeded_attempts);
}

TEST_CASE("DNC set between load and claim is a claim conflict naming the DNC column",
          "[e2e][conflict]") {
  cli_env env;
  env.emu.add_fault(row_fault_on_queue_patch("human_edit", "before", 0, R"({"acme_dnc": true})"));
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  check_conflict_verdict(env, r, found_at::claim, {"acme_dnc"});
  check_claim_conflict_records(env, r);
  CHECK(queue_attempts(env) == seeded_attempts);
}

// ---- after the claim: the pre-write read ------------------------------------------------------

TEST_CASE("preserve column edited after the claim is a pre-write conflict", "[e2e][conflict]") {
  cli_env env;
  env.emu.add_fault(
      row_fault_on_queue_patch("human_edit", "after", 0, R"({"acme_notes": "Edited by Dana."})"));
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  check_conflict_verdict(env, r, found_at::pre_write_read, {"acme_notes"});
  check_pre_write_conflict_records(env, r);
}

TEST_CASE("preserve column going from null to a value after the claim is a pre-write conflict",
          "[e2e][conflict]") {
  cli_env env;
  env.emu.edit_row("acme_callqueue", ready_row, json::parse(R"({"acme_notes": null})"));
  env.emu.add_fault(
      row_fault_on_queue_patch("human_edit", "after", 0, R"({"acme_notes": "New note."})"));
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  check_conflict_verdict(env, r, found_at::pre_write_read, {"acme_notes"});
  check_pre_write_conflict_records(env, r);
}

TEST_CASE("status changed after the claim is a pre-write conflict naming the status column",
          "[e2e][conflict]") {
  cli_env env;
  env.emu.add_fault(row_fault_on_queue_patch(
      "human_edit", "after", 0, R"({"acme_status": )" + std::to_string(status_ready) + "}"));
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  check_conflict_verdict(env, r, found_at::pre_write_read, {"acme_status"});
  check_pre_write_conflict_records(env, r);
}

TEST_CASE("last session id overwritten after the claim is a pre-write conflict",
          "[e2e][conflict]") {
  cli_env env;
  env.emu.add_fault(row_fault_on_queue_patch(
      "human_edit", "after", 0, R"({"acme_lastsession": "ses_00000000000000000000000000000000"})"));
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  check_conflict_verdict(env, r, found_at::pre_write_read, {"acme_lastsession"});
  check_pre_write_conflict_records(env, r);
}

TEST_CASE("row deleted after the claim is a pre-write conflict __row_deleted__",
          "[e2e][conflict]") {
  cli_env env;
  env.emu.add_fault(row_fault_on_queue_patch("delete_row", "after", 0));
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  check_conflict_verdict(env, r, found_at::pre_write_read, {"__row_deleted__"});
  check_pre_write_conflict_records(env, r);
  CHECK(env.row("acme_callqueue", ready_row).is_null());
}

TEST_CASE("only a non-compared column edited after the claim is a pre-write conflict on the ETag",
          "[e2e][conflict]") {
  cli_env env;
  env.emu.add_fault(
      row_fault_on_queue_patch("human_edit", "after", 0, R"({"acme_maxattempts": 7})"));
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  check_conflict_verdict(env, r, found_at::pre_write_read, {"@odata.etag"});
  check_pre_write_conflict_records(env, r);
}

// ---- just before the queue status PATCH: 412, re-read ----------------------------------------

TEST_CASE(
    "an edit just before the queue PATCH is a conflict after the Phone Call and before the Task",
    "[e2e][conflict]") {
  cli_env env;
  // skip 1: the claim is the first queue-row PATCH, the status update the second.
  env.emu.add_fault(
      row_fault_on_queue_patch("human_edit", "before", 1, R"({"acme_notes": "Edited by Dana."})"));
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  check_conflict_verdict(env, r, found_at::queue_patch, {"acme_notes"});
  const auto sid = r.line("session_id").value_or("");
  CHECK(r.line("message") ==
        "conflict_detected: queue item '" + ready_row +
            "' changed between claim and write-back; conflicting fields: acme_notes. Manual "
            "reconciliation required.");
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"blocked", "1", "1", "0", "0"});
  const auto calls = env.rows("phonecall");
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].find("acme_idemkey")->as_string() == sid);
  CHECK(calls[0].find("statecode")->as_int() == 1);
  CHECK(env.rows("task").empty());
  CHECK(requests_to(env, "POST", "tasks").empty());
  const auto patches = requests_to(env, "PATCH", "acme_callqueues(");
  REQUIRE(patches.size() == 2);
  CHECK(patches[1].find("status")->as_int() == 412);
  // The human's edit survives: nothing overwrote the row after the 412.
  CHECK(env.row("acme_callqueue", ready_row).find("acme_notes")->as_string() == "Edited by Dana.");
}

TEST_CASE("a version bump just before the queue PATCH is a conflict on the ETag",
          "[e2e][conflict]") {
  cli_env env;
  env.emu.add_fault(row_fault_on_queue_patch("bump_version", "before", 1));
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  check_conflict_verdict(env, r, found_at::queue_patch, {"@odata.etag"});
  const auto sid = r.line("session_id").value_or("");
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"blocked", "1", "1", "0", "0"});
  CHECK(env.rows("phonecall").size() == 1);
  CHECK(env.rows("task").empty());
}

// ---- not a conflict: a bare version bump between load and claim ------------------------------

TEST_CASE("a version bump between load and claim is re-claimed once and completes",
          "[e2e][conflict]") {
  cli_env env;
  env.emu.add_fault(row_fault_on_queue_patch("bump_version", "before", 0));
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  const auto sid = r.line("session_id").value_or("");
  const auto patches = requests_to(env, "PATCH", "acme_callqueues(");
  REQUIRE(patches.size() == 3);  // claim (412), claim again, status update
  CHECK(patches[0].find("status")->as_int() == 412);
  CHECK(patches[1].find("status")->as_int() / 100 == 2);
  CHECK(patches[2].find("status")->as_int() / 100 == 2);
  // The second claim carries the re-read ETag, not the load ETag.
  const auto* first_if_match = patches[0].find("headers")->find("If-Match");
  const auto* second_if_match = patches[1].find("headers")->find("If-Match");
  REQUIRE(first_if_match);
  REQUIRE(second_if_match);
  CHECK(first_if_match->as_string() != second_if_match->as_string());
  CHECK(queue_attempts(env) == seeded_attempts + 1);
  CHECK(env.rows("phonecall").size() == 1);
  CHECK(env.rows("task").size() == 1);
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"completed", "1", "1", "1", "1"});
}

TEST_CASE("two version bumps between load and claim are a conflict on the ETag",
          "[e2e][conflict]") {
  cli_env env;
  env.emu.add_fault(row_fault_on_queue_patch("bump_version", "before", 0, "null", 2));
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  check_conflict_verdict(env, r, found_at::claim, {"@odata.etag"});
  check_claim_conflict_records(env, r);
  CHECK(requests_to(env, "PATCH", "acme_callqueues(").size() == 2);
  CHECK(queue_attempts(env) == seeded_attempts);
}

// ---- two concurrent runs on one ready row ------------------------------------------------------

TEST_CASE("two concurrent next-ready runs on one ready row - one completes and one conflicts",
          "[e2e][conflict]") {
  cli_env env;
  const std::string lone_campaign = "c0000000-0000-4000-8000-00000000ca77";
  const std::string lone_row = "7a110000-0000-4000-8000-000000000001";
  env.emu.insert_row(
      "acme_callqueue",
      json::parse(R"({"acme_callqueueid": ")" + lone_row + R"(", "_acme_campaignid_value": ")" +
                  lone_campaign +
                  R"(", "_acme_accountid_value": "5a1e0c6d-1111-4a2b-9c3d-000000000001",
                                    "acme_phone": "+15555550199", "acme_tz": "America/Chicago",
                                    "acme_attempts": 0, "acme_dnc": false,
                                    "acme_status": 100000000})"));
  // Both claims are held until both have arrived, so both runs load before either claims.
  env.emu.add_fault(json::parse(R"({"match": {"method": "PATCH", "path": )" + queue_row_path +
                                R"(}, "action": "barrier", "count": 2, "times": 2,
                                   "latency_ms": 30000})"));
  const std::vector<std::string> args{"run-crm",
                                      "--write",
                                      "--next-ready",
                                      "--campaign",
                                      lone_campaign,
                                      "--transport-fixture",
                                      fixture("transport_events/standard.json").string(),
                                      "--conversation-fixture",
                                      fixture("conversations/callback_weekday_pm.json").string()};
  // The state database exists before the race, so the two processes race for the row only
  // (a first-time creation race on the database file is a separate matter).
  const auto init = env.run({"init-state"});
  REQUIRE(init.exit_code == 0);
  cli_result first, second;
  std::thread a([&] { first = env.run(args); });
  // Start the second process only once the first one talks to the emulator: the harness's
  // output-file counter is not thread-safe, and this keeps the two forks apart.
  while (env.requests().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::thread b([&] { second = env.run(args); });
  a.join();
  b.join();
  INFO(first.out << first.err << "\n----\n" << second.out << second.err);

  const bool first_won = first.exit_code == 0;
  const auto& winner = first_won ? first : second;
  const auto& loser = first_won ? second : first;
  CHECK(winner.exit_code == 0);
  CHECK(winner.line("exit_status") == "completed");
  CHECK(loser.exit_code == 1);
  CHECK(loser.line("exit_status") == "blocked");
  CHECK(loser.line("block_reason") == "conflict_detected");
  CHECK(loser.line("queue_item_id") == lone_row);
  CHECK(loser.line("message").value_or("").rfind(
            "conflict_detected: queue item '" + lone_row + "' changed between load and claim", 0) ==
        0);
  const auto loser_sid = loser.line("session_id").value_or("");
  CHECK(session_state(env, loser_sid) == "aborted");
  CHECK(ledger_of(env, loser_sid) == std::vector<std::string>{"blocked", "0", "0", "0", "0"});
  CHECK_FALSE(env.has_artifact(loser_sid, "transcript.txt"));
  const auto calls = env.rows("phonecall");
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].find("acme_idemkey")->as_string() == winner.line("session_id").value_or("?"));
  CHECK(env.row("acme_callqueue", lone_row).find("acme_attempts")->as_int() == 1);
}

// ---- §13 $batch mode -----------------------------------------------------------------------

namespace {

/// Inner operations logged under one `$batch` envelope.
std::vector<json::value> inner_operations(const cli_env& env, const json::value& envelope) {
  std::vector<json::value> out;
  const auto seq = envelope.find("seq")->as_int();
  for (const auto& entry : env.requests()) {
    const auto* batch = entry.find("batch_seq");
    if (batch && batch->is_int() && batch->as_int() == seq) out.push_back(entry);
  }
  return out;
}

std::vector<std::string> methods_and_sets(const std::vector<json::value>& operations) {
  std::vector<std::string> out;
  for (const auto& op : operations) {
    const auto& path = op.find("path")->as_string();
    out.push_back(op.find("method")->as_string() + " " + path.substr(0, path.find('(')));
  }
  return out;
}

}  // namespace

TEST_CASE("batch mode: one $batch with 4 operations commits the whole write-back",
          "[e2e][conflict][batch]") {
  cli_env env;
  env.env["OPENCLOSER_WRITEBACK_MODE"] = "batch";
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  const auto sid = r.line("session_id").value_or("");
  const auto batches = requests_to(env, "POST", "$batch");
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].find("status")->as_int() == 200);
  const auto ops = inner_operations(env, batches[0]);
  CHECK(methods_and_sets(ops) == std::vector<std::string>{"POST phonecalls", "PATCH phonecalls",
                                                          "PATCH acme_callqueues", "POST tasks"});
  // Besides the batch, the only top-level write is the claim.
  CHECK(top_level_writes(env) == 2);
  CHECK(requests_to(env, "POST", "phonecalls").empty());
  CHECK(requests_to(env, "POST", "tasks").empty());
  const auto calls = env.rows("phonecall");
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].find("statecode")->as_int() == 1);
  CHECK(calls[0].find("acme_idemkey")->as_string() == sid);
  const auto tasks = env.rows("task");
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].find("acme_idemkey")->as_string() == sid);
  const auto queue = env.row("acme_callqueue", ready_row);
  CHECK(queue.find("acme_lastsession")->as_string() == sid);
  CHECK(queue.find("acme_status")->as_int() == status_ready);
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"completed", "1", "1", "1", "1"});
  CHECK(env.artifact(sid, "run-report.json").find("writeback_mode")->as_string() == "batch");
}

TEST_CASE("batch mode without a Task: one $batch with 3 operations", "[e2e][conflict][batch]") {
  cli_env env;
  env.env["OPENCLOSER_WRITEBACK_MODE"] = "batch";
  const auto r = env.run_crm(ready_row, "standard", "not_interested", {"--write"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.line("final_disposition") == "not_interested");
  const auto sid = r.line("session_id").value_or("");
  const auto batches = requests_to(env, "POST", "$batch");
  REQUIRE(batches.size() == 1);
  CHECK(methods_and_sets(inner_operations(env, batches[0])) ==
        std::vector<std::string>{"POST phonecalls", "PATCH phonecalls", "PATCH acme_callqueues"});
  CHECK(env.rows("phonecall").size() == 1);
  CHECK(env.rows("task").empty());
  CHECK(env.row("acme_callqueue", ready_row).find("acme_status")->as_int() == 100000002);
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"completed", "1", "1", "1", "1"});
}

TEST_CASE(
    "batch mode: a human edit before the inner queue PATCH rolls back the batch as a conflict",
    "[e2e][conflict][batch]") {
  cli_env env;
  env.env["OPENCLOSER_WRITEBACK_MODE"] = "batch";
  env.emu.add_fault(row_fault_on_queue_patch("human_edit", "before", 0,
                                             R"({"acme_notes": "Edited by Dana."})", 1, true));
  const auto r = run_callback(env);
  INFO(r.out << r.err);
  check_conflict_verdict(env, r, found_at::pre_write_read, {"acme_notes"});
  const auto sid = r.line("session_id").value_or("");
  const auto batches = requests_to(env, "POST", "$batch");
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].find("status")->as_int() == 412);
  CHECK(batches[0].find("committed")->as_bool() == false);
  // Nothing of the change set survived: no Phone Call, no Task, the status untouched by us.
  CHECK(env.rows("phonecall").empty());
  CHECK(env.rows("task").empty());
  const auto queue = env.row("acme_callqueue", ready_row);
  CHECK(queue.find("acme_notes")->as_string() == "Edited by Dana.");
  CHECK(queue.find("acme_status")->as_int() == 100000001);  // still the claim's in_progress
  CHECK(ledger_of(env, sid) == std::vector<std::string>{"blocked", "1", "0", "0", "0"});
}
