// The Dataverse emitter's sequential write-back (dataverse.md §7.1–§7.4) against the emulator,
// through the gateway, after a real claim: the happy path and its request order
// (conformance.md §9), a 503 and lost responses in the create loops and on the close, the
// duplicate-key read-back with this and another session's key, a lost response on the queue
// PATCH, a human edit just before it (§10's last row) and a Task POST that never succeeds.
// Backoff is 0.01 s; nothing asserts speed.

#include <catch2/catch.hpp>

#include <caf/scoped_actor.hpp>

#include <string>
#include <vector>

#include "actors/common/ids.hpp"
#include "actors/dataverse_emitter/dataverse_emitter_actor.hpp"
#include "adapters/dataverse/dataverse_requests.hpp"
#include "adapters/dataverse/dataverse_responses.hpp"
#include "tests/actors/emulated_dataverse.hpp"

using namespace opencloser;

namespace {

const std::string queue_row = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11";
const std::string session = "ses_00000000000000000000000000000001";
const std::string other_session = "ses_00000000000000000000000000000002";
const std::string owner = "3f0c0000-0000-4000-8000-0000000000b1";
constexpr std::int64_t completed_value = 100000002;

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

/// One fault rule: `match` as JSON text, the action and its extra members.
json::value fault(std::string_view method, std::string_view path, std::string_view action,
                  std::int64_t times, std::string_view extra = {}) {
  return json::parse(R"([{"match": {"method": ")" + std::string(method) + R"(", "path": ")" +
                     std::string(path) + R"("}, "action": ")" + std::string(action) +
                     R"(", "times": )" + std::to_string(times) + std::string(extra) + "}]");
}

struct emit_fixture : testing::emulated_dataverse {
  dataverse::resolved_mapping mapping = testing::acme_mapping();
  dataverse_emitter_actor emitter;
  std::size_t log_mark = 0;  ///< request-log entries before the write-back

  emit_fixture() : emulated_dataverse(0.01) {
    retry_settings retry;
    retry.backoff_seconds = {0.01};
    emitter = sys->spawn(dataverse_emitter, dataverse_emitter_config{gateway, mapping, retry});
  }
  ~emit_fixture() { stop(emitter); }

  /// Loads and claims the demo row (as test_claim.cpp does) and returns the write-back order
  /// with the claim baseline.
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
    log_mark = emu.requests().as_array().size();
    return order;
  }

  emit_outcome emit(emit_order order) { return ask<emit_outcome>(emitter, std::move(order)); }

  /// The write-back's requests as `METHOD path` (the query left out).
  std::vector<std::string> requests_since_mark() const {
    std::vector<std::string> out;
    const auto log = emu.requests();
    const auto& entries = log.as_array();
    for (std::size_t i = log_mark; i < entries.size(); ++i)
      out.push_back(entries[i].find("method")->as_string() + " " +
                    entries[i].find("path")->as_string());
    return out;
  }
  std::vector<json::value> log_entries_since_mark() const {
    const auto log = emu.requests();
    const auto& entries = log.as_array();
    return {entries.begin() + static_cast<std::ptrdiff_t>(log_mark), entries.end()};
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

const std::string phone_rid = deterministic_record_id(session, "phonecall");
const std::string task_rid = deterministic_record_id(session, "task");

std::string text_of(const json::value* v) {
  return v && v->is_string() ? v->as_string() : std::string();
}

}  // namespace

