#pragma once
// The decisions of the `$batch` write-back (dataverse.md §7.5) as pure logic: whether a
// session's write-back goes out as one change set at all, what the checks around a batch
// (the §7.1 read and both key pre-queries) say — nothing applied yet, everything applied, or
// part of it — and where each kind of batch answer leads. The emitter actor sends the
// requests, reduces the answers to the facts below and follows the steps; a change set is
// atomic, so "part of it" can only come from someone else's writes or an earlier run, and is
// always finished with the sequential requests of §7.2–§7.4.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/dataverse_emitter/writeback_logic.hpp"
#include "messages/dataverse.hpp"
#include "messages/emit.hpp"

namespace opencloser {

/// §7.5: one `$batch` only when batch mode is on, a Phone Call is planned (the blocked path
/// has none and is always a plain PATCH) and none of the three operations is done yet — a
/// resume with something done sends the rest as plain requests. A `task_done` that only
/// means "no Task required" does not count as done.
bool batch_applies(const emit_order& order);

/// A key pre-query's hit: the record's id and, for a Phone Call, its statecode.
struct prequery_hit {
  std::string id;
  std::optional<std::int64_t> statecode;
  bool operator==(const prequery_hit&) const = default;
};

/// What the §7.1 read and the key pre-queries found, before a batch or after an answer that
/// never came (or was transient).
struct batch_checks {
  queue_row_decision queue_row;  ///< decide_pre_write_read of the queue row read
  std::optional<prequery_hit> phone_call;
  bool task_planned = false;  ///< the Task goes in the batch (task_allowed and not done)
  std::optional<prequery_hit> task;
};

enum class batch_check_step {
  send_batch,           ///< nothing applied: send (or resend) the change set
  all_applied,          ///< every operation is on Dataverse: done, no batch
  finish_sequentially,  ///< part of it is there: the sequential path does the rest
  conflict,             ///< the §7.1 read found a conflict: `conflicting_fields`
};

struct batch_check_decision {
  batch_check_step step = batch_check_step::conflict;
  std::vector<std::string> conflicting_fields;
  bool operator==(const batch_check_decision&) const = default;
};

/// A conflict on the queue row wins; the Phone Call counts as applied only when found and
/// closed (statecode 1), the Task when found; all applied (the status update included) →
/// all_applied; none → send_batch; anything between → finish_sequentially.
batch_check_decision decide_batch_checks(const batch_checks& checks);

/// A `$batch` answer, reduced: the gateway's reading of the envelope and, when an answer
/// came back (success or permanent), batch_answer_outcome of its body.
struct batch_answer_facts {
  dataverse_outcome outcome = dataverse_outcome::permanent;
  bool readable = true;        ///< the body could be read as a batch answer
  bool all_succeeded = false;  ///< 200 with a 2xx part per operation
  int status = 0;              ///< the first non-2xx part's status, else the envelope's
  bool duplicate_key = false;  ///< that part is a duplicate-key error (`0x80040237`)
};

enum class batch_answer_step {
  completed,            ///< every operation done
  reread_queue_row,     ///< 412: applied → finish the rest sequentially, else a conflict
  check_again,          ///< transient or lost: within the §5 budget wait, repeat the checks
  finish_sequentially,  ///< a record with the deterministic id exists: the create loop's
                        ///< read-back decides whether it is this session's
  resume_needed,        ///< transient exhaustion: whether it landed is for the resume to find
  permanent,            ///< any other answer, or one that cannot be read
};

/// §7.5: the gateway never resends a batch, so a transient envelope (5xx, 429, lost
/// response) → check_again and an exhausted one → resume_needed. An answer: all succeeded →
/// completed; else by the failing part: a duplicate key → finish_sequentially, 412 →
/// reread_queue_row, a transient or throttled status → check_again, anything else (an
/// incomplete 200 included) → permanent. Unreadable → permanent.
batch_answer_step decide_batch_answer(const batch_answer_facts& answer);

/// The error of a batch whose failing part carries no gateway message (the envelope was 2xx):
/// `Dataverse answered an operation of the $batch change set with HTTP <status>`, or, for a
/// 200 without a part per operation, `the $batch answer does not cover every operation`.
std::string batch_part_failure_message(int status);

}  // namespace opencloser
