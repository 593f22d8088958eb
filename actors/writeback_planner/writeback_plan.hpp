#pragma once
// Building a session's normalized result and write-back plan (domain.md §4, §9, §10).
// Pure: ids and timestamps come in as inputs so the same facts give the same plan.

#include <functional>
#include <string>
#include <vector>

#include "messages/call.hpp"
#include "messages/queue.hpp"
#include "messages/session.hpp"
#include "messages/writeback.hpp"

namespace opencloser {

/// What the session knows when it plans. `call` is null on the blocked path.
struct session_facts {
  std::string session_id;
  queue_item item;  ///< as loaded: `status` is the previous status
  std::string started_at;
  std::string ended_at;  ///< allowed: after the call; blocked: = started_at
  std::string now;       ///< product clock at planning (blocked transition_at)
  const eligibility_decision* decision = nullptr;
  const call_outcome* call = nullptr;
  std::string persona_version;  ///< the built-in persona's version
  bool transcript_written = false;
};

/// Task owners as resolved for this session (write mode) or configured (dry-run).
struct task_owner_choice {
  std::string callback;
  std::string review;
};

normalized_result build_normalized_result(const session_facts& facts);

writeback_plan plan_writeback(const session_facts& facts, const normalized_result& result,
                              const task_owner_choice& owners,
                              const std::function<std::string()>& mint_task_id);

/// The local idempotency keys a finished session holds: one per non-duplicate event, the
/// attempt mirror, the normalized result and one per planned Dataverse record.
std::vector<local_idempotency_key> session_idempotency_keys(const session_facts& facts,
                                                            const writeback_plan& plan);

/// Attempts after the session: +1 per placed call, whatever the outcome (domain.md §9).
std::int64_t attempts_after(const session_facts& facts);

}  // namespace opencloser
