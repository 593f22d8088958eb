#pragma once
// The sequential write-back (dataverse.md §7.1–§7.4): the supervisor asks the Dataverse emitter
// to write one session's plan — Phone Call, queue status update, Task — against the active
// baseline, and gets back what was written, what is still undone and why it stopped.

#include <cstdint>
#include <string>
#include <vector>

#include "messages/report.hpp"
#include "messages/writeback.hpp"

namespace opencloser {

struct emit_order {
  std::string session_id;
  std::string queue_item_id;
  writeback_plan plan;
  /// The active baseline (§7): the claimed row (claim_outcome::row_json), or the loaded row on
  /// the blocked path. Its `@odata.etag` guards the queue PATCH.
  std::string baseline_row_json;
  std::string task_owner_set;  ///< `systemusers` | `teams` (the verified owner's set)
  std::string
      session_warning;  ///< this session's `non_e164_phone` warning as `code:message`, or ""
  /// Already done (a resume replays only the rest; a plan without a Task sets task_done).
  bool phone_call_done = false;
  bool queue_status_done = false;
  bool task_done = false;
  /// `[writeback].mode = "batch"`: one `$batch` change set when nothing is done yet (§7.5).
  bool batch = false;
  bool operator==(const emit_order&) const = default;
};

enum class emit_status : std::uint8_t {
  completed,      ///< every planned operation is done
  conflict,       ///< the queue row changed: `conflicting_fields`, no later operation sent
  resume_needed,  ///< transient exhaustion (or an unknowable state): the done flags say where
  permanent,      ///< a permanent answer or write-back error: `message`
  stopped,        ///< the supervisor refused a checkpoint (lease taken over): `message`
};

struct emit_outcome {
  emit_status status = emit_status::permanent;
  /// One entry per operation attempted in this emit, in §7 order (confirmed or failed).
  std::vector<emit_result> results;
  std::vector<std::string> conflicting_fields;  ///< logical names, `__row_deleted__`, `@odata.etag`
  std::string message;
  bool phone_call_done = false;
  bool queue_status_done = false;
  bool task_done = false;
  http_counters counters;
  bool operator==(const emit_outcome&) const = default;
};

/// Where the emitter pauses so that the supervisor can journal what is done before the next
/// write (dataverse.md §12: every ledger write before a Dataverse write checks the lease owner)
/// and reach the test hook's crash points (cli.md §1).
enum class write_point : std::uint8_t { after_phone_call, after_queue_update, before_task_post };

struct write_checkpoint {
  std::string session_id;
  write_point point = write_point::after_phone_call;
  bool phone_call_done = false;
  bool queue_status_done = false;
  std::vector<emit_result> results;  ///< confirmed so far in this emit
  bool operator==(const write_checkpoint&) const = default;
};

/// `proceed` false: send nothing more; `message` says why (`session '<sid>' was taken over …`).
struct checkpoint_verdict {
  bool proceed = true;
  std::string message;
  bool operator==(const checkpoint_verdict&) const = default;
};

}  // namespace opencloser
