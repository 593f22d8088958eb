#include "adapters/dataverse/resolved_mapping.hpp"

#include <algorithm>

namespace opencloser::dataverse {

const std::string* resolved_mapping::column(std::string_view field_key) const {
  const auto* f = artifact.field(field_key);
  return f ? &f->logical_name : nullptr;
}

std::string resolved_mapping::queue_property(std::string_view column) const {
  if (queue_lookup_columns.count(std::string(column))) return "_" + std::string(column) + "_value";
  return std::string(column);
}

std::optional<std::string> resolved_mapping::queue_field_property(
    std::string_view field_key) const {
  const auto* c = column(field_key);
  if (!c) return std::nullopt;
  return queue_property(*c);
}

std::string resolved_mapping::required_column(std::string_view field_key) const {
  const auto* c = column(field_key);
  if (!c) throw resolution_error("mapping field '" + std::string(field_key) + "' is not mapped");
  return *c;
}

std::int64_t resolved_mapping::status_value(std::string_view status) const {
  const std::string key = "queue_status." + std::string(status);
  const auto* o = artifact.option(key);
  if (!o) throw resolution_error("mapping option '" + key + "' is not mapped");
  return o->value;
}

namespace {

resolved_table table_from_artifact(const mapping_artifact& m, std::string_view key) {
  const auto* e = m.entity(key);
  if (!e) throw resolution_error("mapping entity '" + std::string(key) + "' is not mapped");
  if (!e->entity_set_name || !e->primary_id)
    throw resolution_error("mapping entity '" + std::string(key) +
                           "' needs live metadata for its entity set or primary id");
  return {e->logical_name, *e->entity_set_name, *e->primary_id};
}

std::optional<std::string> regarding(const mapping_artifact& m, std::string_view key,
                                     bool link_regarding) {
  if (!link_regarding) return std::nullopt;
  const auto* f = m.field(key);
  if (!f || !f->navigation_property)
    throw resolution_error("mapping field '" + std::string(key) +
                           "' needs live metadata for its navigation property");
  return f->navigation_property;
}

}  // namespace

resolved_mapping resolve_from_artifact(const mapping_artifact& mapping, bool link_regarding) {
  resolved_mapping r;
  r.artifact = mapping;
  r.queue = table_from_artifact(mapping, "queue_item");
  r.phone_call = table_from_artifact(mapping, "phone_call_activity");
  r.task = table_from_artifact(mapping, "task");
  if (mapping.entity("account")) r.name_table = table_from_artifact(mapping, "account");
  for (const auto& f : mapping.fields)
    if (f.entity == "queue_item" && f.type == "lookup")
      r.queue_lookup_columns.insert(f.logical_name);
  r.phone_call_regarding = regarding(mapping, "phone_call.regarding", link_regarding);
  r.task_regarding = regarding(mapping, "task.regarding", link_regarding);
  return r;
}

void put_queue_update(json::object& body, const resolved_mapping& mapping,
                      std::string_view field_key, json::value value) {
  const auto* f = mapping.artifact.field(field_key);
  if (!f || !f->approved_update_field) return;
  const auto& preserve = mapping.artifact.preserve_if_present;
  if (std::find(preserve.begin(), preserve.end(), f->logical_name) != preserve.end()) return;
  body.emplace_back(f->logical_name, std::move(value));
}

}  // namespace opencloser::dataverse
