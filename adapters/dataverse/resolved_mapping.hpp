#pragma once
// The mapping artifact with every name a request needs resolved (dataverse.md §2, §3.2):
// entity sets and primary ids (mapped, else live), the facility-name table and its primary
// name column, which queue columns are lookups (selected as `_<c>_value`), and the regarding
// navigation properties. Request builders take only this, so they never guess a name.

#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/json/json.hpp"
#include "messages/mapping.hpp"

namespace opencloser::dataverse {

struct resolved_table {
  std::string logical_name;
  std::string entity_set;
  std::string primary_id;
};

struct resolved_mapping {
  mapping_artifact artifact;
  resolved_table queue;
  resolved_table phone_call;
  resolved_table task;
  /// The facility-name table (entity `account`, else the single `queue.facility_account`
  /// lookup target) and its live PrimaryNameAttribute; nullopt/empty when there is none.
  std::optional<resolved_table> name_table;
  std::string name_table_primary_name;
  /// Queue-table columns typed Lookup/Owner/Customer (mapped fields, preserve and override).
  std::set<std::string> queue_lookup_columns;
  /// Regarding navigation properties; nullopt → no `@odata.bind` (link_regarding off).
  std::optional<std::string> phone_call_regarding;
  std::optional<std::string> task_regarding;

  /// The column of a mapped field, or nullptr when the key is not mapped.
  const std::string* column(std::string_view field_key) const;
  /// A queue column as selected and filtered: `_<c>_value` for lookups, else `c`.
  std::string queue_property(std::string_view column) const;
  /// `queue_property` of a mapped queue field; nullopt when the key is not mapped.
  std::optional<std::string> queue_field_property(std::string_view field_key) const;
  /// The column of a field of the phone-call or task entity (by logical name; these are
  /// never lookups in a body or filter we build).
  std::string required_column(std::string_view field_key) const;
  /// The option value of `queue_status.<status>`; throws resolution_error when unmapped.
  std::int64_t status_value(std::string_view status) const;
};

/// A name the builders need cannot be resolved from what they were given.
struct resolution_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Resolution from the artifact alone, for mappings that name every entity set and primary id
/// (the shipped ones do): lookups = fields typed `lookup`; regarding properties from the
/// mapped `navigation_property` when `link_regarding`. Throws resolution_error naming the
/// entry that needs live metadata (then use the metadata verifier's resolution).
resolved_mapping resolve_from_artifact(const mapping_artifact& mapping, bool link_regarding);

/// Writes `<column of field_key>: value` into a queue-row write body when the field is mapped,
/// approved for update and its column is not a `preserve_if_present` column (dataverse.md §2:
/// every queue-row write body is filtered to the approved update set).
void put_queue_update(json::object& body, const resolved_mapping& mapping,
                      std::string_view field_key, json::value value);

}  // namespace opencloser::dataverse
