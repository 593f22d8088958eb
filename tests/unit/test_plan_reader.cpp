// Reading planned-writeback.json / writeback.json back for resume (dataverse.md §10 step 4):
// every plan shape survives to_json → artifact bytes → reader, and a damaged file is a
// plan_file_error naming the field, never a crash or half a plan.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "adapters/artifacts/artifact_json.hpp"
#include "adapters/artifacts/artifact_writer.hpp"
#include "adapters/artifacts/plan_reader.hpp"
#include "test_support.hpp"

using namespace opencloser;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using opencloser::testing::temp_dir;

namespace {

const std::string session = "ses_0123456789abcdef0123456789abcdef";
const std::string queue_item = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

phone_call_payload phone_call(disposition d, nullable<std::string> call_id) {
  phone_call_payload p;
  p.session_id = session;
  p.queue_item_id = queue_item;
  p.mock_provider_call_id = std::move(call_id);
  p.persona_version = "alf-appointment-setter@0.1.0";
  p.final_disposition = d;
  p.summary = "Disposition: " + std::string(to_string(d)) + "; \"quoted\" and\nnew line.";
  p.started_at = "2026-03-05T15:00:00.000Z";
  p.ended_at = "2026-03-05T15:04:10.250Z";
  return p;
}

queue_status_update status_update(callable_status from, callable_status to, std::string reason) {
  queue_status_update u;
  u.session_id = session;
  u.queue_item_id = queue_item;
  u.previous_status = from;
  u.new_status = to;
  u.transition_reason = std::move(reason);
  u.transition_at = "2026-03-05T15:04:10.250Z";
  u.set_dnc_flag = to == callable_status::dnc;
  return u;
}

task_payload task(task_kind kind) {
  task_payload t;
  t.task_id = "task_00000000000000000000000000000001";
  t.session_id = session;
  t.queue_item_id = queue_item;
  t.kind = kind;
  t.persona_version = "alf-appointment-setter@0.1.0";
  t.created_at = "2026-03-05T15:04:10.250Z";
  return t;
}

/// Phone Call and a callback Task with every optional field set.
writeback_plan callback_plan() {
  writeback_plan plan;
  plan.session_id = session;
  plan.phone_call_activity =
      phone_call(disposition::interested_callback_requested, std::string("call_42"));
  plan.queue_status = status_update(callable_status::in_progress, callable_status::ready,
                                    "interested_callback_requested");
  task_payload t = task(task_kind::callback);
  t.subject = "Callback for Oak Terrace ALF";
  t.preferred_callback_window = std::string("Thursday at 2 PM");
  t.captured_email = std::string("director@oak.example");
  t.assigned_to = std::string("owner-cb");
  plan.task = t;
  return plan;
}

writeback_plan review_plan() {
  writeback_plan plan;
  plan.session_id = session;
  plan.phone_call_activity = phone_call(disposition::needs_human_review, std::nullopt);
  plan.queue_status =
      status_update(callable_status::ready, callable_status::blocked, "needs_human_review");
  task_payload t = task(task_kind::review);
  t.subject = "Review uncertain_role for Oak Terrace ALF";
  t.reason_code = review_reason::uncertain_role;
  t.assigned_to = std::string("team-review");
  plan.task = t;
  return plan;
}

/// Eligibility blocked the row: no call, no task, only the status update.
writeback_plan blocked_plan() {
  writeback_plan plan;
  plan.session_id = session;
  plan.queue_status =
      status_update(callable_status::ready, callable_status::blocked, "eligibility_blocked");
  return plan;
}

writeback_plan dnc_plan() {
  writeback_plan plan;
  plan.session_id = session;
  plan.phone_call_activity = phone_call(disposition::do_not_call, std::string("call_7"));
  plan.queue_status =
      status_update(callable_status::in_progress, callable_status::dnc, "do_not_call");
  return plan;
}

std::string file_text(const writeback_plan& plan) {
  return json::write_artifact(to_json(plan));
}

/// A mutable member of an object (the JSON model's find() is read-only).
json::value& member(json::value& object, std::string_view key) {
  for (auto& m : object.as_object())
    if (m.first == key) return m.second;
  FAIL("no member " << key);
  throw std::logic_error("unreachable");
}

void erase(json::value& object, std::string_view key) {
  auto& members = object.as_object();
  const auto before = members.size();
  std::erase_if(members, [&](const json::member& m) { return m.first == key; });
  REQUIRE(members.size() == before - 1);
}

/// The reader's message for the plan file `doc` is written as.
std::string error_for(const json::value& doc) {
  try {
    writeback_plan_from_json_text(json::write_artifact(doc));
  } catch (const plan_file_error& e) {
    return e.what();
  }
  FAIL("the damaged plan was read without an error");
  return {};
}

}  // namespace

