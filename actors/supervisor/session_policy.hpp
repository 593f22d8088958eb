#pragma once
// The supervisor's policies as pure functions (dataverse.md §6, §7, §10, §12): how a claim or
// write-back outcome ends a session (exit status, block reason, ledger state), and the resume
// pre-flight on the ledger. The supervisor actor only carries them out.

#include <optional>
#include <string>
#include <vector>

#include "adapters/state/state_records.hpp"
#include "messages/claim.hpp"
#include "messages/emit.hpp"
#include "messages/report.hpp"
#include "messages/session.hpp"

namespace opencloser {

/// How a session ends after a step, or nullopt from the `continue_with` functions.
struct session_end {
  exit_status status = exit_status::failed;
  nullable<std::string> block_reason;
  std::string message;
  /// The ledger's run_status after it; nullopt = leave the ledger alone (it is not ours).
  std::optional<run_status> ledger;
};

/// A claim that did not land (§6): conflict → blocked/conflict_detected, ledger blocked;
/// failed → failed, ledger aborted; unknown → resume_needed; other → blocked/permanent_other.
/// nullopt for `claimed`.
std::optional<session_end> end_after_claim(const claim_outcome& outcome);

/// The write-back's end (§7, §10 step 7). `resume` prefixes failures with
/// `resume replay failed: ` and words success as `resume completed; replayed …`.
session_end end_after_emit(const emit_outcome& outcome, bool resume,
                           const std::vector<std::string>& replayed);

/// The names of the operations an emit confirmed, in §7 order (`phone_call_activity`,
/// `queue_status_update`, `task`).
std::vector<std::string> operations_confirmed(const emit_outcome& outcome);

/// The ledger change an emit's outcome commits: done flags, confirmed correlations.
ledger_change ledger_change_of(const emit_outcome& outcome);

/// The local keys of the Dataverse records an emit has done (domain.md §10: committed with the
/// ledger flags they guard).
std::vector<local_idempotency_key> done_keys(const std::vector<local_idempotency_key>& keys,
                                             const emit_outcome& outcome);

/// §10 step 2. `proceed` when the session may be taken over; else the answer to give at once.
struct preflight_verdict {
  bool proceed = false;
  exit_status status = exit_status::failed;
  nullable<std::string> block_reason;
  std::string message;
  bool usage_error = false;  ///< an `error:` line and exit 2, no run report
};
preflight_verdict resume_preflight(const std::string& session_id,
                                   const std::optional<ledger_row>& row, unix_ms system_now,
                                   const std::optional<write_plan_record>& plan_record,
                                   const std::string& mapping_path,
                                   const std::string& mapping_sha256);

}  // namespace opencloser
