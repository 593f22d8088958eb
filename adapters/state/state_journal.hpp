#pragma once
// The state journal: the product's SQLite state database `opencloser-state-v1` (domain.md §11)
// and every local commit of the session pipeline (domain.md §4, §6, §10; dataverse.md §6, §10,
// §12). Each public call is one transaction: it commits completely or, on any exception, leaves
// nothing behind.
//
// Synchronous and NOT thread-safe: the pipeline's single state-writer actor owns one journal
// and calls it from one thread at a time. Other processes (a concurrent resume, `init-state`)
// may open the same file; WAL and the 5 s busy timeout serialize them.
//
// Times: arguments named `now` are product-clock times (rows, audit trail); a `ledger_lease`
// carries system UTC time for `lease_expires_at` and the ledger's `updated_at` (dataverse.md
// §12: never the frozen product clock). Callers pass both, so tests control them.
//
// Nothing secret has a column or a parameter here (dataverse.md §8).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/common/utc_ms.hpp"
#include "adapters/state/state_error.hpp"
#include "adapters/state/state_records.hpp"
#include "messages/call.hpp"
#include "messages/queue.hpp"
#include "messages/session.hpp"
#include "messages/writeback.hpp"

namespace opencloser {

namespace sqlite {
class connection;
}

// ---- Choosing the file (domain.md §11; before any open) -------------------------------------

/// The `schema_meta` version of an existing state database, read without ever opening the file
/// for writing. nullopt when the file does not exist, is empty, or has no `schema_meta` table.
/// Throws state_error for a file that is not a readable SQLite database.
std::optional<std::string> read_state_schema_version(const std::filesystem::path& file);

/// Where the path came from: `--state-db` or `[state].db` (file or environment override).
enum class state_db_source : std::uint8_t { flag, config };

struct state_db_choice {
  std::filesystem::path file;
  std::optional<std::string> notice;  ///< CLI notice after `warning:     ` (predecessor fallback)
};

/// Applies the predecessor rule: a `slice1-v1` database named by the flag → state_version_error
/// (`… belongs to the predecessor openCloser and is never modified; pass a new file to
/// --state-db`); named by the config → `<same directory>/opencloser.db` with a notice; any other
/// foreign version → state_version_error (`… was created by another version (<v>); …`).
state_db_choice choose_state_database(const std::filesystem::path& named, state_db_source source);

// ---- The journal ----------------------------------------------------------------------------

/// Everything committed together before the claim (domain.md §4 step 2, dataverse.md §6).
struct session_start {
  session_record session;
  eligibility_decision decision;
  queue_item loaded_item;                  ///< the QueueItem snapshot as loaded
  std::optional<ledger_lease> lease;       ///< write mode: ledger row `in_progress` with lease
  nullable<queue_baseline> load_baseline;  ///< write mode
};

class state_journal {
 public:
  /// Creates the database (parent directories mode 0700 when created, file mode 0600) or
  /// verifies an existing one, applies WAL, foreign keys, synchronous=NORMAL, busy timeout
  /// 5000 ms, and the schema (idempotent). A file of another schema version, a directory, a
  /// file that is not a SQLite database, or an uncreatable path → state_error naming the file;
  /// such a file is never written to. `now` stamps `schema_meta.applied_at`.
  static state_journal open(const std::filesystem::path& file, unix_ms now);

  state_journal(state_journal&&) noexcept;
  state_journal& operator=(state_journal&&) noexcept;
  ~state_journal();

  const std::filesystem::path& file() const { return file_; }
  /// True when this open created the schema (a new database), false when it verified one.
  bool created_schema() const { return created_schema_; }

  // -- Session pipeline (domain.md §4) --

  /// Step 2: session, decision, loaded snapshot and, in write mode, the ledger row
  /// (`in_progress`, lease) and the load baseline.
  void begin_session(const session_start& start);

  /// Writes the session's mutable columns (state, persona version, disposition, call id,
  /// blocked reason, ended_at, drain). `finalized`, `blocked` and `aborted` are terminal: moving
  /// a session out of one throws.
  void update_session(const session_record& session, unix_ms now);

