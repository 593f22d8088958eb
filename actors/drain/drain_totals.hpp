#pragma once
// The drain report's aggregates (cli.md §5.3): the totals, the disposition counts and the
// drain's own exit status, derived from the item outcomes alone. Pure: the drain actor feeds
// each item as it ends, the report writer and `ctl status` read the figures.

#include <array>
#include <cstdint>
#include <string>

#include "messages/enums.hpp"
#include "messages/nullable.hpp"
#include "messages/report.hpp"

namespace opencloser {

/// An item's `exit_status` in the drain report: a session's end, or no session at all.
enum class drain_item_status : std::uint8_t {
  completed,
  blocked,
  resume_needed,
  failed,
  no_callable_item,  ///< an enqueued id that was not found
  deferred,          ///< eligibility rule (c) alone failed: no session, no request
  not_started,       ///< seen but never started (cancel, unassigned_row)
};

template <>
struct enum_names<drain_item_status> {
  static constexpr auto values =
      std::to_array<std::string_view>({"completed", "blocked", "resume_needed", "failed",
                                       "no-callable-item", "deferred", "not_started"});
};

/// The item status of a session that ended with `status`. `no-resume-needed` (a
/// `--resume-pending` session whose work was already done) counts as completed; `cancelled`
/// (a session stopped by a signal) as resume_needed, which is what it needs.
drain_item_status item_status_of(exit_status status);

/// `totals` of the drain report (and `counts` of `ctl status`, without `queued`).
struct drain_totals {
  std::int64_t seen = 0;
  std::int64_t processed = 0;
  std::int64_t deferred = 0;
  std::int64_t not_started = 0;
  std::int64_t completed = 0;
  std::int64_t blocked_eligibility = 0;
  std::int64_t blocked_conflict = 0;
  std::int64_t blocked_other = 0;
  std::int64_t resume_needed = 0;
  std::int64_t failed = 0;
  std::int64_t no_callable_item = 0;
  bool operator==(const drain_totals&) const = default;

  /// processed = completed + every blocked + resume_needed + failed + no_callable_item.
  std::int64_t processed_sum() const;
  std::int64_t blocked() const { return blocked_eligibility + blocked_conflict + blocked_other; }
  /// Rows with a final outcome (processed + deferred + not_started); equals `seen` at the end.
  std::int64_t done() const { return processed + deferred + not_started; }
};

/// The `dispositions` object: every one of the 11 values, zero included.
using disposition_counts = std::array<std::int64_t, enum_names<disposition>::values.size()>;

/// Accumulates the figures while the drain runs.
class drain_tally {
 public:
  /// Rows handed over by the pager (or enqueued and accepted).
  void on_rows_seen(std::int64_t rows) { totals_.seen += rows; }

  /// One item's end. `block_reason` splits `blocked`: `eligibility`, `conflict_detected`,
  /// anything else (metadata, permanent_other, …) is "other". The disposition is counted when
  /// the session reached one.
  void on_item(drain_item_status status, const nullable<std::string>& block_reason,
               const nullable<disposition>& final_disposition);

  const drain_totals& totals() const { return totals_; }
  const disposition_counts& dispositions() const { return dispositions_; }
  std::int64_t disposition_count(disposition d) const {
    return dispositions_[static_cast<std::size_t>(d)];
  }

 private:
  drain_totals totals_;
  disposition_counts dispositions_{};
};

/// An empty string when the documented equalities hold (seen = processed + deferred +
/// not_started, processed = its sum), else a message naming the first one broken. The seen
/// equality only holds once every seen row has an outcome, i.e. at the end of the drain.
std::string totals_invariant_violation(const drain_totals& totals);

/// The drain's `exit_status`, `block_reason` and process exit code.
struct drain_exit {
  exit_status status = exit_status::completed;
  nullable<std::string> block_reason;
  int code = 0;
  bool operator==(const drain_exit&) const = default;
};

/// cli.md §5.3, first match wins: cancelled → cancelled (2); any failed → failed (2); any
/// resume_needed → resume_needed (2); any conflict or other block → blocked (1) with
/// `conflict_detected` if any conflict, else `permanent_other`; processed > 0 → completed
/// (0); otherwise no-callable-item (0). Eligibility blocks alone leave the drain completed:
/// they are the queue's normal content, not a failure of the drain. (Readiness failures and
/// an unknown campaign end the drain before any item and are decided by the caller.)
drain_exit decide_drain_exit(const drain_totals& totals, bool cancelled);

}  // namespace opencloser
