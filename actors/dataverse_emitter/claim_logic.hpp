#pragma once
// The decisions of the claim (dataverse.md §6) as pure logic: what a re-read after a 412 or a
// verification read after transient exhaustion means — claimed, claim once more, conflict
// (naming the differing columns), failed or unknown — and the messages of each outcome. The
// emitter actor sends the requests and parses the rows into row_baselines; everything here is
// plain values, so every row of the §6 table can be tested without HTTP or CAF.
//
// Only the inline parts of json::value (construction, ==) are used: oc_domain does not link
// the adapters.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/dataverse/dataverse_responses.hpp"  // row_baseline (a plain struct)
#include "adapters/json/json.hpp"

namespace opencloser {

/// The conflicting-field names that are not columns (dataverse.md §7.1, error class Conflict).
inline constexpr std::string_view row_deleted_field = "__row_deleted__";
inline constexpr std::string_view etag_field = "@odata.etag";

/// What the claim compares and writes, resolved from the mapping by the caller: the logical
/// column names a conflict reports (empty = not mapped) and the in-progress option value.
struct claim_columns {
  std::string status;
  std::string last_session_id;
  std::string phone;
  std::string timezone;
  std::string attempt_count;
  std::string dnc;
  std::int64_t in_progress_value = 0;
};

/// A re-read of the queue row (the §6 claim re-read or verification read): `succeeded` false
/// when the GET itself failed (`message` says why); `row` nullopt when it found no row.
struct claim_reread {
  bool succeeded = false;
  std::optional<dataverse::row_baseline> row;
  std::string message;
};

enum class claim_step {
  claimed,        ///< this session's claim is on the row
  claim_again,    ///< only the ETag moved: PATCH once more with the re-read ETag
  conflict,       ///< `conflicting_fields` says what changed
  failed,         ///< the claim did not land and the row is as loaded
  resume_needed,  ///< the claim state is unknown
};

struct claim_decision {
  claim_step step = claim_step::failed;
  std::vector<std::string> conflicting_fields;
  bool operator==(const claim_decision&) const = default;
};

/// The row shows this session's claim: status = in-progress value and last session = `session_id`.
bool shows_claim(const claim_columns& columns, const dataverse::row_baseline& row,
                 std::string_view session_id);

/// The compared columns whose value in `now` differs from `loaded`, in the §7.1 order (status,
/// last session, preserve columns in mapping order) followed by the eligibility inputs the
/// claim also guards (phone, timezone, attempt count, DNC). Absent reads as null on both sides.
std::vector<std::string> claim_differences(const claim_columns& columns,
                                           const dataverse::row_baseline& loaded,
                                           const dataverse::row_baseline& now);

/// After a 412 on the claim PATCH. `reclaims_done`: how many re-claims with a re-read ETag were
/// already sent (the first 412 allows one; after that, a row equal to the loaded one is a
/// conflict `@odata.etag`). A re-read that fails leaves the claim state unknown (a lost
/// response may have landed an earlier attempt): resume_needed.
claim_decision decide_after_precondition_failed(const claim_columns& columns,
                                                const dataverse::row_baseline& loaded,
                                                const claim_reread& reread,
                                                std::string_view session_id, int reclaims_done);

/// After transient exhaustion of the claim PATCH, given the verification read: claimed →
/// claimed; row unchanged (same ETag as loaded; without a load ETag, equal values) → failed;
/// otherwise conflict (the differing columns, else `@odata.etag`; no row: `__row_deleted__`);
/// read failed → resume_needed.
claim_decision decide_after_exhaustion(const claim_columns& columns,
                                       const dataverse::row_baseline& loaded,
                                       const claim_reread& verification,
                                       std::string_view session_id);

/// After a 2xx without a usable body (a 204): the follow-up read shows the claim → claimed;
/// no row → `__row_deleted__`; another claim state → conflict naming the status/last-session
/// columns that do not carry this claim; read failed → resume_needed (the PATCH did land, but
/// the new ETag is unknown).
claim_decision decide_after_success_read(const claim_columns& columns, const claim_reread& read,
                                         std::string_view session_id);

/// `conflict_detected: queue item '<id>' changed between load and claim; conflicting fields:
/// <a, b>`.
std::string claim_conflict_message(std::string_view queue_item_id,
                                   const std::vector<std::string>& fields);
/// `dataverse claim failed: <error>` (transient exhaustion with the row unchanged, or a
/// permanent answer).
std::string claim_failed_message(std::string_view error);
/// `dataverse claim state unknown: <claim error>; verification read failed: <read error>`.
std::string claim_unknown_message(std::string_view claim_error, std::string_view read_error);

}  // namespace opencloser
