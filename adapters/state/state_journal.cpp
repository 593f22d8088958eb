// The journal's writes: one transaction per call (domain.md §4, §6, §10; dataverse.md §12).

#include "adapters/state/state_journal.hpp"

#include "adapters/artifacts/artifact_json.hpp"
#include "adapters/state/sqlite_connection.hpp"
#include "adapters/state/state_columns.hpp"

namespace opencloser {

using namespace state_columns;

namespace {

constexpr bool is_terminal(session_state s) {
  return s == session_state::finalized || s == session_state::blocked ||
         s == session_state::aborted;
}

session_state stored_state(sqlite::connection& db, const std::string& session_id) {
  auto row = db.query("SELECT state FROM sessions WHERE session_id = ?1", session_id);
  if (!row.next()) throw state_error("session '" + session_id + "' is not in the state database");
  return enum_column<session_state>(row.text(0), "sessions.state");
}

/// The mutable columns of a session row; terminal states never change.
void write_session(sqlite::connection& db, const session_record& s, unix_ms now) {
  const auto current = stored_state(db, s.session_id);
  if (is_terminal(current) && current != s.state)
    throw state_error("session '" + s.session_id + "' is already '" +
                      std::string(to_string(current)) + "'; it cannot become '" +
                      std::string(to_string(s.state)) + "'");
  db.execute(
      "UPDATE sessions SET persona_version = ?2, state = ?3, final_disposition = ?4, "
      "blocked_reason = ?5, mock_provider_call_id = ?6, ended_at = ?7, drain_id = ?8, "
      "updated_at = ?9 WHERE session_id = ?1",
      s.session_id, s.persona_version, s.state, nullable_name(s.final_disposition),
      s.blocked_reason, s.mock_provider_call_id, s.ended_at, s.drain_id, format_utc_ms(now));
}

/// Inserts a local idempotency key; false when it exists ("already applied", domain.md §10).
bool insert_key(sqlite::connection& db, const local_idempotency_key& key, unix_ms now) {
  return db.insert_unless_duplicate(
      "INSERT INTO idempotency_keys (session_id, mock_provider_call_id, event_id, "
      "write_back_kind, applied_at) VALUES (?1, ?2, ?3, ?4, ?5)",
      key.session_id, key.call_id, key.event_id, key.kind, format_utc_ms(now));
}

void insert_baseline(sqlite::connection& db, const queue_baseline& b) {
  db.execute(
      "INSERT INTO queue_baselines (session_id, phase, queue_item_id, captured_at, status_value, "
      "last_session_id, last_disposition, etag, preserve_values) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
      b.session_id, b.phase, b.queue_item_id, b.captured_at, json_text(b.status_value),
      b.last_session_id, b.last_disposition, b.etag, json_text(json::value(b.preserve_values)));
}

void insert_write_plan(sqlite::connection& db, const write_plan_record& p) {
  db.execute(
      "INSERT INTO write_plans (session_id, writeback_mode, link_regarding, queue_entity_set, "
      "queue_primary_id, phone_call_entity_set, phone_call_primary_id, phone_call_key_column, "
      "phone_call_regarding, task_entity_set, task_primary_id, task_key_column, task_regarding, "
      "owner_id, owner_entity_set, mapping_sha256, planned_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
      p.session_id, p.writeback_mode, p.link_regarding, p.queue_entity_set, p.queue_primary_id,
      p.phone_call_entity_set, p.phone_call_primary_id, p.phone_call_key_column,
      p.phone_call_regarding, p.task_entity_set, p.task_primary_id, p.task_key_column,
      p.task_regarding, p.owner_id, p.owner_entity_set, p.mapping_sha256, p.planned_at);
}

void upsert_correlation(sqlite::connection& db, const crm_correlation& c, const std::string& at) {
  // A confirmed row keeps its status and record id (domain.md §11); a known record id is never
  // replaced by null.
  db.execute(
      "INSERT INTO crm_correlations (session_id, record_kind, idempotency_key, "
      "dataverse_record_id, write_status, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
      "ON CONFLICT (session_id, record_kind) DO UPDATE SET "
      "idempotency_key = excluded.idempotency_key, "
      "dataverse_record_id = CASE WHEN write_status = 'confirmed' THEN dataverse_record_id "
      "ELSE coalesce(excluded.dataverse_record_id, dataverse_record_id) END, "
      "write_status = CASE WHEN write_status = 'confirmed' THEN 'confirmed' "
      "ELSE excluded.write_status END, "
      "updated_at = excluded.updated_at",
      c.session_id, c.record_kind, c.idempotency_key, c.dataverse_record_id, c.write_status, at);
}

}  // namespace

// ---- Session pipeline -----------------------------------------------------------------------

void state_journal::begin_session(const session_start& start) {
  auto& db = *db_;
  const auto& s = start.session;
  const auto& d = start.decision;
  const auto& q = start.loaded_item;
  sqlite::transaction tx(db);
  db.execute(
      "INSERT INTO sessions (session_id, queue_item_id, persona_version, state, "
      "final_disposition, blocked_reason, mock_provider_call_id, started_at, ended_at, run_mode, "
      "drain_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?8)",
      s.session_id, s.queue_item_id, s.persona_version, s.state, nullable_name(s.final_disposition),
      s.blocked_reason, s.mock_provider_call_id, s.started_at, s.ended_at, s.mode, s.drain_id);
  db.execute(
      "INSERT INTO queue_item_snapshots (session_id, queue_item_id, facility_name, phone_number, "
      "timezone, default_tz_applied, email, attempt_count, dnc_flag, callable_status, "
      "last_decision_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
      s.session_id, q.queue_item_id, q.facility_name, q.phone_number, q.timezone,
      q.default_tz_applied, q.email, q.attempt_count, q.dnc_flag, q.status, q.last_decision_at);
  db.execute(
      "INSERT INTO eligibility_decisions (decision_id, session_id, queue_item_id, decided_at, "
      "outcome, rule_a_phone_pass, rule_b_timezone_pass, rule_c_call_window_pass, "
      "rule_d_dnc_pass, rule_e_max_attempts_pass, rule_f_callable_status_pass, failing_rules, "
      "default_tz_applied, default_tz_substituted_for) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
      d.decision_id, d.session_id, d.queue_item_id, d.decided_at, d.outcome, d.rules[0], d.rules[1],
      d.rules[2], d.rules[3], d.rules[4], d.rules[5], letters_json(d.failing_rules),
      d.default_tz_applied, d.default_tz_substituted_for);
  if (start.lease) {
    const auto& lease = *start.lease;
    db.execute(
        "INSERT INTO writeback_progress (session_id, run_status, updated_at, lease_expires_at, "
        "lease_owner) VALUES (?1, 'in_progress', ?2, ?3, ?4)",
        s.session_id, format_utc_ms(lease.now), format_utc_ms(lease.expires_at()), lease.owner);
  }
  if (start.load_baseline) insert_baseline(db, *start.load_baseline);
  tx.commit();
}

void state_journal::update_session(const session_record& session, unix_ms now) {
  sqlite::transaction tx(*db_);
  write_session(*db_, session, now);
  tx.commit();
}

bool state_journal::record_call_placed(const session_record& session,
                                       std::int64_t loaded_attempt_count, unix_ms now) {
  auto& db = *db_;
  sqlite::transaction tx(db);
  const local_idempotency_key key{session.session_id, session.mock_provider_call_id.value_or(""),
                                  "", writeback_kind::attempt_count};
  if (!insert_key(db, key, now)) return false;
  write_session(db, session, now);
  db.execute(
      "INSERT INTO attempt_mirror (queue_item_id, attempt_count, last_session_id, updated_at) "
      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (queue_item_id) DO UPDATE SET "
      "attempt_count = attempt_count + 1, last_session_id = excluded.last_session_id, "
      "updated_at = excluded.updated_at",
      session.queue_item_id, loaded_attempt_count + 1, session.session_id, format_utc_ms(now));
  tx.commit();
  return true;
}

void state_journal::record_call_outcome(const session_record& session, const call_outcome& outcome,
                                        unix_ms now) {
  auto& db = *db_;
  sqlite::transaction tx(db);
  write_session(db, session, now);
  for (const auto& event_id : outcome.idempotency_event_ids)
    insert_key(db, {session.session_id, outcome.call_id, event_id, writeback_kind::session_state},
               now);
  for (const auto& e : outcome.events)
    db.insert_unless_duplicate(
        "INSERT INTO mock_call_events (session_id, event_id, event_type, received_at, payload) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
        session.session_id, e.event_id, e.type, e.received_at, json_text(to_json(e.payload)));
  for (const auto& a : outcome.audits)
    db.insert_unless_duplicate(
        "INSERT INTO conflicting_event_audits (audit_id, session_id, event_id, "
        "conflicting_event_type, received_at, full_event_payload, preserved_disposition) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        a.audit_id, session.session_id, a.event_id, a.conflicting_event_type, a.received_at,
        json_text(to_json(a.full_event_payload)), a.preserved_disposition);
  tx.commit();
}

bool state_journal::record_session_result(const session_record& session, const normalized_result& r,
                                          const writeback_plan& plan, unix_ms now) {
  auto& db = *db_;
  sqlite::transaction tx(db);
  const local_idempotency_key key{session.session_id, session.mock_provider_call_id.value_or(""),
                                  "", writeback_kind::normalized_result};
  if (!insert_key(db, key, now)) return false;
  write_session(db, session, now);
  db.execute(
      "INSERT INTO normalized_results (session_id, schema_version, queue_item_id, "
      "mock_provider_call_id, persona_version, final_disposition, summary, transcript_pointer, "
      "captured_email, captured_email_unverified, callback_requested, preferred_callback_window, "
      "human_review_reason, blocked_reason, started_at, ended_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
      r.session_id, session_schema_version, r.queue_item_id, r.mock_provider_call_id,
      r.persona_version, r.final_disposition, r.summary, r.transcript_pointer, r.captured_email,
      r.captured_email_unverified, r.callback_requested, r.preferred_callback_window,
      nullable_name(r.human_review_reason),
      r.blocked_reason ? nullable<std::string>(letters_json(*r.blocked_reason))
                       : nullable<std::string>(),
      r.started_at, r.ended_at);
  if (const auto& p = plan.phone_call_activity)
    db.execute(
        "INSERT INTO phone_call_activities (session_id, schema_version, queue_item_id, "
        "mock_provider_call_id, persona_version, final_disposition, summary, started_at, "
        "ended_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        p->session_id, session_schema_version, p->queue_item_id, p->mock_provider_call_id,
        p->persona_version, p->final_disposition, p->summary, p->started_at, p->ended_at);
  const auto& u = plan.queue_status;
  db.execute(
      "INSERT INTO queue_status_updates (session_id, schema_version, queue_item_id, "
      "previous_status, new_status, transition_reason, transition_at, set_dnc_flag) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      plan.session_id, session_schema_version, u.queue_item_id, u.previous_status, u.new_status,
      u.transition_reason, u.transition_at, u.set_dnc_flag);
  if (const auto& t = plan.task)
    db.execute(
        "INSERT INTO task_payloads (task_id, session_id, schema_version, queue_item_id, "
        "task_kind, subject, reason_code, preferred_callback_window, captured_email, "
        "assigned_to, persona_version, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        t->task_id, t->session_id, session_schema_version, t->queue_item_id, t->kind, t->subject,
        nullable_name(t->reason_code), t->preferred_callback_window, t->captured_email,
        t->assigned_to, t->persona_version, t->created_at);
  tx.commit();
  return true;
}

void state_journal::finalize_session(const std::string& session_id, unix_ms now) {
  auto& db = *db_;
  sqlite::transaction tx(db);
  const auto current = stored_state(db, session_id);
  if (current == session_state::finalized) return;  // already the last commit
  if (is_terminal(current))
    throw state_error("session '" + session_id + "' is already '" +
                      std::string(to_string(current)) + "'; it cannot be finalized");
  db.execute("UPDATE sessions SET state = 'finalized', updated_at = ?2 WHERE session_id = ?1",
             session_id, format_utc_ms(now));
  tx.commit();
}

// ---- Ledger ---------------------------------------------------------------------------------

ledger_row state_journal::apply(const std::string& session_id, const ledger_lease& lease,
                                const ledger_change& change) {
  auto& db = *db_;
  sqlite::transaction tx(db);
  // The owner check and the write share this transaction (dataverse.md §12): a takeover
  // committed by another process in between cannot be overwritten.
  {
    auto row = db.query(
        "SELECT lease_owner, run_status FROM writeback_progress "
        "WHERE session_id = ?1",
        session_id);
    if (!row.next())
      throw state_error("session '" + session_id + "' has no writeback_progress row");
    if (row.text(0) != lease.owner) throw lease_lost_error(session_id, row.text(0));
    if (row.text(1) != to_string(run_status::in_progress))
      throw state_error("session '" + session_id + "' ledger is '" + row.text(1) +
                        "'; it takes no further writes");
  }
  const bool set_status = change.status.has_value();
  const bool completed = set_status && *change.status == run_status::completed;
  const bool set_error = completed || change.last_error.has_value();
  const nullable<std::string> last_error =
      completed || !change.last_error ? nullable<std::string>() : *change.last_error;
  const bool set_block = change.block_reason.has_value();
  const nullable<std::string> block_reason =
      set_block ? *change.block_reason : nullable<std::string>();
  const auto at = format_utc_ms(lease.now);
  db.execute(
      "UPDATE writeback_progress SET "
      "claim_done = max(claim_done, ?2), "
      "phone_call_activity_done = max(phone_call_activity_done, ?3), "
      "queue_status_update_done = max(queue_status_update_done, ?4), "
      "task_done = max(task_done, ?5), "
      "run_status = coalesce(?6, run_status), "
      "block_reason = CASE WHEN ?7 THEN ?8 ELSE block_reason END, "
      "last_error = CASE WHEN ?9 THEN ?10 ELSE last_error END, "
      "updated_at = ?11, lease_expires_at = ?12 "
      "WHERE session_id = ?1",
      session_id, change.claim_done, change.phone_call_activity_done,
      change.queue_status_update_done, change.task_done, change.status, set_block, block_reason,
      set_error, last_error, at, format_utc_ms(lease.expires_at()));
  for (const auto& key : change.keys) insert_key(db, key, lease.now);
  for (const auto& c : change.correlations) upsert_correlation(db, c, at);
  if (change.claim_baseline) insert_baseline(db, *change.claim_baseline);
  if (change.write_plan) insert_write_plan(db, *change.write_plan);
  tx.commit();
  return *ledger(session_id);
}

ledger_row state_journal::renew_lease(const std::string& session_id, const ledger_lease& lease) {
  return apply(session_id, lease, {});
}

bool state_journal::take_over(const std::string& session_id, const ledger_lease& lease) {
  // One statement is one transaction; the WHERE clause is dataverse.md §12's, verbatim.
  return db_->execute(
             "UPDATE writeback_progress SET run_status = 'in_progress', lease_owner = ?2, "
             "lease_expires_at = ?3, updated_at = ?4 "
             "WHERE session_id = ?1 AND (run_status = 'resume_needed' OR "
             "(run_status = 'in_progress' AND lease_expires_at < ?4))",
             session_id, lease.owner, format_utc_ms(lease.expires_at()),
             format_utc_ms(lease.now)) == 1;
}

void state_journal::record_task_owner(const std::string& session_id, const std::string& owner_id) {
  sqlite::transaction tx(*db_);
  if (db_->execute("UPDATE task_payloads SET assigned_to = ?2 WHERE session_id = ?1", session_id,
                   owner_id) != 1)
    throw state_error("session '" + session_id + "' has no planned task");
  tx.commit();
}

// ---- Drains ---------------------------------------------------------------------------------

void state_journal::record_drain(const std::string& drain_id, const nullable<std::string>& campaign,
                                 unix_ms started_at) {
  db_->execute("INSERT INTO drains (drain_id, campaign, started_at) VALUES (?1, ?2, ?3)", drain_id,
               campaign, format_utc_ms(started_at));
}

void state_journal::record_drain_item(const drain_item_record& i, unix_ms now) {
  db_->execute(
      "INSERT INTO drain_items (drain_id, queue_item_id, session_id, outcome, block_reason, "
      "final_disposition, scenario, node, completed_seq, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
      "(SELECT coalesce(max(completed_seq), 0) + 1 FROM drain_items WHERE drain_id = ?1), ?9) "
      "ON CONFLICT (drain_id, queue_item_id) DO UPDATE SET "
      "session_id = coalesce(excluded.session_id, session_id), outcome = excluded.outcome, "
      "block_reason = excluded.block_reason, final_disposition = excluded.final_disposition, "
      "scenario = coalesce(excluded.scenario, scenario), node = excluded.node, "
      "completed_seq = excluded.completed_seq, updated_at = excluded.updated_at",
      i.drain_id, i.queue_item_id, i.session_id, i.outcome, i.block_reason, i.final_disposition,
      i.scenario, i.node, format_utc_ms(now));
}

void state_journal::for_each_drain_item(
    const std::string& drain_id, const std::function<void(const drain_item_record&)>& visit) {
  auto rows = db_->query(
      "SELECT queue_item_id, session_id, outcome, block_reason, final_disposition, scenario, "
      "node FROM drain_items WHERE drain_id = ?1 ORDER BY completed_seq",
      drain_id);
  while (rows.next()) {
    drain_item_record item;
    item.drain_id = drain_id;
    item.queue_item_id = rows.text(0);
    item.session_id = rows.nullable_text(1);
    item.outcome = rows.text(2);
    item.block_reason = rows.nullable_text(3);
    item.final_disposition = rows.nullable_text(4);
    item.scenario = rows.nullable_text(5);
    item.node = rows.text(6);
    visit(item);
  }
}

}  // namespace opencloser
