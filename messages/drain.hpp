#pragma once
// A drain (cli.md §5): the front-end's order to the drain coordinator, the live snapshot that
// progress lines and `ctl status` show, and the summary the drain report is made of.

#include <cstdint>
#include <string>
#include <vector>

#include "messages/nullable.hpp"
#include "messages/report.hpp"

namespace opencloser {

/// Starts the drain; answered with its summary when the last session has finished.
struct drain_order {
  std::string drain_id;
  bool operator==(const drain_order&) const = default;
};

/// Counts of cli.md §5.3 `totals` (same keys) plus `queued` (ctl status).
struct drain_counts {
  std::int64_t seen = 0, processed = 0, deferred = 0, not_started = 0, completed = 0,
               blocked_eligibility = 0, blocked_conflict = 0, blocked_other = 0, resume_needed = 0,
               failed = 0, no_callable_item = 0, queued = 0;
  bool operator==(const drain_counts&) const = default;
};

/// What the drain looks like right now.
struct drain_snapshot {
  std::string drain_id;
  std::string state;  ///< running | paused | cancelling | finished
  std::int64_t in_flight = 0;
  std::int64_t target = 0;
  std::int64_t ceiling = 0;
  drain_counts counts;
  nullable<std::string> paused_until;  ///< UtcMs of the throttle pause, if one is active
  nullable<std::string> last_429_at;
  std::int64_t pages_fetched = 0;
  bool pages_remain = false;
  std::int64_t throttled = 0;
  std::int64_t elapsed_ms = 0;
  bool operator==(const drain_snapshot&) const = default;
};

/// The end of a drain: everything of the drain report but the streamed `items`.
struct drain_summary {
  drain_snapshot last;
  std::vector<std::int64_t> dispositions;  ///< count per disposition, enum order
  exit_status status = exit_status::completed;
  nullable<std::string> block_reason;
  std::string message;
  bool cancelled = false;
  std::vector<std::string> warnings;  ///< `code: message`
  std::int64_t duration_ms = 0;
  double session_p50_ms = 0, session_p99_ms = 0;
  double request_p50_ms = 0, request_p99_ms = 0;
  http_counters http;
  std::int64_t max_in_flight_requests = 0;
  // concurrency {dop_hint, initial, final, min, max, increases, decreases}
  nullable<std::int64_t> dop_hint;
  std::int64_t initial = 0, final = 0, min = 0, max = 0, increases = 0, decreases = 0;
  bool operator==(const drain_summary&) const = default;
};

/// A drain item that never became a session (not started), journaled by the supervisor.
struct drain_note {
  std::string drain_id;
  std::string queue_item_id;
  std::string outcome;
  bool operator==(const drain_note&) const = default;
};

/// The gateway's own figures: request latency and the most requests it had in flight.
struct gateway_stats {
  double request_p50_ms = 0;
  double request_p99_ms = 0;
  std::int64_t max_in_flight = 0;
  std::int64_t dop_hint = 0;  ///< the last `x-ms-dop-hint` seen (0: none)
  bool operator==(const gateway_stats&) const = default;
};

}  // namespace opencloser