TEST_CASE("the write-back sends pre-write read, Phone Call, close, queue PATCH and Task in order",
          "[emit]") {
  emit_fixture fx;
  const auto order = fx.claimed_order();
  const auto claim_etag = json::parse(order.baseline_row_json).find("@odata.etag")->as_string();
  const auto outcome = fx.emit(order);
  INFO(outcome.message);
  REQUIRE(outcome.status == emit_status::completed);
  CHECK(outcome.phone_call_done);
  CHECK(outcome.queue_status_done);
  CHECK(outcome.task_done);
  CHECK(outcome.conflicting_fields.empty());
  REQUIRE(outcome.results.size() == 3);
  CHECK(outcome.results[0].record_kind == crm_record_kind::phone_call_activity);
  CHECK(outcome.results[0].dataverse_record_id == nullable<std::string>(phone_rid));
  CHECK(outcome.results[1].record_kind == crm_record_kind::queue_status);
  CHECK(outcome.results[2].record_kind == crm_record_kind::task);
  for (const auto& r : outcome.results) {
    CHECK(r.write_status == crm_write_status::confirmed);
    CHECK(r.session_id == session);
  }
  CHECK(outcome.counters.requests == 7);

  const std::vector<std::string> expected{"GET acme_callqueues",
                                          "GET phonecalls",
                                          "POST phonecalls",
                                          "PATCH phonecalls(" + phone_rid + ")",
                                          "PATCH acme_callqueues(" + queue_row + ")",
                                          "GET tasks",
                                          "POST tasks"};
  CHECK(fx.requests_since_mark() == expected);
  const auto entries = fx.log_entries_since_mark();
  REQUIRE(entries.size() == 7);
  // The close is unconditional; the queue PATCH carries the claim ETag.
  bool close_if_match_star = false, queue_if_match_claim = false;
  for (const auto& [k, v] : entries[3].find("headers")->as_object())
    if (k == "If-Match" || k == "if-match") close_if_match_star = v.as_string() == "*";
  for (const auto& [k, v] : entries[4].find("headers")->as_object())
    if (k == "If-Match" || k == "if-match") queue_if_match_claim = v.as_string() == claim_etag;
  CHECK(close_if_match_star);
  CHECK(queue_if_match_claim);

  const auto calls = fx.rows("phonecall");
  REQUIRE(calls.size() == 1);
  CHECK(text_of(calls[0].find("activityid")) == phone_rid);
  CHECK(text_of(calls[0].find("acme_idemkey")) == session);
  CHECK(*calls[0].find("statecode") == json::value(std::int64_t{1}));
  CHECK(*calls[0].find("statuscode") == json::value(std::int64_t{2}));
  CHECK(text_of(calls[0].find("_regardingobjectid_value")) == queue_row);

  const auto row = fx.queue_in_dump();
  CHECK(*row.find("acme_status") == json::value(completed_value));
  CHECK(text_of(row.find("acme_lastsession")) == session);
  CHECK(text_of(row.find("acme_lastdisposition")) == "interested_callback_requested");
  CHECK(row.find("acme_lasterror")->is_null());

  const auto tasks = fx.rows("task");
  REQUIRE(tasks.size() == 1);
  CHECK(text_of(tasks[0].find("activityid")) == task_rid);
  CHECK(text_of(tasks[0].find("acme_idemkey")) == session);
  CHECK(text_of(tasks[0].find("_ownerid_value")) == owner);
}

TEST_CASE("one 503 on the Phone Call POST: a key pre-query precedes the second POST", "[emit]") {
  emit_fixture fx;
  const auto order = fx.claimed_order();
  fx.emu.add_fault(fault("POST", "^phonecalls$", "status", 1, R"(, "status": 503)"));
  const auto outcome = fx.emit(order);
  INFO(outcome.message);
  REQUIRE(outcome.status == emit_status::completed);
  const auto log = fx.requests_since_mark();
  const std::vector<std::string> head{"GET acme_callqueues", "GET phonecalls", "POST phonecalls",
                                      "GET phonecalls", "POST phonecalls"};
  REQUIRE(log.size() >= head.size());
  CHECK(std::vector<std::string>(log.begin(), log.begin() + 5) == head);
  CHECK(fx.rows("phonecall").size() == 1);
  CHECK(fx.rows("task").size() == 1);
}

TEST_CASE("a 429 on the Task POST waits, re-queries by key and is not counted as a retry",
          "[emit]") {
  emit_fixture fx;
  const auto order = fx.claimed_order();
  fx.emu.add_fault(fault("POST", "^tasks$", "status", 1, R"(, "status": 429, "retry_after_s": 1)"));
  const auto outcome = fx.emit(order);
  INFO(outcome.message);
  REQUIRE(outcome.status == emit_status::completed);
  const auto log = fx.requests_since_mark();
  const std::vector<std::string> tail{"GET tasks", "POST tasks", "GET tasks", "POST tasks"};
  REQUIRE(log.size() >= tail.size());
  CHECK(std::vector<std::string>(log.end() - 4, log.end()) == tail);
  CHECK(outcome.counters.throttled == 1);
  CHECK(outcome.counters.retries == 0);
  CHECK(fx.rows("task").size() == 1);
}

