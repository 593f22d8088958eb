// The Dataverse emitter's `$batch` write-back (dataverse.md §7.5, conformance.md §13) against
// the emulator, through the gateway, after a real claim: one change set committed atomically
// (with and without a Task), a human edit just before the change set's queue PATCH, a lost
// response and a 503 on the batch, the retry budget running out, a duplicate key inside the
// change set, and the sequential fall-backs (something already done, or found by the checks).
// Backoff is 0.01 s; nothing asserts speed.

#include <catch2/catch.hpp>

#include <caf/scoped_actor.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "actors/common/ids.hpp"
#include "actors/dataverse_emitter/dataverse_emitter_actor.hpp"
#include "adapters/dataverse/dataverse_requests.hpp"
#include "adapters/dataverse/dataverse_responses.hpp"
#include "adapters/http/http_headers.hpp"
#include "tests/actors/emulated_dataverse.hpp"

using namespace opencloser;

namespace {

const std::string queue_row = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11";
const std::string session = "ses_00000000000000000000000000000001";
const std::string other_session = "ses_00000000000000000000000000000002";
const std::string owner = "3f0c0000-0000-4000-8000-0000000000b1";
constexpr std::int64_t completed_value = 100000002;

const std::string phone_rid = deterministic_record_id(session, "phonecall");
const std::string task_rid = deterministic_record_id(session, "task");
const std::string queue_patch = "PATCH acme_callqueues(" + queue_row + ")";

/// A callback session's plan: a Phone Call, the row to `completed`, a callback Task.
writeback_plan callback_plan() {
  writeback_plan p;
  p.session_id = session;
  p.phone_call_activity = phone_call_payload{session,
                                             queue_row,
                                             std::string("mock_call_1"),
                                             "persona-v1",
                                             disposition::interested_callback_requested,
                                             "Asked for a callback on a weekday afternoon.",
                                             "2026-06-01T14:00:00.000Z",
                                             "2026-06-01T14:03:00.000Z"};
  p.queue_status = queue_status_update{session,
                                       queue_row,
                                       callable_status::in_progress,
                                       callable_status::completed,
                                       "interested_callback_requested",
                                       "2026-06-01T14:03:00.000Z",
                                       false};
  task_payload t;
  t.task_id = "task_00000000000000000000000000000001";
  t.session_id = session;
  t.queue_item_id = queue_row;
  t.kind = task_kind::callback;
  t.subject = "Callback: Maple Court ALF";
  t.preferred_callback_window = std::string("weekday afternoon");
  t.assigned_to = owner;
  t.persona_version = "persona-v1";
  t.created_at = "2026-06-01T14:03:00.000Z";
  p.task = t;
  return p;
}

/// Fault paths as JSON string contents (a backslash doubled): the `$batch` envelope itself
/// (a top-level request), and the change set's queue PATCH (an operation inside the batch).
const std::string batch_path = "^\\\\$batch$";
const std::string inner_queue_path = "^acme_callqueues\\\\(";

std::string text_of(const json::value* v) {
  return v && v->is_string() ? v->as_string() : std::string();
}

struct batch_fixture : testing::emulated_dataverse {
  dataverse::resolved_mapping mapping = testing::acme_mapping();
  dataverse_emitter_actor emitter;
  std::size_t log_mark = 0;  ///< request-log entries before the write-back

  batch_fixture() : emulated_dataverse(0.01) {
    retry_settings retry;
    retry.backoff_seconds = {0.01};
    emitter = sys->spawn(dataverse_emitter, dataverse_emitter_config{gateway, mapping, retry});
  }
  ~batch_fixture() { stop(emitter); }

