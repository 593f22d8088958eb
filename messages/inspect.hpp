#pragma once
// CAF 0.17 inspection of the whole vocabulary. Included only by actor TUs and the type
// registry: the domain logic sees the plain structs and never this header.

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/none.hpp>

#include "messages/call.hpp"
#include "messages/claim.hpp"
#include "messages/ctl.hpp"
#include "messages/dataverse.hpp"
#include "messages/drain.hpp"
#include "messages/emit.hpp"
#include "messages/plan.hpp"
#include "messages/queue.hpp"
#include "messages/queue_load.hpp"
#include "messages/report.hpp"
#include "messages/session.hpp"
#include "messages/session_run.hpp"
#include "messages/settings.hpp"
#include "messages/writeback.hpp"

namespace opencloser {

/// An engaged flag plus the value; the load callback writes the pair back on deserialization.
template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, nullable<T>& x) {
  bool engaged = x.has_value();
  T value = engaged ? *x : T{};
  auto store = [&]() -> caf::error {
    if (engaged)
      x = std::move(value);
    else
      x.reset();
    return caf::none;
  };
  return f(caf::meta::type_name("nullable"), engaged, value, caf::meta::load_callback(store));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_item& x) {
  return f(caf::meta::type_name("queue_item"), x.queue_item_id, x.facility_name, x.phone_number,
           x.timezone, x.default_tz_applied, x.email, x.attempt_count, x.dnc_flag, x.status,
           x.last_decision_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, eligibility_decision& x) {
  return f(caf::meta::type_name("eligibility_decision"), x.decision_id, x.queue_item_id,
           x.session_id, x.decided_at, x.outcome, x.rules, x.failing_rules, x.default_tz_applied,
           x.default_tz_substituted_for);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, data_quality_warning& x) {
  return f(caf::meta::type_name("data_quality_warning"), x.code, x.field, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, conversation_turn& x) {
  return f(caf::meta::type_name("conversation_turn"), x.role, x.text);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, conversation& x) {
  return f(caf::meta::type_name("conversation"), x.fixture_id, x.turns);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, payload_entry& x) {
  return f(caf::meta::type_name("payload_entry"), x.key, x.value_kind, x.integer, x.text);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transport_event& x) {
  return f(caf::meta::type_name("transport_event"), x.event_id, x.type, x.timestamp, x.payload);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transport_fixture& x) {
  return f(caf::meta::type_name("transport_fixture"), x.fixture_id, x.events);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, mock_call_event& x) {
  return f(caf::meta::type_name("mock_call_event"), x.session_id, x.event_id, x.type, x.received_at,
           x.payload);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, conflicting_event_audit& x) {
  return f(caf::meta::type_name("conflicting_event_audit"), x.audit_id, x.session_id, x.event_id,
           x.conflicting_event_type, x.received_at, x.full_event_payload, x.preserved_disposition);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, extraction& x) {
  return f(caf::meta::type_name("extraction"), x.captured_email, x.captured_email_unverified,
           x.callback_requested, x.preferred_callback_window, x.role, x.intent, x.refusal_topics);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, persona_output& x) {
  return f(caf::meta::type_name("persona_output"), x.persona_version, x.final_disposition,
           x.summary, x.extraction, x.human_review_reason, x.disclosure_completed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_outcome& x) {
  return f(caf::meta::type_name("call_outcome"), x.session_id, x.call_id, x.events, x.audits,
           x.idempotency_event_ids, x.persona, x.first_terminal, x.final_disposition, x.transcript,
           x.log_warnings);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_record& x) {
  return f(caf::meta::type_name("session_record"), x.session_id, x.queue_item_id, x.persona_version,
           x.state, x.final_disposition, x.blocked_reason, x.mock_provider_call_id, x.started_at,
           x.ended_at, x.mode, x.drain_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, normalized_result& x) {
  return f(caf::meta::type_name("normalized_result"), x.session_id, x.queue_item_id,
           x.mock_provider_call_id, x.persona_version, x.final_disposition, x.summary,
           x.transcript_pointer, x.captured_email, x.captured_email_unverified,
           x.callback_requested, x.preferred_callback_window, x.human_review_reason,
           x.blocked_reason, x.started_at, x.ended_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, local_idempotency_key& x) {
  return f(caf::meta::type_name("local_idempotency_key"), x.session_id, x.call_id, x.event_id,
           x.kind);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, phone_call_payload& x) {
  return f(caf::meta::type_name("phone_call_payload"), x.session_id, x.queue_item_id,
           x.mock_provider_call_id, x.persona_version, x.final_disposition, x.summary, x.started_at,
           x.ended_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_status_update& x) {
  return f(caf::meta::type_name("queue_status_update"), x.session_id, x.queue_item_id,
           x.previous_status, x.new_status, x.transition_reason, x.transition_at, x.set_dnc_flag);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_payload& x) {
  return f(caf::meta::type_name("task_payload"), x.task_id, x.session_id, x.queue_item_id, x.kind,
           x.subject, x.reason_code, x.preferred_callback_window, x.captured_email, x.assigned_to,
           x.persona_version, x.created_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, writeback_plan& x) {
  return f(caf::meta::type_name("writeback_plan"), x.session_id, x.phone_call_activity,
           x.queue_status, x.task);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, emit_result& x) {
  return f(caf::meta::type_name("emit_result"), x.session_id, x.record_kind, x.dataverse_record_id,
           x.idempotency_key, x.write_status, x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_outcome& x) {
  return f(caf::meta::type_name("session_outcome"), x.session_id, x.queue_item_id, x.status,
           x.block_reason, x.message, x.final_disposition, x.warnings);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_counters& x) {
  return f(caf::meta::type_name("http_counters"), x.requests, x.retries, x.throttled,
           x.token_requests, x.writes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_report& x) {
  return f(caf::meta::type_name("run_report"), x.run_id, x.command, x.mode, x.resumed, x.outcome,
           x.persona_version, x.mock_provider_call_id, x.started_at, x.ended_at, x.artifact_dir,
           x.operations_replayed, x.writeback_mode, x.http);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dataverse_call& x) {
  return f(caf::meta::type_name("dataverse_call"), x.step, x.method, x.relative_url, x.headers,
           x.body, x.resend_on_transient);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dataverse_reply& x) {
  return f(caf::meta::type_name("dataverse_reply"), x.outcome, x.status, x.headers, x.body,
           x.message, x.wait_seconds, x.counters);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_order& x) {
  return f(caf::meta::type_name("load_order"), x.session_id, x.decision_id, x.queue_item_id,
           x.campaign, x.row_json);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, page_order& x) {
  return f(caf::meta::type_name("page_order"), x.campaign, x.page_size, x.next_link);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, page_result& x) {
  return f(caf::meta::type_name("page_result"), x.status, x.rows, x.ids, x.next_link, x.message,
           x.counters);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_result& x) {
  return f(caf::meta::type_name("load_result"), x.status, x.item, x.decision, x.row_json,
           x.owner_override, x.warnings, x.message, x.counters);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_order& x) {
  return f(caf::meta::type_name("call_order"), x.session_id, x.call_id, x.transport,
           x.conversation);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, redaction_result& x) {
  return f(caf::meta::type_name("redaction_result"), x.transcript_file);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, claim_order& x) {
  return f(caf::meta::type_name("claim_order"), x.session_id, x.queue_item_id, x.row_json,
           x.loaded_attempts);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, claim_outcome& x) {
  return f(caf::meta::type_name("claim_outcome"), x.status, x.row_json, x.conflicting_fields,
           x.message, x.counters);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, emit_order& x) {
  return f(caf::meta::type_name("emit_order"), x.session_id, x.queue_item_id, x.plan,
           x.baseline_row_json, x.task_owner_set, x.session_warning, x.phone_call_done,
           x.queue_status_done, x.task_done, x.batch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, emit_outcome& x) {
  return f(caf::meta::type_name("emit_outcome"), x.status, x.results, x.conflicting_fields,
           x.message, x.phone_call_done, x.queue_status_done, x.task_done, x.counters);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_checkpoint& x) {
  return f(caf::meta::type_name("write_checkpoint"), x.session_id, x.point, x.phone_call_done,
           x.queue_status_done, x.results);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkpoint_verdict& x) {
  return f(caf::meta::type_name("checkpoint_verdict"), x.proceed, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plan_order& x) {
  return f(caf::meta::type_name("plan_order"), x.session_id, x.item, x.started_at, x.ended_at,
           x.now, x.decision, x.call, x.transcript_written, x.task_id, x.callback_owner,
           x.review_owner, x.task_owner_set, x.mode, x.batch, x.load_etag, x.claim_etag,
           x.session_warning);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plan_result& x) {
  return f(caf::meta::type_name("plan_result"), x.result, x.plan, x.keys, x.attempts_after,
           x.http_plan_json, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_order& x) {
  return f(caf::meta::type_name("session_order"), x.queue_item_id, x.campaign, x.transport,
           x.conversation, x.row_json, x.drain_id, x.scenario);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resume_order& x) {
  return f(caf::meta::type_name("resume_order"), x.session_id, x.plan, x.read_plan, x.drain_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_report& x) {
  return f(caf::meta::type_name("session_report"), x.outcome, x.run_report_json, x.artifact_dir,
           x.run_report_path, x.operations_replayed, x.notices, x.http, x.saw_throttle);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, drain_order& x) {
  return f(caf::meta::type_name("drain_order"), x.drain_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, drain_counts& x) {
  return f(caf::meta::type_name("drain_counts"), x.seen, x.processed, x.deferred, x.not_started,
           x.completed, x.blocked_eligibility, x.blocked_conflict, x.blocked_other, x.resume_needed,
           x.failed, x.no_callable_item, x.queued);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, drain_snapshot& x) {
  return f(caf::meta::type_name("drain_snapshot"), x.drain_id, x.state, x.in_flight, x.target,
           x.ceiling, x.counts, x.paused_until, x.last_429_at, x.pages_fetched, x.pages_remain,
           x.throttled, x.elapsed_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, drain_summary& x) {
  return f(caf::meta::type_name("drain_summary"), x.last, x.dispositions, x.status, x.block_reason,
           x.message, x.cancelled, x.warnings, x.duration_ms, x.session_p50_ms, x.session_p99_ms,
           x.request_p50_ms, x.request_p99_ms, x.http, x.max_in_flight_requests, x.dop_hint,
           x.initial, x.final, x.min, x.max, x.increases, x.decreases);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gateway_stats& x) {
  return f(caf::meta::type_name("gateway_stats"), x.request_p50_ms, x.request_p99_ms,
           x.max_in_flight, x.dop_hint);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, drain_note& x) {
  return f(caf::meta::type_name("drain_note"), x.drain_id, x.queue_item_id, x.outcome);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ctl_request& x) {
  return f(caf::meta::type_name("ctl_request"), x.version, x.token, x.command, x.args);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ctl_reply& x) {
  return f(caf::meta::type_name("ctl_reply"), x.code, x.body);
}

}  // namespace opencloser
