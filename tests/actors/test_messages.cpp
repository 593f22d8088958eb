// The vocabulary crosses CAF's type system intact: every registered message type survives a
// binary round trip inside a caf::message, which fails for unregistered or half-inspected types.
#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>

#include "messages/inspect.hpp"
#include "messages/type_registry.hpp"

using namespace opencloser;

namespace {

struct fixture_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  fixture_system() {
    register_message_types(cfg);
    cfg.set("scheduler.max-threads", 1);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

template <class T>
T round_trip(caf::actor_system& sys, const T& value) {
  std::vector<char> buf;
  caf::message out = caf::make_message(value);
  caf::binary_serializer sink{sys, buf};
  REQUIRE_FALSE(sink(out));
  caf::message in;
  caf::binary_deserializer source{sys, buf};
  REQUIRE_FALSE(source(in));
  REQUIRE(in.match_element<T>(0));
  return in.get_as<T>(0);
}

}  // namespace

TEST_CASE("every message type round-trips through a caf::message") {
  fixture_system fx;
  auto& sys = *fx.sys;

  queue_item item{"0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11",
                  "Maple Court ALF",
                  std::string("+1555"),
                  nullable<std::string>{},
                  true,
                  {},
                  3,
                  true,
                  callable_status::dnc,
                  std::string("2026-05-22T19:00:00.000Z")};
  CHECK(round_trip(sys, item) == item);

  eligibility_decision decision{"dec_1",
                                "q",
                                "ses_1",
                                "2026-05-22T19:00:00.000Z",
                                eligibility_outcome::block,
                                {true, false, true, true, false, true},
                                {"b", "e"},
                                true,
                                nullable<std::string>{}};
  CHECK(round_trip(sys, decision) == decision);

  persona_output persona;
  persona.persona_version = "alf-appointment-setter@0.1.0";
  persona.final_disposition = disposition::needs_human_review;
  persona.summary = "Disposition: needs_human_review; review reason: uncertain_role.";
  persona.extraction.captured_email_unverified = std::string("a@b.example.com");
  persona.extraction.refusal_topics = {refusal_topic::medical_history, refusal_topic::legal_advice};
  persona.human_review_reason = review_reason::uncertain_role;
  CHECK(round_trip(sys, persona) == persona);

  call_outcome call;
  call.session_id = "ses_1";
  call.call_id = "call_1";
  call.events = {{"ses_1",
                  "ev-1",
                  event_type::voicemail,
                  "2026-05-22T19:00:00.000Z",
                  {{"voicemail_length_seconds", payload_entry::kind::integer, 22, ""}}}};
  call.audits = {{"audit_1",
                  "ses_1",
                  "ev-2",
                  event_type::failed,
                  "t",
                  {{"failure_reason", payload_entry::kind::text, 0, "unknown"}},
                  disposition::voicemail}};
  call.persona = persona;
  call.first_terminal = event_type::voicemail;
  call.final_disposition = disposition::voicemail;
  CHECK(round_trip(sys, call) == call);

  writeback_plan plan;
  plan.session_id = "ses_1";
  plan.phone_call_activity = phone_call_payload{
      "ses_1", "q", std::string("call_1"), "v", disposition::voicemail, "s", "t0", "t1"};
  plan.queue_status = {"ses_1", "q", callable_status::ready, callable_status::dnc, "do_not_call",
                       "t1",    true};
  plan.task = task_payload{"task_1",
                           "ses_1",
                           "q",
                           task_kind::review,
                           "Review x for y",
                           review_reason::legal_request,
                           {},
                           {},
                           std::string("owner"),
                           "v",
                           "t1"};
  CHECK(round_trip(sys, plan) == plan);

  normalized_result result;
  result.blocked_reason = std::vector<std::string>{"a", "c"};
  result.human_review_reason = review_reason::script_truncated;
  CHECK(round_trip(sys, result) == result);

  session_outcome outcome{"ses_1",
                          "q",
                          exit_status::resume_needed,
                          std::string("eligibility"),
                          "m",
                          disposition::failed,
                          {{"non_e164_phone", "queue.phone", "x"}}};
  CHECK(round_trip(sys, outcome) == outcome);

  run_report report;
  report.run_id = "run_1";
  report.outcome = outcome;
  report.http = {10, 2, 1, 1, 4};
  report.operations_replayed = std::vector<std::string>{"task"};
  CHECK(round_trip(sys, report) == report);

  emit_result emitted{"ses_1", crm_record_kind::task,       std::string("guid"),
                      "ses_1", crm_write_status::confirmed, {}};
  CHECK(round_trip(sys, emitted) == emitted);

  conversation conv{"c", {{"persona", "hi"}, {"contact", "yes"}}};
  CHECK(round_trip(sys, conv) == conv);
  transport_fixture fixture{"t", {{"ev-1", "ringing", "t", {}}}};
  CHECK(round_trip(sys, fixture) == fixture);
  local_idempotency_key key{"ses_1", "call_1", "ev-1", writeback_kind::session_state};
  CHECK(round_trip(sys, key) == key);
  session_record record;
  record.final_disposition = disposition::blocked;
  record.drain_id = std::string("drn_1");
  CHECK(round_trip(sys, record) == record);
}

TEST_CASE("Dataverse calls and replies round-trip with headers, outcome and counters") {
  fixture_system fx;
  auto& sys = *fx.sys;
  dataverse_call call{"task_create",        "POST", "tasks", {{"If-Match", "*"}, {"Prefer", "x"}},
                      R"({"subject":"s"})", false};
  CHECK(round_trip(sys, call) == call);
  dataverse_reply reply{dataverse_outcome::transient_exhausted,
                        503,
                        {{"Retry-After", "2"}},
                        "{}",
                        "Dataverse returned HTTP 503 for POST http://e/api/data/v9.2/tasks",
                        1.5,
                        {4, 3, 1, 1, 4}};
  CHECK(round_trip(sys, reply) == reply);
}

TEST_CASE("session orders and answers round-trip: load, call, redaction") {
  fixture_system fx;
  auto& sys = *fx.sys;
  load_order order{"ses_1", "dec_1", "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11", "", ""};
  CHECK(round_trip(sys, order) == order);
  load_result loaded;
  loaded.status = load_status::no_callable_item;
  loaded.row_json = R"({"@odata.etag":"W/\"7\""})";
  loaded.warnings.push_back({"non_e164_phone", "phone_number", "not E.164"});
  loaded.counters.requests = 2;
  CHECK(round_trip(sys, loaded) == loaded);
  call_order call{"ses_1", "call_1", {"standard", {}}, conversation{"c1", {{"agent", "hi"}}}};
  CHECK(round_trip(sys, call) == call);
  call.conversation.reset();
  CHECK(round_trip(sys, call) == call);
  redaction_result redacted{std::string("[REDACTED]\n")};
  CHECK(round_trip(sys, redacted) == redacted);
  CHECK(round_trip(sys, redaction_result{}) == redaction_result{});
}

TEST_CASE("registration is what gives each type a portable name") {
  fixture_system registered;
  CHECK(registered.sys->types().portable_name(0, &typeid(queue_item)) == "opencloser::queue_item");
  CHECK(registered.sys->types().make_value("opencloser::writeback_plan") != nullptr);
  CHECK(registered.sys->types().make_value("std::vector<opencloser::task_payload>") != nullptr);
  caf::actor_system_config cfg;  // nothing registered
  cfg.set("scheduler.max-threads", 1);
  caf::actor_system bare{cfg};
  CHECK(bare.types().make_value("opencloser::writeback_plan") == nullptr);
}