  /// A rule as a one-element JSON array: `match` members, action and extra members as text.
  void add_fault(const std::string& match, const std::string& action, std::int64_t times,
                 const std::string& extra = {}) {
    emu.add_fault(json::parse(R"([{"match": {)" + match + R"(}, "action": ")" + action +
                              R"(", "times": )" + std::to_string(times) + extra + "}]"));
  }

  /// Loads and claims the demo row and returns the batch-mode write-back order with the claim
  /// baseline.
  emit_order claimed_order() {
    const auto request = dataverse::queue_load_by_id_request(mapping, queue_row);
    claim_order claim{session, queue_row, {}, 0};
    {
      caf::scoped_actor self{*sys};
      self->request(gateway, caf::infinite,
                    dataverse_call{request.step, request.method, request.relative_url,
                                   request.headers, request.body_text(), true})
          .receive(
              [&](dataverse_reply& r) {
                REQUIRE(r.outcome == dataverse_outcome::success);
                const auto row = dataverse::first_row(json::parse(r.body));
                REQUIRE(row);
                claim.row_json = json::write_compact(*row);
                claim.loaded_attempts = row->find("acme_attempts")->as_int();
              },
              [&](caf::error& e) { FAIL(sys->render(e)); });
    }
    const auto claimed = ask<claim_outcome>(emitter, claim);
    REQUIRE(claimed.status == claim_status::claimed);
    emit_order order;
    order.session_id = session;
    order.queue_item_id = queue_row;
    order.plan = callback_plan();
    order.baseline_row_json = claimed.row_json;
    order.task_owner_set = "systemusers";
    order.batch = true;
    log_mark = emu.requests().as_array().size();
    return order;
  }

  emit_outcome emit(emit_order order) { return ask<emit_outcome>(emitter, std::move(order)); }

  std::vector<json::value> log_entries_since_mark() const {
    const auto log = emu.requests();
    const auto& entries = log.as_array();
    return {entries.begin() + static_cast<std::ptrdiff_t>(log_mark), entries.end()};
  }
  static bool is_inner(const json::value& entry) {
    const auto* b = entry.find("batch_seq");
    return b && !b->is_null();
  }
  static std::string line(const json::value& e) {
    return e.find("method")->as_string() + " " + e.find("path")->as_string();
  }
  /// The requests the emitter sent itself, as `METHOD path` (no batch operations, no query).
  std::vector<std::string> top_level_requests() const {
    std::vector<std::string> out;
    for (const auto& e : log_entries_since_mark())
      if (!is_inner(e)) out.push_back(line(e));
    return out;
  }
  /// The top-level `$batch` requests' logged statuses (0: no answer was sent).
  std::vector<std::int64_t> batch_statuses() const {
    std::vector<std::int64_t> out;
    for (const auto& e : log_entries_since_mark())
      if (!is_inner(e) && line(e) == "POST $batch")
        out.push_back(e.find("status")->is_int() ? e.find("status")->as_int() : 0);
    return out;
  }
  /// The operations run inside a batch, in order.
  std::vector<json::value> inner_operations() const {
    std::vector<json::value> out;
    for (const auto& e : log_entries_since_mark())
      if (is_inner(e)) out.push_back(e);
    return out;
  }

  std::vector<json::value> rows(const std::string& table) const {
    const auto state = emu.state();
    const auto* t = state.find("tables")->find(table);
    if (!t) return {};
    return t->as_array();
  }
  json::value queue_in_dump() const {
    for (const auto& r : rows("acme_callqueue"))
      if (r.find("acme_callqueueid")->as_string() == queue_row) return r;
    return {};
  }
};

std::string header_value(const json::value& entry, std::string_view name) {
  for (const auto& [k, v] : entry.find("headers")->as_object())
    if (ascii_iequals(k, name)) return v.as_string();
  return {};
}

bool closed(const json::value& phone_call) {
  return *phone_call.find("statecode") == json::value(std::int64_t{1});
}

}  // namespace

