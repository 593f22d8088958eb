// The journal's reads: resume pre-flight (dataverse.md §10), run report and drain resumption.

#include "adapters/state/sqlite_connection.hpp"
#include "adapters/state/state_columns.hpp"
#include "adapters/state/state_journal.hpp"

namespace opencloser {

using namespace state_columns;

std::optional<ledger_row> state_journal::ledger(const std::string& session_id) {
  auto row = db_->query(
      "SELECT claim_done, phone_call_activity_done, queue_status_update_done, task_done, "
      "run_status, block_reason, last_error, updated_at, lease_expires_at, lease_owner "
      "FROM writeback_progress WHERE session_id = ?1",
      session_id);
  if (!row.next()) return std::nullopt;
  ledger_row l;
  l.session_id = session_id;
  l.claim_done = row.boolean(0);
  l.phone_call_activity_done = row.boolean(1);
  l.queue_status_update_done = row.boolean(2);
  l.task_done = row.boolean(3);
  l.status = enum_column<run_status>(row.text(4), "writeback_progress.run_status");
  l.block_reason = row.nullable_text(5);
  l.last_error = row.nullable_text(6);
  l.updated_at = row.text(7);
  l.lease_expires_at = row.text(8);
  l.lease_owner = row.text(9);
  return l;
}

std::optional<session_record> state_journal::session(const std::string& session_id) {
  auto row = db_->query(
      "SELECT queue_item_id, persona_version, state, final_disposition, blocked_reason, "
      "mock_provider_call_id, started_at, ended_at, run_mode, drain_id "
      "FROM sessions WHERE session_id = ?1",
      session_id);
  if (!row.next()) return std::nullopt;
  session_record s;
  s.session_id = session_id;
  s.queue_item_id = row.text(0);
  s.persona_version = row.nullable_text(1);
  s.state = enum_column<session_state>(row.text(2), "sessions.state");
  s.final_disposition =
      nullable_enum_column<disposition>(row.nullable_text(3), "sessions.final_disposition");
  s.blocked_reason = row.nullable_text(4);
  s.mock_provider_call_id = row.nullable_text(5);
  s.started_at = row.text(6);
  s.ended_at = row.nullable_text(7);
  s.mode = enum_column<run_mode>(row.text(8), "sessions.run_mode");
  s.drain_id = row.nullable_text(9);
  return s;
}

std::optional<eligibility_decision> state_journal::decision(const std::string& session_id) {
  auto row = db_->query(
      "SELECT decision_id, queue_item_id, decided_at, outcome, rule_a_phone_pass, "
      "rule_b_timezone_pass, rule_c_call_window_pass, rule_d_dnc_pass, rule_e_max_attempts_pass, "
      "rule_f_callable_status_pass, failing_rules, default_tz_applied, default_tz_substituted_for "
      "FROM eligibility_decisions WHERE session_id = ?1",
      session_id);
  if (!row.next()) return std::nullopt;
  eligibility_decision d;
  d.decision_id = row.text(0);
  d.queue_item_id = row.text(1);
  d.session_id = session_id;
  d.decided_at = row.text(2);
  d.outcome = enum_column<eligibility_outcome>(row.text(3), "eligibility_decisions.outcome");
  for (int i = 0; i < 6; ++i) d.rules[static_cast<std::size_t>(i)] = row.boolean(4 + i);
  d.failing_rules = letters_from(row.text(10), "eligibility_decisions.failing_rules");
  d.default_tz_applied = row.boolean(11);
  d.default_tz_substituted_for = row.nullable_text(12);
  return d;
}

std::optional<queue_item> state_journal::loaded_item(const std::string& session_id) {
  auto row = db_->query(
      "SELECT queue_item_id, facility_name, phone_number, timezone, default_tz_applied, email, "
      "attempt_count, dnc_flag, callable_status, last_decision_at "
      "FROM queue_item_snapshots WHERE session_id = ?1",
      session_id);
  if (!row.next()) return std::nullopt;
  queue_item q;
  q.queue_item_id = row.text(0);
  q.facility_name = row.text(1);
  q.phone_number = row.nullable_text(2);
  q.timezone = row.nullable_text(3);
  q.default_tz_applied = row.boolean(4);
  q.email = row.nullable_text(5);
  q.attempt_count = row.integer(6);
  q.dnc_flag = row.boolean(7);
  q.status = enum_column<callable_status>(row.text(8), "queue_item_snapshots.callable_status");
  q.last_decision_at = row.nullable_text(9);
  return q;
}

std::optional<queue_baseline> state_journal::baseline(const std::string& session_id,
                                                      baseline_phase phase) {
  auto row = db_->query(
      "SELECT queue_item_id, captured_at, status_value, last_session_id, last_disposition, etag, "
      "preserve_values FROM queue_baselines WHERE session_id = ?1 AND phase = ?2",
      session_id, phase);
  if (!row.next()) return std::nullopt;
  queue_baseline b;
  b.session_id = session_id;
  b.phase = phase;
  b.queue_item_id = row.text(0);
  b.captured_at = row.text(1);
  b.status_value = parse_column(row.text(2), "queue_baselines.status_value");
  b.last_session_id = row.nullable_text(3);
  b.last_disposition = row.nullable_text(4);
  b.etag = row.nullable_text(5);
  auto preserve = parse_column(row.text(6), "queue_baselines.preserve_values");
  if (!preserve.is_object())
    throw state_error("state database column queue_baselines.preserve_values is not an object");
  b.preserve_values = preserve.as_object();
  return b;
}

std::optional<queue_baseline> state_journal::active_baseline(const std::string& session_id) {
  if (auto claimed = baseline(session_id, baseline_phase::claim)) return claimed;
  return baseline(session_id, baseline_phase::load);
}

std::optional<write_plan_record> state_journal::write_plan(const std::string& session_id) {
  auto row = db_->query(
      "SELECT writeback_mode, link_regarding, queue_entity_set, queue_primary_id, "
      "phone_call_entity_set, phone_call_primary_id, phone_call_key_column, "
      "phone_call_regarding, task_entity_set, task_primary_id, task_key_column, task_regarding, "
      "owner_id, owner_entity_set, mapping_sha256, planned_at "
      "FROM write_plans WHERE session_id = ?1",
      session_id);
  if (!row.next()) return std::nullopt;
  write_plan_record p;
  p.session_id = session_id;
  p.writeback_mode = row.text(0);
  p.link_regarding = row.boolean(1);
  p.queue_entity_set = row.text(2);
  p.queue_primary_id = row.text(3);
  p.phone_call_entity_set = row.text(4);
  p.phone_call_primary_id = row.text(5);
  p.phone_call_key_column = row.text(6);
  p.phone_call_regarding = row.nullable_text(7);
  p.task_entity_set = row.text(8);
  p.task_primary_id = row.text(9);
  p.task_key_column = row.text(10);
  p.task_regarding = row.nullable_text(11);
  p.owner_id = row.nullable_text(12);
  p.owner_entity_set = row.nullable_text(13);
  p.mapping_sha256 = row.text(14);
  p.planned_at = row.text(15);
  return p;
}

std::vector<crm_correlation> state_journal::correlations(const std::string& session_id) {
  std::vector<crm_correlation> found;
  auto row = db_->query(
      "SELECT record_kind, idempotency_key, dataverse_record_id, write_status, created_at, "
      "updated_at FROM crm_correlations WHERE session_id = ?1 ORDER BY record_kind",
      session_id);
  while (row.next()) {
    crm_correlation c;
    c.session_id = session_id;
    c.record_kind = enum_column<crm_record_kind>(row.text(0), "crm_correlations.record_kind");
    c.idempotency_key = row.text(1);
    c.dataverse_record_id = row.nullable_text(2);
    c.write_status = enum_column<crm_write_status>(row.text(3), "crm_correlations.write_status");
    c.created_at = row.text(4);
    c.updated_at = row.text(5);
    found.push_back(std::move(c));
  }
  return found;
}

std::vector<std::string> state_journal::resumable_sessions(unix_ms now) {
  std::vector<std::string> found;
  auto row = db_->query(
      "SELECT session_id FROM writeback_progress WHERE run_status = 'resume_needed' OR "
      "(run_status = 'in_progress' AND lease_expires_at < ?1) ORDER BY updated_at, session_id",
      format_utc_ms(now));
  while (row.next()) found.push_back(row.text(0));
  return found;
}

std::optional<std::int64_t> state_journal::mirrored_attempts(const std::string& queue_item_id) {
  auto row = db_->query("SELECT attempt_count FROM attempt_mirror WHERE queue_item_id = ?1",
                        queue_item_id);
  if (!row.next()) return std::nullopt;
  return row.integer(0);
}

bool state_journal::has_idempotency_key(const local_idempotency_key& key) {
  auto row = db_->query(
      "SELECT 1 FROM idempotency_keys WHERE session_id = ?1 AND mock_provider_call_id = ?2 AND "
      "event_id = ?3 AND write_back_kind = ?4",
      key.session_id, key.call_id, key.event_id, key.kind);
  return row.next();
}

}  // namespace opencloser
