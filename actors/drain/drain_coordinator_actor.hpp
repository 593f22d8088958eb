#pragma once
// The drain coordinator actor (actors/actors.hpp): one campaign, many sessions at a time.
// It owns the drain's policies — paging with bounded memory, credits, adaptive concurrency,
// pause and cancel — and leaves each session to the supervisor.

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/actors.hpp"
#include "actors/drain/concurrency_control.hpp"
#include "actors/drain/drain_totals.hpp"
#include "actors/drain/latency_histogram.hpp"
#include "actors/drain/scenario_assignment.hpp"
#include "actors/drain/seen_rows.hpp"
#include "adapters/fixtures/fixture_plan.hpp"

namespace opencloser {

struct drain_coordinator_config {
  supervisor_actor supervisor;
  queue_loader_actor pager;                  ///< a queue loader of its own, for the pages
  std::shared_ptr<const fixture_plan> plan;  ///< null for --resume-pending
  std::string campaign;
  std::int64_t page_size = 500;
  std::int64_t limit = 0;  ///< 0: every row
  concurrency_limits limits;
  /// The `x-ms-dop-hint` readiness already saw, so that the first sessions respect it.
  std::optional<std::int64_t> dop_hint;
  /// `--resume-pending`: these sessions instead of a campaign.
  std::vector<std::string> resume_sessions;
};

struct drain_coordinator_state {
  drain_coordinator_config config;
  std::string drain_id;
  caf::typed_response_promise<drain_summary> promise;
  bool started = false;
  bool finished = false;
  std::unique_ptr<concurrency_controller> control;
  std::optional<scenario_assigner> assigner;
  // Paging: at most one unconsumed page besides the rows handed to sessions (cli.md §5.2).
  std::deque<std::string> rows;         ///< paged rows not yet assigned (JSON)
  std::deque<std::string> pending_ids;  ///< their primary ids, same order
  std::deque<std::string> enqueued;     ///< ctl enqueue ids, ahead of the paged rows
  std::deque<std::string> resumes;      ///< --resume-pending sessions not yet started
  std::string next_link;
  bool pages_remain = true;
  bool page_in_flight = false;
  std::int64_t pages_fetched = 0;
  seen_rows seen;
  // Sessions.
  std::int64_t in_flight = 0;
  bool paused = false;
  bool cancelling = false;
  std::int64_t unassigned = 0;
  drain_tally tally;
  latency_histogram session_ms;
  http_counters http;
  std::int64_t throttled = 0;
  std::optional<std::int64_t> last_429_ms;
  std::int64_t started_ms = 0;  ///< steady clock
  // The end.
  std::optional<exit_status> early_status;  ///< first page failed / nothing to do
  std::string early_message;
  static inline const char* name = "drain_coordinator";
};

drain_coordinator_actor::behavior_type drain_coordinator(
    drain_coordinator_actor::stateful_pointer<drain_coordinator_state> self,
    drain_coordinator_config config);

}  // namespace opencloser
