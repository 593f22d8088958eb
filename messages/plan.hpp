#pragma once
// Planning one session's write-back (domain.md §9–§10, dataverse.md §9): the supervisor gives
// the write-back planner what the session knows; the planner answers with the normalized
// result, the plan, the local keys and the planned requests (`http-plan.json`).

#include <cstdint>
#include <string>
#include <vector>

#include "messages/call.hpp"
#include "messages/enums.hpp"
#include "messages/nullable.hpp"
#include "messages/queue.hpp"
#include "messages/session.hpp"
#include "messages/writeback.hpp"

namespace opencloser {

struct plan_order {
  std::string session_id;
  queue_item item;  ///< as loaded: `status` is the previous status
  std::string started_at;
  std::string ended_at;
  std::string now;
  eligibility_decision decision;
  nullable<call_outcome> call;  ///< absent on the blocked path
  bool transcript_written = false;
  std::string task_id;  ///< `task_<32 hex>`, used when the plan has a Task
  /// The Task owner per kind, as resolved for this session (override or verified default).
  std::string callback_owner;
  std::string review_owner;
  std::string task_owner_set;  ///< `systemusers` | `teams` of the owner used
  // What http-plan.json needs beyond the plan.
  run_mode mode = run_mode::dry_run;
  bool batch = false;
  nullable<std::string> load_etag;
  nullable<std::string> claim_etag;
  nullable<data_quality_warning> session_warning;
  bool operator==(const plan_order&) const = default;
};

struct plan_result {
  normalized_result result;
  writeback_plan plan;
  std::vector<local_idempotency_key> keys;
  std::int64_t attempts_after = 0;
  std::string http_plan_json;  ///< the `http-plan.json` object, compact
  std::string message;  ///< non-empty: planning failed (a mapping that cannot build a request)
  bool operator==(const plan_result&) const = default;
};

}  // namespace opencloser
