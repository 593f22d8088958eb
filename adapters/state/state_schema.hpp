#pragma once
// The DDL of the state database `opencloser-state-v1` (domain.md §11). Column names are the
// entity field names of domain.md §3. Every statement is idempotent (IF NOT EXISTS), so applying
// the schema to an existing v1 database changes nothing. Triggers enforce the journal's
// invariants in the database itself, so no code path (or hand edit) can break them: rows are
// never deleted, done flags never regress, terminal ledger states stay terminal, a confirmed
// correlation is never downgraded.

#include <string_view>

namespace opencloser {

inline constexpr std::string_view state_schema_version = "opencloser-state-v1";
/// The predecessor's schema_meta version: such a database is never opened for writing.
inline constexpr std::string_view predecessor_state_schema_version = "slice1-v1";

inline constexpr std::string_view state_schema_ddl = R"sql(
CREATE TABLE IF NOT EXISTS schema_meta (
  version    TEXT NOT NULL,
  applied_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS drains (
  drain_id   TEXT PRIMARY KEY,
  campaign   TEXT,
  started_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS sessions (
  session_id            TEXT PRIMARY KEY,
  queue_item_id         TEXT NOT NULL,
  persona_version       TEXT,
  state                 TEXT NOT NULL CHECK (state IN
    ('created','eligibility_evaluated','in_flight','finalized','blocked','aborted')),
  final_disposition     TEXT,
  blocked_reason        TEXT,
  mock_provider_call_id TEXT UNIQUE,
  started_at            TEXT NOT NULL,
  ended_at              TEXT,
  run_mode              TEXT NOT NULL CHECK (run_mode IN ('dry_run','write_enabled')),
  drain_id              TEXT,
  updated_at            TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_queue_item ON sessions (queue_item_id);

CREATE TABLE IF NOT EXISTS queue_item_snapshots (
  session_id         TEXT PRIMARY KEY REFERENCES sessions (session_id),
  queue_item_id      TEXT NOT NULL,
  facility_name      TEXT NOT NULL,
  phone_number       TEXT,
  timezone           TEXT,
  default_tz_applied INTEGER NOT NULL,
  email              TEXT,
  attempt_count      INTEGER NOT NULL,
  dnc_flag           INTEGER NOT NULL,
  callable_status    TEXT NOT NULL,
  last_decision_at   TEXT
);

CREATE TABLE IF NOT EXISTS eligibility_decisions (
  decision_id                 TEXT PRIMARY KEY,
  session_id                  TEXT NOT NULL UNIQUE REFERENCES sessions (session_id),
  queue_item_id               TEXT NOT NULL,
  decided_at                  TEXT NOT NULL,
  outcome                     TEXT NOT NULL CHECK (outcome IN ('allow','block')),
  rule_a_phone_pass           INTEGER NOT NULL,
  rule_b_timezone_pass        INTEGER NOT NULL,
  rule_c_call_window_pass     INTEGER NOT NULL,
  rule_d_dnc_pass             INTEGER NOT NULL,
  rule_e_max_attempts_pass    INTEGER NOT NULL,
  rule_f_callable_status_pass INTEGER NOT NULL,
  failing_rules               TEXT NOT NULL,
  default_tz_applied          INTEGER NOT NULL,
  default_tz_substituted_for  TEXT
);

CREATE TABLE IF NOT EXISTS mock_call_events (
  session_id  TEXT NOT NULL REFERENCES sessions (session_id),
  event_id    TEXT NOT NULL,
  event_type  TEXT NOT NULL,
  received_at TEXT NOT NULL,
  payload     TEXT NOT NULL,
  PRIMARY KEY (session_id, event_id)
);

CREATE TABLE IF NOT EXISTS conflicting_event_audits (
  audit_id               TEXT PRIMARY KEY,
  session_id             TEXT NOT NULL REFERENCES sessions (session_id),
  event_id               TEXT NOT NULL,
  conflicting_event_type TEXT NOT NULL,
  received_at            TEXT NOT NULL,
  full_event_payload     TEXT NOT NULL,
  preserved_disposition  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS idempotency_keys (
  session_id            TEXT NOT NULL REFERENCES sessions (session_id),
  mock_provider_call_id TEXT NOT NULL,
  event_id              TEXT NOT NULL,
  write_back_kind       TEXT NOT NULL,
  applied_at            TEXT NOT NULL,
  PRIMARY KEY (session_id, mock_provider_call_id, event_id, write_back_kind)
);

CREATE TABLE IF NOT EXISTS attempt_mirror (
  queue_item_id   TEXT PRIMARY KEY,
  attempt_count   INTEGER NOT NULL,
  last_session_id TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS normalized_results (
  session_id                TEXT PRIMARY KEY REFERENCES sessions (session_id),
  schema_version            TEXT NOT NULL,
  queue_item_id             TEXT NOT NULL,
  mock_provider_call_id     TEXT,
  persona_version           TEXT,
  final_disposition         TEXT NOT NULL,
  summary                   TEXT NOT NULL,
  transcript_pointer        TEXT,
  captured_email            TEXT,
  captured_email_unverified TEXT,
  callback_requested        INTEGER NOT NULL,
  preferred_callback_window TEXT,
  human_review_reason       TEXT,
  blocked_reason            TEXT,
  started_at                TEXT NOT NULL,
  ended_at                  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS phone_call_activities (
  session_id            TEXT PRIMARY KEY REFERENCES sessions (session_id),
  schema_version        TEXT NOT NULL,
  queue_item_id         TEXT NOT NULL,
  mock_provider_call_id TEXT,
  persona_version       TEXT NOT NULL,
  final_disposition     TEXT NOT NULL,
  summary               TEXT NOT NULL,
  started_at            TEXT NOT NULL,
  ended_at              TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS queue_status_updates (
  session_id        TEXT PRIMARY KEY REFERENCES sessions (session_id),
  schema_version    TEXT NOT NULL,
  queue_item_id     TEXT NOT NULL,
  previous_status   TEXT NOT NULL,
  new_status        TEXT NOT NULL,
  transition_reason TEXT NOT NULL,
  transition_at     TEXT NOT NULL,
  set_dnc_flag      INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS task_payloads (
  task_id                   TEXT PRIMARY KEY,
  session_id                TEXT NOT NULL UNIQUE REFERENCES sessions (session_id),
  schema_version            TEXT NOT NULL,
  queue_item_id             TEXT NOT NULL,
  task_kind                 TEXT NOT NULL,
  subject                   TEXT NOT NULL,
  reason_code               TEXT,
  preferred_callback_window TEXT,
  captured_email            TEXT,
  assigned_to               TEXT,
  persona_version           TEXT NOT NULL,
  created_at                TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS queue_baselines (
  session_id      TEXT NOT NULL REFERENCES sessions (session_id),
  phase           TEXT NOT NULL CHECK (phase IN ('load','claim')),
  queue_item_id   TEXT NOT NULL,
  captured_at     TEXT NOT NULL,
  status_value    TEXT NOT NULL,
  last_session_id TEXT,
  last_disposition TEXT,
  etag            TEXT,
  preserve_values TEXT NOT NULL,
  PRIMARY KEY (session_id, phase)
);

CREATE TABLE IF NOT EXISTS write_plans (
  session_id             TEXT PRIMARY KEY REFERENCES sessions (session_id),
  writeback_mode         TEXT NOT NULL CHECK (writeback_mode IN ('sequential','batch')),
  link_regarding         INTEGER NOT NULL,
  queue_entity_set       TEXT NOT NULL,
  queue_primary_id       TEXT NOT NULL,
  phone_call_entity_set  TEXT NOT NULL,
  phone_call_primary_id  TEXT NOT NULL,
  phone_call_key_column  TEXT NOT NULL,
  phone_call_regarding   TEXT,
  task_entity_set        TEXT NOT NULL,
  task_primary_id        TEXT NOT NULL,
  task_key_column        TEXT NOT NULL,
  task_regarding         TEXT,
  owner_id               TEXT,
  owner_entity_set       TEXT CHECK (owner_entity_set IN ('systemusers','teams')),
  mapping_sha256         TEXT NOT NULL,
  planned_at             TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS writeback_progress (
  session_id               TEXT PRIMARY KEY REFERENCES sessions (session_id),
  claim_done               INTEGER NOT NULL DEFAULT 0 CHECK (claim_done IN (0,1)),
  phone_call_activity_done INTEGER NOT NULL DEFAULT 0 CHECK (phone_call_activity_done IN (0,1)),
  queue_status_update_done INTEGER NOT NULL DEFAULT 0 CHECK (queue_status_update_done IN (0,1)),
  task_done                INTEGER NOT NULL DEFAULT 0 CHECK (task_done IN (0,1)),
  run_status               TEXT NOT NULL CHECK (run_status IN
    ('in_progress','completed','resume_needed','blocked','aborted')),
  block_reason             TEXT,
  last_error               TEXT,
  updated_at               TEXT NOT NULL,
  lease_expires_at         TEXT NOT NULL,
  lease_owner              TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS writeback_progress_by_status ON writeback_progress (run_status);

CREATE TABLE IF NOT EXISTS crm_correlations (
  session_id          TEXT NOT NULL REFERENCES sessions (session_id),
  record_kind         TEXT NOT NULL CHECK (record_kind IN
    ('phone_call_activity','task','queue_status','queue_claim')),
  idempotency_key     TEXT NOT NULL,
  dataverse_record_id TEXT,
  write_status        TEXT NOT NULL CHECK (write_status IN ('pending','confirmed','failed')),
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  PRIMARY KEY (session_id, record_kind)
);

CREATE TABLE IF NOT EXISTS drain_items (
  drain_id          TEXT NOT NULL REFERENCES drains (drain_id),
  queue_item_id     TEXT NOT NULL,
  session_id        TEXT REFERENCES sessions (session_id),
  outcome           TEXT NOT NULL,
  block_reason      TEXT,
  final_disposition TEXT,
  scenario          TEXT,
  node              TEXT,
  completed_seq     INTEGER NOT NULL DEFAULT 0,
  updated_at        TEXT NOT NULL,
  PRIMARY KEY (drain_id, queue_item_id)
);
-- The report streams items in completion order, and each new item takes max(seq) + 1: both
-- are index seeks, so a drain of any size journals each item in O(log n).
CREATE INDEX IF NOT EXISTS drain_items_order ON drain_items (drain_id, completed_seq);

CREATE TRIGGER IF NOT EXISTS writeback_progress_terminal
BEFORE UPDATE OF run_status, lease_owner ON writeback_progress
WHEN OLD.run_status IN ('completed','blocked','aborted') AND
     (NEW.run_status IS NOT OLD.run_status OR NEW.lease_owner IS NOT OLD.lease_owner)
BEGIN SELECT RAISE(ABORT, 'ledger state is terminal'); END;

CREATE TRIGGER IF NOT EXISTS writeback_progress_flags_never_regress
BEFORE UPDATE ON writeback_progress
WHEN NEW.claim_done < OLD.claim_done OR
     NEW.phone_call_activity_done < OLD.phone_call_activity_done OR
     NEW.queue_status_update_done < OLD.queue_status_update_done OR
     NEW.task_done < OLD.task_done
BEGIN SELECT RAISE(ABORT, 'a done flag never regresses'); END;

CREATE TRIGGER IF NOT EXISTS crm_correlations_confirmed_stays
BEFORE UPDATE OF write_status ON crm_correlations
WHEN OLD.write_status = 'confirmed' AND NEW.write_status <> 'confirmed'
BEGIN SELECT RAISE(ABORT, 'a confirmed correlation is never downgraded'); END;
)sql";

/// Tables whose rows are never deleted (domain.md §11: audit retention is by absence of
/// deletion); the journal adds one BEFORE DELETE trigger per table.
inline constexpr std::string_view state_tables[] = {
    "schema_meta",
    "drains",
    "sessions",
    "queue_item_snapshots",
    "eligibility_decisions",
    "mock_call_events",
    "conflicting_event_audits",
    "idempotency_keys",
    "attempt_mirror",
    "normalized_results",
    "phone_call_activities",
    "queue_status_updates",
    "task_payloads",
    "queue_baselines",
    "write_plans",
    "writeback_progress",
    "crm_correlations",
    "drain_items",
};

}  // namespace opencloser