  /// `place_call` happened: the session row (state `in_flight`, call id) and the local attempt
  /// mirror +1 under key `(session, call, "", attempt_count)`. The mirror starts from the loaded
  /// count. Returns false (and changes nothing) when that key already exists.
  bool record_call_placed(const session_record& session, std::int64_t loaded_attempt_count,
                          unix_ms now);

  /// The end of the event stream (domain.md §6): session row, event keys
  /// `(session, call, event, session_state)`, stored events and conflict audits. Rows whose key
  /// already exists are skipped.
  void record_call_outcome(const session_record& session, const call_outcome& outcome, unix_ms now);

  /// Disposition resolved: session row (final disposition persisted before any emit), the
  /// normalized result and the planned payloads, under key `(session, call or "", "",
  /// normalized_result)`. Returns false (changes nothing) when that key already exists.
  bool record_session_result(const session_record& session, const normalized_result& result,
                             const writeback_plan& plan, unix_ms now);

  /// State `finalized`, the last local commit of an allowed session. Idempotent.
  void finalize_session(const std::string& session_id, unix_ms now);

  // -- Ledger (dataverse.md §6, §7, §10, §12) --

  /// Applies `change` after checking, in the same transaction, that `lease.owner` still owns
  /// the ledger (else lease_lost_error `session '<sid>' was taken over by '<owner>'`) and that
  /// it is `in_progress` (terminal and `resume_needed` rows take no writes). Renews the lease.
  /// `completed` clears `last_error`. Returns the row as committed.
  ledger_row apply(const std::string& session_id, const ledger_lease& lease,
                   const ledger_change& change);

  /// Lease renewal (every lease_seconds/3 while in flight): apply() with no change.
  ledger_row renew_lease(const std::string& session_id, const ledger_lease& lease);

  /// Takeover, exactly dataverse.md §12's UPDATE (plus `updated_at`): succeeds only on
  /// `resume_needed` or on `in_progress` with `lease_expires_at < now`. false = no row changed;
  /// the caller evaluates pre-flight again on ledger().
  bool take_over(const std::string& session_id, const ledger_lease& lease);

  /// Records the owner a Task was created for (`task.assigned_to`, dataverse.md §7.4).
  void record_task_owner(const std::string& session_id, const std::string& owner_id);

  // -- Reads (resume pre-flight, run report) --

  std::optional<ledger_row> ledger(const std::string& session_id);
  std::optional<session_record> session(const std::string& session_id);
  std::optional<eligibility_decision> decision(const std::string& session_id);
  std::optional<queue_item> loaded_item(const std::string& session_id);
  std::optional<queue_baseline> baseline(const std::string& session_id, baseline_phase phase);
  /// The claim baseline when the claim landed, else the load baseline (dataverse.md §7).
  std::optional<queue_baseline> active_baseline(const std::string& session_id);
  std::optional<write_plan_record> write_plan(const std::string& session_id);
  /// Sorted by record kind (the run report's order).
  std::vector<crm_correlation> correlations(const std::string& session_id);
  /// Sessions `drain --resume-pending` may take over: `resume_needed`, or `in_progress` with a
  /// lease expired at `now` (system UTC), oldest ledger write first.
  std::vector<std::string> resumable_sessions(unix_ms now);
  std::optional<std::int64_t> mirrored_attempts(const std::string& queue_item_id);
  bool has_idempotency_key(const local_idempotency_key& key);

  // -- Drains (cli.md §5) --

  void record_drain(const std::string& drain_id, const nullable<std::string>& campaign,
                    unix_ms started_at);
  /// Item → session and outcome; a later outcome for the same item replaces the earlier one
  /// and moves it to the end of the completion order.
  void record_drain_item(const drain_item_record& item, unix_ms now);
  /// The drain's items in completion order, one at a time (the report streams them; a drain
  /// of any size never holds them in memory).
  void for_each_drain_item(const std::string& drain_id,
                           const std::function<void(const drain_item_record&)>& visit);

 private:
  state_journal(std::filesystem::path file, std::unique_ptr<sqlite::connection> db);

  std::filesystem::path file_;
  std::unique_ptr<sqlite::connection> db_;
  bool created_schema_ = false;
};

}  // namespace opencloser