TEST_CASE("batch mode sends one change set committed atomically, with and without a Task",
          "[emit][batch]") {
  const bool with_task = GENERATE(true, false);
  INFO("with a Task: " << with_task);
  batch_fixture fx;
  auto order = fx.claimed_order();
  if (!with_task) {
    order.plan.task.reset();
    order.task_done = true;  // as the planner sets it when no Task is required
  }
  const auto claim_etag = json::parse(order.baseline_row_json).find("@odata.etag")->as_string();
  const auto outcome = fx.emit(order);
  INFO(outcome.message);
  REQUIRE(outcome.status == emit_status::completed);
  CHECK(outcome.phone_call_done);
  CHECK(outcome.queue_status_done);
  CHECK(outcome.task_done);

  // §7.1, the key pre-queries, then one $batch and no plain write.
  std::vector<std::string> expected{"GET acme_callqueues", "GET phonecalls"};
  if (with_task) expected.push_back("GET tasks");
  expected.push_back("POST $batch");
  CHECK(fx.top_level_requests() == expected);
  CHECK(fx.batch_statuses() == std::vector<std::int64_t>{200});

  const auto ops = fx.inner_operations();
  std::vector<std::string> op_lines;
  for (const auto& op : ops) {
    op_lines.push_back(batch_fixture::line(op));
    CHECK(*op.find("committed") == json::value(true));
  }
  std::vector<std::string> expected_ops{"POST phonecalls", "PATCH phonecalls(" + phone_rid + ")",
                                        queue_patch};
  if (with_task) expected_ops.push_back("POST tasks");
  CHECK(op_lines == expected_ops);
  REQUIRE(ops.size() >= 3);
  // The close is addressed by the deterministic id, unconditionally; the queue PATCH carries
  // the claim ETag.
  CHECK(header_value(ops[1], "If-Match") == "*");
  CHECK(header_value(ops[2], "If-Match") == claim_etag);

  REQUIRE(outcome.results.size() == (with_task ? 3u : 2u));
  CHECK(outcome.results[0].record_kind == crm_record_kind::phone_call_activity);
  CHECK(outcome.results[0].dataverse_record_id == nullable<std::string>(phone_rid));
  CHECK(outcome.results[1].record_kind == crm_record_kind::queue_status);
  CHECK(outcome.results[1].dataverse_record_id == nullable<std::string>(queue_row));
  if (with_task) {
    CHECK(outcome.results[2].record_kind == crm_record_kind::task);
    CHECK(outcome.results[2].dataverse_record_id == nullable<std::string>(task_rid));
  }
  for (const auto& r : outcome.results) {
    CHECK(r.write_status == crm_write_status::confirmed);
    CHECK(r.idempotency_key == session);
  }

  const auto calls = fx.rows("phonecall");
  REQUIRE(calls.size() == 1);
  CHECK(text_of(calls[0].find("activityid")) == phone_rid);
  CHECK(text_of(calls[0].find("acme_idemkey")) == session);
  CHECK(closed(calls[0]));
  const auto tasks = fx.rows("task");
  REQUIRE(tasks.size() == (with_task ? 1u : 0u));
  if (with_task) {
    CHECK(text_of(tasks[0].find("activityid")) == task_rid);
    CHECK(text_of(tasks[0].find("_ownerid_value")) == owner);
  }
  const auto row = fx.queue_in_dump();
  CHECK(*row.find("acme_status") == json::value(completed_value));
  CHECK(text_of(row.find("acme_lastsession")) == session);
  CHECK(text_of(row.find("acme_lastdisposition")) == "interested_callback_requested");
}

TEST_CASE("a human edit just before the change set's queue PATCH is a conflict, nothing written",
          "[emit][batch]") {
  batch_fixture fx;
  const auto order = fx.claimed_order();
  const auto status_before = *fx.queue_in_dump().find("acme_status");
  fx.add_fault(R"("method": "PATCH", "inner": true, "path": ")" + inner_queue_path + "\"",
               "human_edit", 1,
               R"(, "when": "before", "target": {"table": "acme_callqueue", "id": ")" + queue_row +
                   R"("}, "changes": {"acme_notes": "Edited by a human."})");
  const auto outcome = fx.emit(order);
  REQUIRE(outcome.status == emit_status::conflict);
  CHECK(outcome.conflicting_fields == std::vector<std::string>{"acme_notes"});
  CHECK(outcome.message ==
        "conflict_detected: queue item '" + queue_row +
            "' changed between claim and write-back; conflicting fields: acme_notes. Manual "
            "reconciliation required.");
  CHECK_FALSE(outcome.phone_call_done);
  CHECK_FALSE(outcome.queue_status_done);
  CHECK_FALSE(outcome.task_done);

  // The envelope answered 412; the change set rolled back; only the re-read followed.
  CHECK(fx.batch_statuses() == std::vector<std::int64_t>{412});
  for (const auto& op : fx.inner_operations()) CHECK(*op.find("committed") == json::value(false));
  const std::vector<std::string> expected{"GET acme_callqueues", "GET phonecalls", "GET tasks",
                                          "POST $batch", "GET acme_callqueues"};
  CHECK(fx.top_level_requests() == expected);
  CHECK(fx.rows("phonecall").empty());
  CHECK(fx.rows("task").empty());
  const auto row = fx.queue_in_dump();
  CHECK(*row.find("acme_status") == status_before);
  CHECK(text_of(row.find("acme_notes")) == "Edited by a human.");
}

