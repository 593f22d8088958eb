#pragma once
// Loading and validating the mapping artifact (fixtures.md §6). Errors are mapping_error,
// whose what() starts "mapping artifact error: ". The loader checks structure and types only;
// the mapping readiness checks of dataverse.md §3.1 steps 5–7 are separate pure functions
// below, because they have their own messages and outcomes.

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/json/json.hpp"
#include "messages/mapping.hpp"

namespace opencloser {

struct mapping_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

mapping_artifact load_mapping_artifact(const std::filesystem::path& path);
mapping_artifact mapping_from_json(const json::value& doc);

/// The property a column is selected and filtered by: `_<c>_value` for lookup-typed fields,
/// else the logical name (dataverse.md §2).
std::string lookup_property(const mapping_field& field);

// ---- Readiness (dataverse.md §3.1 steps 5–7) ------------------------------------------------

/// Step 5: the idempotency-key field keys that are not mapped, in the order
/// `phone_call.idempotency_key`, `task.idempotency_key`.
std::vector<std::string> unmapped_key_fields(const mapping_artifact& mapping);

/// Step 6: one item `<key> → entity '<e>' (expected '<x>')` per key field mapped on another
/// entity than its own (`phone_call_activity`, `task`).
std::vector<std::string> misbound_key_fields(const mapping_artifact& mapping);

/// Step 7: the other required entries of dataverse.md §2 that are missing or unapproved, in the
/// table's order, each naming its artifact path (`entities.queue_item`,
/// `option_sets.queue_status.in_progress`, `fields.queue.attempt_count (not approved)`, …).
/// `needs_selection` (`--next-ready`, `drain`) also requires `queue.campaign` and
/// `queue.next_attempt_at`.
std::vector<std::string> missing_required_entries(const mapping_artifact& mapping,
                                                  bool needs_selection);

/// Steps 5, 6, 7 in order: the exact message of the first that fails
/// (`idempotency-key field(s) not mapped: …`, `idempotency-key field(s) bound to the wrong
/// entity: …`, `mapping lacks required entries: …`; items joined by ", "), or nullopt.
std::optional<std::string> mapping_readiness_error(const mapping_artifact& mapping,
                                                   bool needs_selection);

}  // namespace opencloser
