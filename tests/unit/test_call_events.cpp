// Transport event-stream semantics and the top-level disposition (domain.md §6–§7;
// conformance.md §2–§3 at the logic level).
#include <catch2/catch.hpp>

#include "actors/call_simulator/call_events.hpp"
#include "actors/call_simulator/persona.hpp"
#include "adapters/fixtures/fixture_loader.hpp"
#include "test_support.hpp"

using namespace opencloser;
using opencloser::testing::fixture;

namespace {

/// The first conversation of conformance.md §1: owner, asks what it is about, callback.
conversation callback_conversation() {
  return {"callback",
          {{"persona", std::string(canonical_disclosure)},
           {"contact", "Sure. I'm the owner here. What's this about?"},
           {"persona", "Medx matches families with facilities like yours. Would a callback work?"},
           {"contact", "That sounds reasonable. Call me back Thursday at 2 PM please."}}};
}

call_outcome run(const std::string& transport, const conversation* conv) {
  const auto fx = load_transport_fixture(fixture("transport_events/" + transport + ".json"));
  int audits = 0;
  return process_call_events("ses_1", "call_1", fx.events, conv,
                             [&] { return "audit_" + std::to_string(++audits); });
}

}  // namespace

TEST_CASE("transport paths without a conversation resolve per §7") {
  struct row {
    const char* transport;
    disposition expected;
  } rows[] = {
      {"no_answer", disposition::no_answer},   {"voicemail_22", disposition::voicemail},
      {"failed_carrier", disposition::failed}, {"standard", disposition::failed},
      {"empty", disposition::failed},          {"callback_only", disposition::failed},
  };
  for (const auto& r : rows) {
    INFO(r.transport);
    const auto out = run(r.transport, nullptr);
    CHECK(out.final_disposition == r.expected);
    CHECK_FALSE(out.persona.has_value());
    CHECK(out.transcript.empty());
    CHECK(out.audits.empty());
  }
}

TEST_CASE("completed before connected: the persona never runs") {
  const auto conv = callback_conversation();
  const auto out = run("completed_then_connected", &conv);
  CHECK(out.final_disposition == disposition::failed);
  CHECK_FALSE(out.persona.has_value());
  CHECK(out.events.size() == 1);  // the late `connected` is dropped
}

TEST_CASE("connected then failed keeps the persona's result but the transport decides") {
  const auto conv = callback_conversation();
  const auto out = run("connected_then_failed", &conv);
  CHECK(out.final_disposition == disposition::failed);
  REQUIRE(out.persona.has_value());
  CHECK(out.persona->final_disposition == disposition::interested_callback_requested);
  CHECK_FALSE(out.transcript.empty());
}

TEST_CASE("an unknown event type is skipped with one warning and its id is not recorded") {
  const auto conv = callback_conversation();
  const auto out = run("ringing_then_standard", &conv);
  CHECK(out.final_disposition == disposition::interested_callback_requested);
  REQUIRE(out.log_warnings.size() == 1);
  CHECK(out.log_warnings[0] == "unknown event type 'ringing' (event_id=ev-1)");
  CHECK(out.events.size() == 2);

  // A later known event reusing the skipped event's id is processed normally.
  const auto reuse = run("unknown_then_reuse", &conv);
  CHECK(reuse.events.size() == 2);
  CHECK(reuse.final_disposition == disposition::interested_callback_requested);
}

TEST_CASE("duplicates and late events (conformance.md §3)") {
  const auto conv = callback_conversation();
  struct row {
    const char* transport;
    std::size_t event_rows;
    std::size_t audits;
  } rows[] = {
      {"dup_both_repeated", 2, 0}, {"dup_callback_repeated", 3, 0}, {"late_failed", 2, 1},
      {"late_failed_twice", 2, 1}, {"second_completed", 2, 1},      {"reused_id_other_type", 2, 0},
      {"late_non_terminal", 2, 0},
  };
  for (const auto& r : rows) {
    INFO(r.transport);
    const auto out = run(r.transport, &conv);
    CHECK(out.final_disposition == disposition::interested_callback_requested);
    CHECK(out.events.size() == r.event_rows);
    CHECK(out.audits.size() == r.audits);
    for (const auto& a : out.audits) {
      CHECK(a.preserved_disposition == disposition::interested_callback_requested);
      CHECK(a.session_id == "ses_1");
    }
  }
}

TEST_CASE("a late failed event's audit keeps only allow-listed payload keys") {
  const auto conv = callback_conversation();
  const auto out = run("late_failed", &conv);
  REQUIRE(out.audits.size() == 1);
  const auto& audit = out.audits[0];
  CHECK(audit.conflicting_event_type == event_type::failed);
  CHECK(audit.event_id == "ev-3");
  CHECK(audit.audit_id == "audit_1");
  REQUIRE(audit.full_event_payload.size() == 1);
  CHECK(audit.full_event_payload[0].key == "failure_reason");
  CHECK(audit.full_event_payload[0].text == "unknown");
}

TEST_CASE("idempotency keys are recorded once per event id, late ones included") {
  const auto conv = callback_conversation();
  const auto out = run("late_failed_twice", &conv);
  CHECK(out.idempotency_event_ids == std::vector<std::string>{"ev-1", "ev-2", "ev-3"});
  for (const auto& e : out.events) CHECK(e.session_id == "ses_1");  // re-keyed
}

TEST_CASE("resolve_disposition table") {
  persona_output persona;
  persona.final_disposition = disposition::not_interested;
  CHECK(resolve_disposition(std::nullopt, &persona) == disposition::not_interested);
  CHECK(resolve_disposition(std::nullopt, nullptr) == disposition::failed);
  CHECK(resolve_disposition(event_type::completed, &persona) == disposition::not_interested);
  CHECK(resolve_disposition(event_type::completed, nullptr) == disposition::failed);
  CHECK(resolve_disposition(event_type::no_answer, &persona) == disposition::no_answer);
  CHECK(resolve_disposition(event_type::voicemail, &persona) == disposition::voicemail);
  CHECK(resolve_disposition(event_type::failed, &persona) == disposition::failed);
}
