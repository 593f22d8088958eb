#include "actors/writeback_planner/writeback_plan.hpp"

#include "actors/common/text.hpp"
#include "actors/queue_loader/eligibility.hpp"
#include "actors/writeback_planner/emission.hpp"

namespace opencloser {

namespace {

constexpr std::size_t summary_limit = 200;

bool blocked_path(const session_facts& facts) {
  return facts.call == nullptr;
}

const persona_output* persona_of(const session_facts& facts) {
  return facts.call && facts.call->persona ? &*facts.call->persona : nullptr;
}

}  // namespace

normalized_result build_normalized_result(const session_facts& facts) {
  normalized_result r;
  r.session_id = facts.session_id;
  r.queue_item_id = facts.item.queue_item_id;
  r.started_at = facts.started_at;
  r.ended_at = facts.ended_at;
  if (blocked_path(facts)) {
    const auto letters = blocked_reason_letters(*facts.decision);
    r.final_disposition = disposition::blocked;
    r.blocked_reason = facts.decision->failing_rules;
    r.summary = "Blocked by eligibility: " + letters + ".";
    return r;
  }
  r.mock_provider_call_id = facts.call->call_id;
  r.persona_version = facts.persona_version;
  r.final_disposition = facts.call->final_disposition;
  if (const auto* persona = persona_of(facts)) {
    // When a transport disposition wins, the persona's extraction, summary and review reason
    // are kept (predecessor compatibility, domain.md §7).
    const auto& x = persona->extraction;
    r.summary = text::cut(persona->summary, summary_limit);
    r.captured_email = x.captured_email;
    r.captured_email_unverified = x.captured_email_unverified;
    r.callback_requested = x.callback_requested;
    r.preferred_callback_window = x.preferred_callback_window;
    r.human_review_reason = persona->human_review_reason;
    if (facts.transcript_written) r.transcript_pointer = std::string("transcript.txt");
  } else {
    r.summary =
        "Disposition: " + std::string(to_string(r.final_disposition)) + "; no persona interaction.";
  }
  return r;
}

writeback_plan plan_writeback(const session_facts& facts, const normalized_result& result,
                              const task_owner_choice& owners,
                              const std::function<std::string()>& mint_task_id) {
  const disposition d = result.final_disposition;
  const emission_rule rule = emission_for(d);
  writeback_plan plan;
  plan.session_id = facts.session_id;

  auto& q = plan.queue_status;
  q.session_id = facts.session_id;
  q.queue_item_id = facts.item.queue_item_id;
  q.previous_status = facts.item.status;
  q.new_status = rule.new_status.value_or(facts.item.status);
  q.set_dnc_flag = rule.set_dnc_flag;
  if (blocked_path(facts)) {
    q.transition_reason = "blocked_by_eligibility: " + blocked_reason_letters(*facts.decision);
    q.transition_at = facts.now;
    return plan;  // no Phone Call, no Task
  }
  q.transition_reason = std::string(to_string(d));
  q.transition_at = facts.ended_at;

  if (rule.phone_call) {
    phone_call_payload call;
    call.session_id = facts.session_id;
    call.queue_item_id = facts.item.queue_item_id;
    call.mock_provider_call_id = result.mock_provider_call_id;
    call.persona_version = facts.persona_version;
    call.final_disposition = d;
    call.summary = text::cut(
        result.summary.empty() ? "Final disposition: " + std::string(to_string(d)) : result.summary,
        summary_limit);
    call.started_at = facts.started_at;
    call.ended_at = facts.ended_at;
    plan.phone_call_activity = std::move(call);
  }

  if (rule.task && !task_excluded(d)) {
    task_payload task;
    task.task_id = mint_task_id();
    task.session_id = facts.session_id;
    task.queue_item_id = facts.item.queue_item_id;
    task.kind = *rule.task;
    task.persona_version = facts.persona_version;
    task.created_at = facts.ended_at;
    if (task.kind == task_kind::callback) {
      task.subject = "Callback for " + facts.item.facility_name;
      if (d == disposition::interested_callback_requested)
        task.preferred_callback_window = result.preferred_callback_window;
      task.captured_email = result.captured_email;
      task.assigned_to = owners.callback;
    } else {
      task.reason_code = result.human_review_reason;
      task.subject = "Review " +
                     std::string(result.human_review_reason ? to_string(*result.human_review_reason)
                                                            : std::string_view("unknown")) +
                     " for " + facts.item.facility_name;
      task.assigned_to = owners.review;
    }
    plan.task = std::move(task);
  }
  return plan;
}

std::vector<local_idempotency_key> session_idempotency_keys(const session_facts& facts,
                                                            const writeback_plan& plan) {
  std::vector<local_idempotency_key> keys;
  const std::string call_id = facts.call ? facts.call->call_id : std::string();
  if (facts.call) {
    for (const auto& event_id : facts.call->idempotency_event_ids)
      keys.push_back({facts.session_id, call_id, event_id, writeback_kind::session_state});
    keys.push_back({facts.session_id, call_id, "", writeback_kind::attempt_count});
  }
  keys.push_back({facts.session_id, call_id, "", writeback_kind::normalized_result});
  if (plan.phone_call_activity)
    keys.push_back({facts.session_id, call_id, "", writeback_kind::phone_call_activity});
  keys.push_back({facts.session_id, call_id, "", writeback_kind::queue_status_update});
  if (plan.task) keys.push_back({facts.session_id, call_id, "", writeback_kind::task_payload});
  return keys;
}

std::int64_t attempts_after(const session_facts& facts) {
  return facts.item.attempt_count + (facts.call ? 1 : 0);
}

}  // namespace opencloser
