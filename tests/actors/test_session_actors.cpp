// The call simulator and the redactor as actors: the same answers as the pure core, delivered
// as messages (the orders cross a caf::message intact).

#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/call_simulator/call_simulator_actor.hpp"
#include "actors/redactor/redactor_actor.hpp"
#include "adapters/fixtures/fixture_files.hpp"
#include "adapters/fixtures/fixture_loader.hpp"
#include "messages/type_registry.hpp"

using namespace opencloser;

namespace {

struct actor_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  actor_fixture() {
    register_message_types(cfg);
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

std::string fixture(const std::string& relative) {
  return std::string(OPENCLOSER_TEST_FIXTURES) + "/" + relative;
}

}  // namespace

TEST_CASE("the call simulator answers a connected call with the persona's disposition",
          "[session_actors]") {
  actor_fixture fx;
  auto simulator = fx.sys->spawn(call_simulator);
  call_order order{"ses_00000000000000000000000000000001", "call_00000000000000000000000000000001",
                   load_transport_fixture(fixture("transport_events/standard.json")),
                   load_conversation_fixture(fixture("conversations/callback_weekday_pm.json"))};
  caf::scoped_actor self{*fx.sys};
  call_outcome outcome;
  self->request(simulator, caf::infinite, order)
      .receive([&](call_outcome& o) { outcome = std::move(o); },
               [&](caf::error& e) { FAIL(fx.sys->render(e)); });
  CHECK(outcome.session_id == order.session_id);
  CHECK(outcome.call_id == order.call_id);
  CHECK(outcome.final_disposition == disposition::interested_callback_requested);
  CHECK(outcome.persona);
  CHECK_FALSE(outcome.transcript.empty());

  // Without a conversation the connected call has no persona and ends failed (domain.md §7).
  order.conversation.reset();
  self->request(simulator, caf::infinite, order)
      .receive([&](call_outcome& o) { outcome = std::move(o); },
               [&](caf::error& e) { FAIL(fx.sys->render(e)); });
  CHECK(outcome.final_disposition == disposition::failed);
  CHECK_FALSE(outcome.persona);
  caf::anon_send_exit(simulator, caf::exit_reason::user_shutdown);
}

TEST_CASE("the redactor redacts under full retention and writes nothing under summary-only",
          "[session_actors]") {
  actor_fixture fx;
  redaction_settings full;
  auto redact_full = fx.sys->spawn(redactor, transcript_redactor::compile(full));
  redaction_settings summary_only;
  summary_only.retention = retention_mode::summary_only;
  auto redact_summary = fx.sys->spawn(redactor, transcript_redactor::compile(summary_only));
  const std::string rendered = "agent: reach me at dana@maple.example or 555-123-4567";
  caf::scoped_actor self{*fx.sys};
  redaction_result result;
  self->request(redact_full, caf::infinite, redact_atom::value, rendered)
      .receive([&](redaction_result& r) { result = std::move(r); },
               [&](caf::error& e) { FAIL(fx.sys->render(e)); });
  REQUIRE(result.transcript_file);
  CHECK(*result.transcript_file == "agent: reach me at [REDACTED] or [REDACTED]\n");
  self->request(redact_summary, caf::infinite, redact_atom::value, rendered)
      .receive([&](redaction_result& r) { result = std::move(r); },
               [&](caf::error& e) { FAIL(fx.sys->render(e)); });
  CHECK_FALSE(result.transcript_file);
  caf::anon_send_exit(redact_full, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(redact_summary, caf::exit_reason::user_shutdown);
}