TEST_CASE("plan reader round trip: phone call and callback task with every field set",
          "[plan_reader]") {
  const writeback_plan original = callback_plan();
  temp_dir dir;
  const artifact_writer out(dir.path);
  out.write_json(session, "planned-writeback.json", to_json(original));

  const writeback_plan back =
      read_writeback_plan(out.session_dir(session) / "planned-writeback.json");
  CHECK(back == original);
  REQUIRE(back.task);
  CHECK(back.task->captured_email == nullable<std::string>("director@oak.example"));
  CHECK_FALSE(back.queue_status.set_dnc_flag);
  // Writing what was read gives the same bytes again.
  CHECK(file_text(back) == file_text(original));
}

TEST_CASE("plan reader round trip: review task with its reason code and null optionals",
          "[plan_reader]") {
  const writeback_plan original = review_plan();
  const writeback_plan back = writeback_plan_from_json_text(file_text(original));
  CHECK(back == original);
  REQUIRE(back.task);
  CHECK(back.task->kind == task_kind::review);
  CHECK(back.task->reason_code == nullable<review_reason>(review_reason::uncertain_role));
  CHECK_FALSE(back.task->captured_email.has_value());
  REQUIRE(back.phone_call_activity);
  CHECK_FALSE(back.phone_call_activity->mock_provider_call_id.has_value());
}

TEST_CASE("plan reader round trip: blocked plan without phone call or task", "[plan_reader]") {
  const writeback_plan original = blocked_plan();
  const writeback_plan back = writeback_plan_from_json_text(file_text(original));
  CHECK(back == original);
  CHECK_FALSE(back.phone_call_activity.has_value());
  CHECK_FALSE(back.task.has_value());
  CHECK(back.queue_status.new_status == callable_status::blocked);
}

TEST_CASE("plan reader derives the unserialized DNC flag from the dnc status", "[plan_reader]") {
  const writeback_plan original = dnc_plan();
  REQUIRE(file_text(original).find("set_dnc_flag") == std::string::npos);
  const writeback_plan back = writeback_plan_from_json_text(file_text(original));
  CHECK(back.queue_status.set_dnc_flag);
  CHECK(back.queue_status.new_status == callable_status::dnc);
  CHECK(back == original);
}

TEST_CASE("plan reader: every truncation of a plan file is a plan_file_error", "[plan_reader]") {
  const std::string text = file_text(callback_plan());
  const std::string half = text.substr(0, text.size() / 2);
  CHECK_THROWS_AS(writeback_plan_from_json_text(half), plan_file_error);
  CHECK_THROWS_WITH(writeback_plan_from_json_text(half), Contains("not JSON: "));

  // Every shorter prefix, down to the empty file (only the trailing LF may go).
  const std::size_t whole_document = text.size() - 1;
  std::size_t rejected = 0;
  for (std::size_t n = 0; n < whole_document; ++n) {
    try {
      writeback_plan_from_json_text(std::string_view(text).substr(0, n));
    } catch (const plan_file_error&) {
      ++rejected;
    }
  }
  CHECK(rejected == whole_document);
}