TEST_CASE("a lost response on the batch: the checks find everything applied, no second batch",
          "[emit][batch]") {
  batch_fixture fx;
  const auto order = fx.claimed_order();
  fx.add_fault(R"("method": "POST", "path": ")" + batch_path + "\"", "lost_response", 1);
  const auto outcome = fx.emit(order);
  INFO(outcome.message);
  REQUIRE(outcome.status == emit_status::completed);
  CHECK(outcome.phone_call_done);
  CHECK(outcome.queue_status_done);
  CHECK(outcome.task_done);
  const std::vector<std::string> expected{
      "GET acme_callqueues", "GET phonecalls", "GET tasks", "POST $batch",
      "GET acme_callqueues", "GET phonecalls", "GET tasks"};
  CHECK(fx.top_level_requests() == expected);
  CHECK(fx.batch_statuses() == std::vector<std::int64_t>{0});  // committed, never answered
  REQUIRE(outcome.results.size() == 3);
  CHECK(outcome.results[0].dataverse_record_id == nullable<std::string>(phone_rid));
  CHECK(outcome.results[2].dataverse_record_id == nullable<std::string>(task_rid));
  const auto calls = fx.rows("phonecall");
  REQUIRE(calls.size() == 1);
  CHECK(closed(calls[0]));
  CHECK(fx.rows("task").size() == 1);
  CHECK(*fx.queue_in_dump().find("acme_status") == json::value(completed_value));
}

TEST_CASE("a 503 on the batch: resent after the checks find nothing applied", "[emit][batch]") {
  batch_fixture fx;
  const auto order = fx.claimed_order();
  fx.add_fault(R"("method": "POST", "path": ")" + batch_path + "\"", "status", 1,
               R"(, "status": 503)");
  const auto outcome = fx.emit(order);
  INFO(outcome.message);
  REQUIRE(outcome.status == emit_status::completed);
  const std::vector<std::string> expected{
      "GET acme_callqueues", "GET phonecalls", "GET tasks", "POST $batch",
      "GET acme_callqueues", "GET phonecalls", "GET tasks", "POST $batch"};
  CHECK(fx.top_level_requests() == expected);
  CHECK(fx.batch_statuses() == std::vector<std::int64_t>{503, 200});
  // The gateway did not resend the batch by itself: every request above is one attempt.
  CHECK(outcome.counters.requests == 8);
  const auto calls = fx.rows("phonecall");
  REQUIRE(calls.size() == 1);
  CHECK(closed(calls[0]));
  CHECK(fx.rows("task").size() == 1);
  CHECK(*fx.queue_in_dump().find("acme_status") == json::value(completed_value));
}

TEST_CASE("a batch answering 503 every time ends resume_needed after four tries", "[emit][batch]") {
  batch_fixture fx;
  const auto order = fx.claimed_order();
  fx.add_fault(R"("method": "POST", "path": ")" + batch_path + "\"", "status", -1,
               R"(, "status": 503)");
  const auto outcome = fx.emit(order);
  REQUIRE(outcome.status == emit_status::resume_needed);
  CHECK_FALSE(outcome.phone_call_done);
  CHECK_FALSE(outcome.queue_status_done);
  CHECK_FALSE(outcome.task_done);
  CHECK(outcome.message.rfind("dataverse write-back failed: $batch: ", 0) == 0);
  // 1 + max_retries batches, each after the checks found nothing.
  CHECK(fx.batch_statuses() == std::vector<std::int64_t>{503, 503, 503, 503});
  const auto log = fx.top_level_requests();
  CHECK(std::count(log.begin(), log.end(), "GET phonecalls") == 4);
  REQUIRE(outcome.results.size() == 3);
  for (const auto& r : outcome.results) CHECK(r.write_status == crm_write_status::failed);
  CHECK(fx.rows("phonecall").empty());
  CHECK(fx.rows("task").empty());
}