TEST_CASE("a lost response on a create or the close leaves no duplicate record", "[emit]") {
  const auto [method, path, label] = GENERATE(table<std::string, std::string, std::string>({
      {"POST", "^phonecalls$", "phone call POST"},
      {"POST", "^tasks$", "task POST"},
      {"PATCH", "^phonecalls\\\\(", "phone call close"},
  }));
  INFO(label);
  emit_fixture fx;
  const auto order = fx.claimed_order();
  fx.emu.add_fault(fault(method, path, "lost_response", 1));
  const auto outcome = fx.emit(order);
  INFO(outcome.message);
  REQUIRE(outcome.status == emit_status::completed);
  const auto calls = fx.rows("phonecall");
  REQUIRE(calls.size() == 1);
  CHECK(*calls[0].find("statecode") == json::value(std::int64_t{1}));
  CHECK(fx.rows("task").size() == 1);
  // The lost request was followed by a key pre-query (creates) or a state read (close).
  const auto log = fx.requests_since_mark();
  const auto first =
      std::find(log.begin(), log.end(),
                method + " " +
                    (label == "task POST"         ? std::string("tasks")
                     : label == "phone call POST" ? "phonecalls"
                                                  : "phonecalls(" + phone_rid + ")"));
  REQUIRE(first != log.end());
  REQUIRE(first + 1 != log.end());
  CHECK((first + 1)->rfind("GET ", 0) == 0);
}

TEST_CASE("a duplicate key with this session's key is read back by id and used", "[emit]") {
  emit_fixture fx;
  const auto order = fx.claimed_order();
  // The record exists under another key while the pre-query runs, and with this session's key
  // by the time the POST arrives: the pre-query is bypassed.
  fx.emu.insert_row("phonecall", json::parse(R"({"activityid": ")" + phone_rid +
                                             R"(", "acme_idemkey": "elsewhere", "subject": "x"})"));
  fx.emu.add_fault(fault("GET", "^phonecalls$", "human_edit", 1,
                         R"(, "when": "after", "target": {"table": "phonecall", "id": ")" +
                             phone_rid + R"("}, "changes": {"acme_idemkey": ")" + session +
                             R"("})"));
  const auto outcome = fx.emit(order);
  INFO(outcome.message);
  REQUIRE(outcome.status == emit_status::completed);
  const auto entries = fx.log_entries_since_mark();
  bool duplicate_answer = false, read_back = false;
  for (const auto& e : entries) {
    if (e.find("method")->as_string() == "POST" && e.find("path")->as_string() == "phonecalls")
      duplicate_answer = dataverse::is_duplicate_key(static_cast<int>(e.find("status")->as_int()),
                                                     "{\"error\":{\"code\":\"0x80040237\"}}");
    if (e.find("method")->as_string() == "GET" &&
        e.find("path")->as_string() == "phonecalls(" + phone_rid + ")")
      read_back = true;
  }
  CHECK(duplicate_answer);
  CHECK(read_back);
  const auto calls = fx.rows("phonecall");
  REQUIRE(calls.size() == 1);
  CHECK(*calls[0].find("statecode") == json::value(std::int64_t{1}));
  REQUIRE(!outcome.results.empty());
  CHECK(outcome.results[0].dataverse_record_id == nullable<std::string>(phone_rid));
}

TEST_CASE("a duplicate key with another key value is a permanent write-back error", "[emit]") {
  emit_fixture fx;
  const auto order = fx.claimed_order();
  fx.emu.insert_row("phonecall", json::parse(R"({"activityid": ")" + phone_rid +
                                             R"(", "acme_idemkey": ")" + other_session + "\"}"));
  const auto outcome = fx.emit(order);
  CHECK(outcome.status == emit_status::permanent);
  CHECK(outcome.message.find("idempotency key '" + other_session + "'") != std::string::npos);
  CHECK_FALSE(outcome.phone_call_done);
  CHECK_FALSE(outcome.queue_status_done);
  REQUIRE(outcome.results.size() == 1);
  CHECK(outcome.results[0].write_status == crm_write_status::failed);
  CHECK(fx.rows("phonecall").size() == 1);  // only the other session's
  CHECK(fx.rows("task").empty());
  const auto log = fx.requests_since_mark();
  CHECK(std::count(log.begin(), log.end(), "PATCH acme_callqueues(" + queue_row + ")") == 0);
}

