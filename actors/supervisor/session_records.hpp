#pragma once
// Conversions between what travels between the actors (the queue row as Dataverse returned
// it) and what the journal persists (domain.md §3 QueueBaseline, §11 write plan). Pure.

#include <string>

#include "adapters/dataverse/resolved_mapping.hpp"
#include "adapters/state/state_records.hpp"
#include "messages/writeback.hpp"

namespace opencloser {

/// The baseline of a queue row (load or claim phase) from its JSON text.
queue_baseline queue_baseline_of(const dataverse::resolved_mapping& m, const std::string& row_json,
                                 const std::string& session_id, const std::string& queue_item_id,
                                 const std::string& captured_at, baseline_phase phase);

/// The row a persisted baseline describes, as the emitter reads an active baseline: its ETag,
/// status, last session, last disposition and preserve columns (a resume replays against
/// exactly what was persisted, so edits made during the pause are caught).
std::string baseline_row_json(const dataverse::resolved_mapping& m, const queue_baseline& b);

/// What a resume needs beyond the plan file (domain.md §11), persisted with the plan.
write_plan_record write_plan_record_of(const dataverse::resolved_mapping& m,
                                       const std::string& session_id, bool batch,
                                       bool link_regarding, const writeback_plan& plan,
                                       const std::string& owner_entity_set,
                                       const std::string& mapping_sha256,
                                       const std::string& planned_at);

}  // namespace opencloser
