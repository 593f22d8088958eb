#pragma once
// The decisions of the sequential write-back (dataverse.md §7.1–§7.4) as pure logic: what a
// pre-write read or a 412 re-read of the queue row means, whether a duplicate-key read-back is
// this session's record, whether the Phone Call still needs its close and what a state read
// around the close means, whether a Task may be sent at all, and the messages. The emitter
// actor sends the requests and reduces each answer to the plain facts below (with the
// adapters' status_update_applied / baseline_conflicts), so every branch is testable here.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/writeback.hpp"

namespace opencloser {

/// A read of the queue row (§7.1 pre-write read, §7.3 re-read after a 412), reduced.
struct queue_row_facts {
  bool found = false;    ///< false: no row
  bool applied = false;  ///< status_update_applied: this session's final update is on the row
  std::vector<std::string> differing;  ///< baseline_conflicts against the active baseline
  std::optional<std::string> etag;     ///< the row's `@odata.etag`
};

enum class queue_row_step {
  already_applied,  ///< mark the status update done (no PATCH)
  proceed,          ///< the row is as the baseline: go on
  conflict,         ///< `conflicting_fields`
};

struct queue_row_decision {
  queue_row_step step = queue_row_step::conflict;
  std::vector<std::string> conflicting_fields;
  bool operator==(const queue_row_decision&) const = default;
};

/// §7.1: applied → already_applied; no row → `__row_deleted__`; differing columns → them;
/// equal values but another non-null ETag than the baseline's → `@odata.etag`; else proceed.
queue_row_decision decide_pre_write_read(const queue_row_facts& row,
                                         const std::optional<std::string>& baseline_etag);

/// §7.3 after a 412 on the queue PATCH: applied → already_applied (an earlier attempt landed);
/// otherwise always a conflict (no row → `__row_deleted__`, the differing columns, else
/// `@odata.etag`) — never proceed: the PATCH lost its precondition.
queue_row_decision decide_after_status_412(const queue_row_facts& row);

/// §7.2: a duplicate-key read-back is this session's record when its key column equals the
/// session id (a missing or non-string key is someone else's).
bool readback_is_ours(const std::optional<std::string>& key_value, std::string_view session_id);

/// §7.2: the close is needed for a record this emit created, or a found one not closed
/// (`statecode` ≠ 1, null included).
bool needs_close(bool created, std::optional<std::int64_t> statecode);

/// The state read before resending the close or after a 4xx answer to it.
struct close_state_facts {
  bool found = true;                      ///< false: 404
  std::optional<std::int64_t> statecode;  ///< of the found record
};
enum class close_step { closed, record_gone, close_again };
close_step decide_close_state(const close_state_facts& read);

/// §7.4: a Task is sent only when planned, not done and the session is not a do-not-call one
/// (the status update goes to `dnc` or sets the DNC flag), whatever the plan says.
bool task_allowed(const writeback_plan& plan);

/// `conflict_detected: queue item '<id>' changed between claim and write-back; conflicting
/// fields: <a, b>. Manual reconciliation required.`
std::string writeback_conflict_message(std::string_view queue_item_id,
                                       const std::vector<std::string>& fields);
/// The duplicate-key read-back found another session's record.
std::string key_mismatch_message(std::string_view entity, std::string_view record_id,
                                 std::string_view session_id,
                                 const std::optional<std::string>& found_key);
/// `dataverse write-back failed: <step>: <error>`.
std::string writeback_failed_message(std::string_view step, std::string_view error);

}  // namespace opencloser