TEST_CASE("a lost response on the queue PATCH: resent, 412, re-read shows it applied", "[emit]") {
  emit_fixture fx;
  const auto order = fx.claimed_order();
  fx.emu.add_fault(fault("PATCH", "^acme_callqueues\\\\(", "lost_response", 1));
  const auto outcome = fx.emit(order);
  INFO(outcome.message);
  REQUIRE(outcome.status == emit_status::completed);
  CHECK(outcome.conflicting_fields.empty());
  std::vector<std::int64_t> patch_statuses;
  for (const auto& e : fx.log_entries_since_mark())
    if (e.find("method")->as_string() == "PATCH" &&
        e.find("path")->as_string() == "acme_callqueues(" + queue_row + ")")
      patch_statuses.push_back(e.find("status")->is_int() ? e.find("status")->as_int() : 0);
  REQUIRE(patch_statuses.size() == 2);
  CHECK(patch_statuses[1] == 412);
  CHECK(*fx.queue_in_dump().find("acme_status") == json::value(completed_value));
  CHECK(fx.rows("phonecall").size() == 1);
  CHECK(fx.rows("task").size() == 1);
}

TEST_CASE("a human edit just before the queue PATCH is a conflict naming the column", "[emit]") {
  emit_fixture fx;
  const auto order = fx.claimed_order();
  fx.emu.add_fault(fault("PATCH", "^acme_callqueues\\\\(", "human_edit", 1,
                         R"(, "when": "before", "target": {"table": "acme_callqueue", "id": ")" +
                             queue_row + R"("}, "changes": {"acme_notes": "Edited by a human."})"));
  const auto outcome = fx.emit(order);
  REQUIRE(outcome.status == emit_status::conflict);
  CHECK(outcome.conflicting_fields == std::vector<std::string>{"acme_notes"});
  CHECK(outcome.message ==
        "conflict_detected: queue item '" + queue_row +
            "' changed between claim and write-back; conflicting fields: acme_notes. Manual "
            "reconciliation required.");
  CHECK(outcome.phone_call_done);
  CHECK_FALSE(outcome.queue_status_done);
  CHECK_FALSE(outcome.task_done);
  CHECK(fx.rows("phonecall").size() == 1);
  CHECK(fx.rows("task").empty());
  const auto log = fx.requests_since_mark();
  CHECK(std::count(log.begin(), log.end(), "GET tasks") == 0);
}

TEST_CASE("a Task POST answering 503 every time ends resume_needed after four tries", "[emit]") {
  emit_fixture fx;
  const auto order = fx.claimed_order();
  fx.emu.add_fault(fault("POST", "^tasks$", "status", -1, R"(, "status": 503)"));
  const auto outcome = fx.emit(order);
  REQUIRE(outcome.status == emit_status::resume_needed);
  CHECK(outcome.phone_call_done);
  CHECK(outcome.queue_status_done);
  CHECK_FALSE(outcome.task_done);
  CHECK(outcome.message.find("task create") != std::string::npos);
  // Four POSTs, each preceded by a key pre-query.
  const auto log = fx.requests_since_mark();
  std::vector<std::string> task_requests;
  for (const auto& r : log)
    if (r == "GET tasks" || r == "POST tasks") task_requests.push_back(r);
  const std::vector<std::string> expected{"GET tasks", "POST tasks", "GET tasks", "POST tasks",
                                          "GET tasks", "POST tasks", "GET tasks", "POST tasks"};
  CHECK(task_requests == expected);
  CHECK(fx.rows("phonecall").size() == 1);
  CHECK(fx.rows("task").empty());
  CHECK(*fx.queue_in_dump().find("acme_status") == json::value(completed_value));
}

TEST_CASE("an unusable baseline or owner set is refused before any request", "[emit]") {
  emit_fixture fx;
  auto order = fx.claimed_order();
  SECTION("baseline not JSON") {
    order.baseline_row_json = "not json";
  }
  SECTION("owner set unknown") {
    order.task_owner_set = "accounts";
  }
  const auto outcome = fx.emit(order);
  CHECK(outcome.status == emit_status::permanent);
  CHECK(outcome.message.rfind("dataverse write-back failed: write-back order: ", 0) == 0);
  CHECK(fx.requests_since_mark().empty());
}
