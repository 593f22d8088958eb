// Builds and writes the artifact of `discover-crm` (dataverse.md §3.3, format fixtures.md §6).
#include "adapters/mapping/mapping_writer.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "actors/common/utc_ms.hpp"
#include "adapters/artifacts/artifact_writer.hpp"
#include "adapters/mapping/mapping_artifact.hpp"

namespace opencloser {
namespace {

json::value nullable(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

json::value meta_json(const mapping_meta& meta, std::string_view discovered_at) {
  return json::object{{"schema_version", meta.schema_version},
                      {"discovered_at", discovered_at},
                      {"dataverse_env_url", meta.dataverse_env_url},
                      {"approved", false}};
}

json::value entity_json(const mapping_entity& e) {
  return json::object{{"logical_name", e.logical_name},
                      {"entity_set_name", nullable(e.entity_set_name)},
                      {"primary_id", nullable(e.primary_id)}};
}

json::value field_json(const mapping_field& f) {
  json::object out{{"entity", f.entity},
                   {"logical_name", f.logical_name},
                   {"type", f.type},
                   {"lookup_target", nullable(f.lookup_target)},
                   {"approved_update_field", f.approved_update_field}};
  // Only where set: the key is new in this format and only meaningful on `*.regarding`.
  if (f.navigation_property) out.emplace_back("navigation_property", *f.navigation_property);
  return out;
}

json::value option_json(const mapping_option& o) {
  return json::object{{"field", o.field}, {"value", o.value}};
}

/// The regarding entry §3.3 prescribes; a scaffold's own entry of that key is replaced whole.
mapping_field regarding_field(std::string_view key, std::string_view entity,
                              const std::string& queue_table,
                              const std::optional<std::string>& navigation_property) {
  if (!navigation_property)
    throw std::invalid_argument("discovered mapping: link_regarding is on but the live " +
                                std::string(key) + " navigation property is not resolved");
  mapping_field f;
  f.key = std::string(key);
  f.entity = std::string(entity);
  f.logical_name = "regardingobjectid";
  f.type = "lookup";
  f.lookup_target = queue_table;
  f.navigation_property = navigation_property;
  return f;
}

void replace_or_append(std::vector<mapping_field>& fields, mapping_field entry) {
  auto same = std::find_if(fields.begin(), fields.end(),
                           [&](const mapping_field& f) { return f.key == entry.key; });
  if (same != fields.end())
    *same = std::move(entry);
  else
    fields.push_back(std::move(entry));
}

}  // namespace

json::value discovered_mapping_json(const mapping_artifact& scaffold,
                                    const dataverse::resolved_mapping& live, bool link_regarding,
                                    std::string_view discovered_at) {
  if (!is_utc_ms(discovered_at))
    throw std::invalid_argument("discovered mapping: discovered_at '" + std::string(discovered_at) +
                                "' is not a UTC timestamp with milliseconds");

  std::vector<mapping_field> fields = scaffold.fields;
  if (link_regarding) {
    replace_or_append(fields, regarding_field("phone_call.regarding", "phone_call_activity",
                                              live.queue.logical_name, live.phone_call_regarding));
    replace_or_append(fields, regarding_field("task.regarding", "task", live.queue.logical_name,
                                              live.task_regarding));
  }

  json::object entities;
  for (const auto& e : scaffold.entities) entities.emplace_back(e.key, entity_json(e));
  json::object field_entries;
  for (const auto& f : fields) field_entries.emplace_back(f.key, field_json(f));
  json::object options;
  for (const auto& o : scaffold.option_sets) options.emplace_back(o.key, option_json(o));
  json::array preserve;
  for (const auto& column : scaffold.preserve_if_present) preserve.emplace_back(column);

  return json::object{{"_meta", meta_json(scaffold.meta, discovered_at)},
                      {"entities", std::move(entities)},
                      {"fields", std::move(field_entries)},
                      {"option_sets", std::move(options)},
                      {"task_owner_override_field", nullable(scaffold.task_owner_override_field)},
                      {"preserve_if_present", std::move(preserve)}};
}

mapping_artifact write_discovered_mapping(const std::filesystem::path& out,
                                          const json::value& doc) {
  const std::string bytes = json::write_artifact(doc);
  // Check before writing: `out` is often the scaffold itself, which a bad document must not
  // replace.
  mapping_from_json(json::parse(bytes));
  write_file_atomic(out, bytes);
  return load_mapping_artifact(out);
}

}  // namespace opencloser