TEST_CASE("plan reader: a field of the wrong type is named with its path", "[plan_reader]") {
  json::value doc = to_json(callback_plan());
  member(member(doc, "task"), "subject") = json::value{7};
  CHECK_THAT(error_for(doc), Equals("'task.subject' is not a string (got an integer)"));

  doc = to_json(callback_plan());
  member(member(doc, "task"), "captured_email") = json::value{true};
  CHECK_THAT(error_for(doc),
             Equals("'task.captured_email' is not a string or null (got a boolean)"));

  doc = to_json(callback_plan());
  member(doc, "phone_call_activity") = json::value{"call"};
  CHECK_THAT(error_for(doc), Equals("'phone_call_activity' is not an object (got 'call')"));

  CHECK_THROWS_WITH(writeback_plan_from_json_text("[]"),
                    Equals("the document is not an object (got an array)"));
}

TEST_CASE("plan reader: an unknown enum value is named with the accepted values", "[plan_reader]") {
  json::value doc = to_json(callback_plan());
  member(member(doc, "task"), "task_kind") = json::value{"urgent"};
  CHECK_THAT(error_for(doc),
             Equals("'task.task_kind' is not one of callback, review (got 'urgent')"));

  doc = to_json(dnc_plan());
  member(member(doc, "queue_status_update"), "new_status") = json::value{"DNC"};
  CHECK_THAT(error_for(doc),
             Equals("'queue_status_update.new_status' is not one of ready, in_progress, "
                    "completed, blocked, dnc (got 'DNC')"));

  doc = to_json(review_plan());
  member(member(doc, "task"), "reason_code") = json::value{3};
  CHECK_THAT(error_for(doc), Contains("'task.reason_code' is not one of uncertain_role, "));
  CHECK_THAT(error_for(doc), Contains("script_truncated or null (got an integer)"));

  doc = to_json(dnc_plan());
  member(member(doc, "phone_call_activity"), "final_disposition") = json::value{};
  CHECK_THAT(error_for(doc), Contains("'phone_call_activity.final_disposition' is not one of "));
}

TEST_CASE("plan reader: a missing required key is named with its path", "[plan_reader]") {
  json::value doc = to_json(callback_plan());
  erase(member(doc, "queue_status_update"), "transition_at");
  CHECK_THAT(error_for(doc), Equals("missing key 'queue_status_update.transition_at'"));

  doc = to_json(blocked_plan());
  erase(doc, "queue_status_update");
  CHECK_THAT(error_for(doc), Equals("missing key 'queue_status_update'"));

  // A nullable member is still always written (domain.md §12): absent is not null.
  doc = to_json(blocked_plan());
  erase(doc, "task");
  CHECK_THAT(error_for(doc), Equals("missing key 'task'"));

  doc = to_json(review_plan());
  erase(member(doc, "task"), "reason_code");
  CHECK_THAT(error_for(doc), Equals("missing key 'task.reason_code'"));
}

TEST_CASE("plan reader: another schema version is refused", "[plan_reader]") {
  json::value doc = to_json(callback_plan());
  member(member(doc, "task"), "schema_version") = json::value{"slice9-v1"};
  CHECK_THAT(error_for(doc), Equals("'task.schema_version' is not 'slice1-v1' (got 'slice9-v1')"));
}

TEST_CASE("plan reader: a file that cannot be read is a plan_file_error", "[plan_reader]") {
  temp_dir dir;
  CHECK_THROWS_MATCHES(read_writeback_plan(dir.path / "writeback.json"), plan_file_error,
                       Catch::Matchers::Message("file not found"));
  CHECK_THROWS_MATCHES(read_writeback_plan(dir.path), plan_file_error,
                       Catch::Matchers::Message("not a regular file"));
  const auto empty = dir.write("empty.json", "");
  CHECK_THROWS_WITH(read_writeback_plan(empty), Contains("not JSON: "));
}