TEST_CASE("a resume with the Phone Call done sends the remainder sequentially, no batch",
          "[emit][batch]") {
  batch_fixture fx;
  auto order = fx.claimed_order();
  // The earlier run's Phone Call, closed.
  fx.emu.insert_row(
      "phonecall", json::parse(R"({"activityid": ")" + phone_rid + R"(", "acme_idemkey": ")" +
                               session + R"(", "subject": "x", "statecode": 1, "statuscode": 2})"));
  order.phone_call_done = true;
  const auto outcome = fx.emit(order);
  INFO(outcome.message);
  REQUIRE(outcome.status == emit_status::completed);
  const std::vector<std::string> expected{"GET acme_callqueues", queue_patch, "GET tasks",
                                          "POST tasks"};
  CHECK(fx.top_level_requests() == expected);
  CHECK(fx.batch_statuses().empty());
  CHECK(fx.inner_operations().empty());
  CHECK(fx.rows("phonecall").size() == 1);
  CHECK(fx.rows("task").size() == 1);
  CHECK(*fx.queue_in_dump().find("acme_status") == json::value(completed_value));
}

TEST_CASE("a Phone Call the pre-query finds turns the batch into the sequential remainder",
          "[emit][batch]") {
  batch_fixture fx;
  const auto order = fx.claimed_order();
  // An earlier run's Phone Call for this session, not yet closed; the flags never said so.
  fx.emu.insert_row("phonecall",
                    json::parse(R"({"activityid": ")" + phone_rid + R"(", "acme_idemkey": ")" +
                                session + R"(", "subject": "x"})"));
  const auto outcome = fx.emit(order);
  INFO(outcome.message);
  REQUIRE(outcome.status == emit_status::completed);
  CHECK(fx.batch_statuses().empty());
  const auto log = fx.top_level_requests();
  CHECK(std::count(log.begin(), log.end(), "POST phonecalls") == 0);
  CHECK(std::count(log.begin(), log.end(), "PATCH phonecalls(" + phone_rid + ")") == 1);
  CHECK(std::count(log.begin(), log.end(), queue_patch) == 1);
  CHECK(std::count(log.begin(), log.end(), "POST tasks") == 1);
  const auto calls = fx.rows("phonecall");
  REQUIRE(calls.size() == 1);
  CHECK(closed(calls[0]));
  CHECK(fx.rows("task").size() == 1);
  REQUIRE_FALSE(outcome.results.empty());
  CHECK(outcome.results[0].dataverse_record_id == nullable<std::string>(phone_rid));
}

TEST_CASE("a duplicate key inside the change set is read back by id like a sequential create",
          "[emit][batch]") {
  batch_fixture fx;
  const auto order = fx.claimed_order();
  // Another session's record holds the deterministic id: the key pre-query cannot see it.
  fx.emu.insert_row("phonecall", json::parse(R"({"activityid": ")" + phone_rid +
                                             R"(", "acme_idemkey": ")" + other_session + "\"}"));
  const auto outcome = fx.emit(order);
  CHECK(outcome.status == emit_status::permanent);
  CHECK(outcome.message.find("idempotency key '" + other_session + "'") != std::string::npos);
  CHECK_FALSE(outcome.phone_call_done);
  CHECK_FALSE(outcome.queue_status_done);
  // One batch (412, rolled back), then the sequential create and its read-back by id.
  CHECK(fx.batch_statuses() == std::vector<std::int64_t>{412});
  const auto log = fx.top_level_requests();
  CHECK(std::count(log.begin(), log.end(), "GET phonecalls(" + phone_rid + ")") == 1);
  CHECK(std::count(log.begin(), log.end(), queue_patch) == 0);
  CHECK(fx.rows("phonecall").size() == 1);  // only the other session's
  CHECK(fx.rows("task").empty());
  CHECK(*fx.queue_in_dump().find("acme_status") != json::value(completed_value));
}

TEST_CASE("batch mode on the blocked path (no Phone Call) sends the plain status PATCH",
          "[emit][batch]") {
  batch_fixture fx;
  auto order = fx.claimed_order();
  order.plan.phone_call_activity.reset();
  order.plan.task.reset();
  order.task_done = true;
  const auto outcome = fx.emit(order);
  INFO(outcome.message);
  REQUIRE(outcome.status == emit_status::completed);
  const std::vector<std::string> expected{"GET acme_callqueues", queue_patch};
  CHECK(fx.top_level_requests() == expected);
  CHECK(fx.batch_statuses().empty());
}
