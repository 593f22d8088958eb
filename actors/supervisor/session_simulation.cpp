#include "actors/supervisor/session_simulation.hpp"

#include "actors/call_simulator/call_events.hpp"
#include "actors/common/ids.hpp"
#include "actors/queue_loader/eligibility.hpp"

namespace opencloser {

namespace {

bool is_e164(const std::string& phone) {
  if (phone.size() < 3 || phone.size() > 16 || phone[0] != '+' || phone[1] < '1' || phone[1] > '9')
    return false;
  for (std::size_t i = 2; i < phone.size(); ++i)
    if (phone[i] < '0' || phone[i] > '9') return false;
  return true;
}

}  // namespace

std::optional<data_quality_warning> phone_warning(const queue_item& item) {
  if (!item.phone_number || item.phone_number->empty() || is_e164(*item.phone_number))
    return std::nullopt;
  return data_quality_warning{"non_e164_phone", "queue.phone",
                              "queue item '" + item.queue_item_id + "' phone is not E.164"};
}

session_run simulate_session(const session_inputs& in) {
  session_run run;
  const auto& config = *in.config;
  const std::string session_id = in.ids("ses");
  const std::string started_at = in.clock->now_utc_ms();

  run.decision = evaluate_eligibility(in.item, config.call_window, config.eligibility, *in.zones,
                                      in.clock->now(), in.ids("dec"), session_id);
  if (auto w = phone_warning(in.item)) run.warnings.push_back(*w);

  session_facts facts;
  facts.session_id = session_id;
  facts.item = in.item;
  facts.started_at = started_at;
  facts.decision = &run.decision;
  facts.persona_version = config.persona_version;

  auto& s = run.session;
  s.session_id = session_id;
  s.queue_item_id = in.item.queue_item_id;
  s.started_at = started_at;
  s.mode = in.mode;

  if (run.decision.outcome == eligibility_outcome::block) {
    facts.ended_at = started_at;
    facts.now = in.clock->now_utc_ms();
    if (in.item.status == callable_status::in_progress)
      run.warnings.push_back({"queue_row_in_progress_not_patched", "queue.status",
                              "queue item '" + in.item.queue_item_id +
                                  "' is in_progress; its status was not patched"});
    s.state = session_state::blocked;
  } else {
    // Allowed: place the call (fresh call id), process the stream, resolve the disposition.
    run.call = process_call_events(session_id, in.ids("call"), in.transport->events,
                                   in.conversation, [&] { return in.ids("audit"); });
    if (run.call->persona) {
      run.transcript_file = in.redactor->transcript_file_text(run.call->transcript);
      s.persona_version = run.call->persona->persona_version;
    }
    facts.call = &*run.call;
    facts.ended_at = in.clock->now_utc_ms();
    facts.now = facts.ended_at;
    facts.transcript_written = run.transcript_file.has_value();
    s.mock_provider_call_id = run.call->call_id;
    s.state = session_state::finalized;
  }

  run.result = build_normalized_result(facts);
  run.plan = plan_writeback(facts, run.result, in.owners, [&] { return in.ids("task"); });
  run.keys = session_idempotency_keys(facts, run.plan);
  run.attempts_after = attempts_after(facts);
  s.final_disposition = run.result.final_disposition;
  if (run.result.blocked_reason) s.blocked_reason = blocked_reason_letters(run.decision);
  s.ended_at = run.result.ended_at;
  return run;
}

session_inputs offline_inputs(const queue_item& item, const transport_fixture& transport,
                              const struct conversation* conversation, const settings& config,
                              const zone_database& zones, const transcript_redactor& redactor,
                              const product_clock& clock, run_mode mode) {
  session_inputs in;
  in.item = item;
  in.transport = &transport;
  in.conversation = conversation;
  in.config = &config;
  in.zones = &zones;
  in.redactor = &redactor;
  in.clock = &clock;
  in.owners = {config.task_owner_callback, config.task_owner_review};
  in.mode = mode;
  in.ids = [](std::string_view prefix) { return mint_id(prefix); };
  return in;
}

}  // namespace opencloser
