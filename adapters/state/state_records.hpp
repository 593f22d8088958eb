#pragma once
// Rows of the state journal that have no message struct yet (domain.md §3 QueueBaseline, §11;
// dataverse.md §10, §12): the ledger (`writeback_progress`), queue baselines, CRM correlations,
// the persisted write plan, and the lease a ledger writer holds. Field names are column names.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/common/utc_ms.hpp"
#include "adapters/json/json.hpp"
#include "messages/enums.hpp"
#include "messages/nullable.hpp"
#include "messages/session.hpp"

namespace opencloser {

/// Who writes the ledger and for how long its lease runs. `now` is system UTC time (never the
/// frozen product clock, dataverse.md §12); callers pass it so tests control it.
struct ledger_lease {
  std::string owner;  ///< `run_id`, or `<drain_id>:<node>` in a drain
  unix_ms now = 0;
  std::int64_t lease_seconds = 900;
  unix_ms expires_at() const { return now + lease_seconds * 1000; }
};

/// One `writeback_progress` row.
struct ledger_row {
  std::string session_id;
  bool claim_done = false;
  bool phone_call_activity_done = false;
  bool queue_status_update_done = false;
  bool task_done = false;
  run_status status = run_status::in_progress;  ///< column `run_status`
  nullable<std::string> block_reason;
  nullable<std::string> last_error;
  std::string updated_at;        ///< UtcMs, system time of the last ledger write
  std::string lease_expires_at;  ///< UtcMs, system time
  std::string lease_owner;
  bool operator==(const ledger_row&) const = default;
};

enum class baseline_phase : std::uint8_t { load, claim };

template <>
struct enum_names<baseline_phase> {
  static constexpr auto values = std::to_array<std::string_view>({"load", "claim"});
};

/// The queue row as loaded or as claimed (domain.md §3 QueueBaseline); raw Dataverse values.
struct queue_baseline {
  std::string session_id;
  std::string queue_item_id;
  std::string captured_at;
  baseline_phase phase = baseline_phase::load;
  json::value status_value;  ///< raw option value (an integer in Dataverse), or null
  nullable<std::string> last_session_id;
  nullable<std::string> last_disposition;
  nullable<std::string> etag;
  json::object preserve_values;  ///< column → raw value or null, in mapping order
  bool operator==(const queue_baseline&) const = default;
};

/// One `crm_correlations` row; key `(session_id, record_kind)`.
struct crm_correlation {
  std::string session_id;
  crm_record_kind record_kind = crm_record_kind::phone_call_activity;
  std::string idempotency_key;  ///< the session id (domain.md §10)
  nullable<std::string> dataverse_record_id;
  crm_write_status write_status = crm_write_status::pending;
  std::string created_at;  ///< filled by the journal on read
  std::string updated_at;  ///< filled by the journal on read
  bool operator==(const crm_correlation&) const = default;
};

/// What resume needs beyond `planned-writeback.json` (domain.md §11): where the records go,
/// who owns the Task, and the mapping the plan was built from.
struct write_plan_record {
  std::string session_id;
  std::string writeback_mode = "sequential";  ///< `sequential` | `batch`
  bool link_regarding = true;
  std::string queue_entity_set;
  std::string queue_primary_id;
  std::string phone_call_entity_set;
  std::string phone_call_primary_id;
  std::string phone_call_key_column;
  nullable<std::string> phone_call_regarding;  ///< navigation property
  std::string task_entity_set;
  std::string task_primary_id;
  std::string task_key_column;
  nullable<std::string> task_regarding;
  nullable<std::string> owner_id;          ///< resolved Task owner GUID; null without a Task
  nullable<std::string> owner_entity_set;  ///< `systemusers` | `teams`
  std::string mapping_sha256;              ///< 64 lower-case hex digits
  std::string planned_at;
  bool operator==(const write_plan_record&) const = default;
};

/// A change to one session's ledger, applied in one transaction after the owner check. Flags
/// only ever go up (a `false` here leaves the column as it is).
struct ledger_change {
  bool claim_done = false;
  bool phone_call_activity_done = false;
  bool queue_status_update_done = false;
  bool task_done = false;
  nullable<run_status> status;
  /// Outer empty = leave the column; inner null = clear it.
  std::optional<nullable<std::string>> block_reason;
  std::optional<nullable<std::string>> last_error;
  std::vector<crm_correlation> correlations;  ///< upserted (confirmed never downgraded)
  /// Keys guarding the operations marked done (domain.md §10: same transaction). A key that
  /// already exists is skipped, not an error.
  std::vector<local_idempotency_key> keys;
  nullable<queue_baseline> claim_baseline;  ///< persisted after a successful claim
  nullable<write_plan_record> write_plan;   ///< persisted when the plan is built
};

/// One `drain_items` row: a row's outcome in a drain (cli.md §5.3 report `items`).
struct drain_item_record {
  std::string drain_id;
  std::string queue_item_id;
  nullable<std::string> session_id;
  std::string outcome;  ///< the item exit_status
  nullable<std::string> block_reason;
  nullable<std::string> final_disposition;
  nullable<std::string> scenario;
  std::string node = "coordinator";
  bool operator==(const drain_item_record&) const = default;
};

}  // namespace opencloser
