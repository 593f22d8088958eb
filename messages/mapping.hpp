#pragma once
// The mapping artifact (`dataverse_mapping.json`, fixtures.md §6; semantics dataverse.md §2):
// the human-approved map from the product's conceptual keys to Dataverse tables and columns.
// Entries keep document order: checks and messages iterate in that order.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace opencloser {

struct mapping_meta {
  std::string schema_version;
  std::string discovered_at;
  std::string dataverse_env_url;
  bool approved = false;
};

/// `entities.<key>`: a conceptual entity (`queue_item`, `phone_call_activity`, `task`, …).
struct mapping_entity {
  std::string key;
  std::string logical_name;
  std::optional<std::string> entity_set_name;  ///< null → the live EntitySetName
  std::optional<std::string> primary_id;       ///< null → the live PrimaryIdAttribute
};

/// `fields.<key>`: a conceptual field (`queue.status`, `phone_call.idempotency_key`, …).
struct mapping_field {
  std::string key;
  std::string entity;        ///< an entity key
  std::string logical_name;  ///< column logical name
  std::string type;          ///< string | integer | boolean | optionset | lookup | datetime
  std::optional<std::string> lookup_target;  ///< table logical name(s), `,`-joined
  bool approved_update_field = false;
  std::optional<std::string> navigation_property;  ///< only for `*.regarding`
};

/// `option_sets.queue_status.<status>`.
struct mapping_option {
  std::string key;    ///< e.g. `queue_status.ready`
  std::string field;  ///< a field key
  std::int64_t value = 0;
};

struct mapping_artifact {
  mapping_meta meta;
  std::vector<mapping_entity> entities;
  std::vector<mapping_field> fields;
  std::vector<mapping_option> option_sets;
  std::optional<std::string> task_owner_override_field;
  std::vector<std::string> preserve_if_present;

  const mapping_entity* entity(std::string_view key) const {
    for (const auto& e : entities)
      if (e.key == key) return &e;
    return nullptr;
  }
  const mapping_field* field(std::string_view key) const {
    for (const auto& f : fields)
      if (f.key == key) return &f;
    return nullptr;
  }
  const mapping_option* option(std::string_view key) const {
    for (const auto& o : option_sets)
      if (o.key == key) return &o;
    return nullptr;
  }
};

}  // namespace opencloser
