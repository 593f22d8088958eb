// The mapping artifact loader (fixtures.md §6) and the mapping readiness checks of
// dataverse.md §3.1 steps 5–7. The loader checks structure and JSON types only: whether the
// mapping is complete is readiness, whether it matches the live tables is verification.
#include "adapters/mapping/mapping_artifact.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <string_view>
#include <utility>

#include "messages/enums.hpp"

namespace opencloser {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 6> field_types = {"string",    "integer", "boolean",
                                                         "optionset", "lookup",  "datetime"};
constexpr std::string_view option_prefix = "queue_status.";

[[noreturn]] void fail(const std::string& detail) {
  throw mapping_error("mapping artifact error: " + detail);
}

std::string in_quotes(std::string_view s) {
  return "'" + std::string(s) + "'";
}

std::string got(const json::value& v) {
  return " (got " + std::string(v.kind_name()) + ")";
}

template <class Range>
std::string joined(const Range& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

using member_view = std::pair<std::string_view, const json::value*>;

/// An object's members in document order. A repeated key keeps the position of its first
/// occurrence and the value of its last, as the predecessor's json.load (a Python dict) did.
std::vector<member_view> members(const json::value& object) {
  std::vector<member_view> out;
  for (const auto& [key, value] : object.as_object()) {
    auto same = std::find_if(out.begin(), out.end(), [&](const auto& m) { return m.first == key; });
    if (same == out.end())
      out.emplace_back(key, &value);
    else
      same->second = &value;
  }
  return out;
}

const json::value& require_object(const json::value& v, const std::string& path) {
  if (!v.is_object()) fail(path + " must be an object" + got(v));
  return v;
}

std::string required_string(const json::value& object, std::string_view key,
                            const std::string& path) {
  const json::value* v = object.find(key);
  if (!v) fail(child(path, key) + " is required");
  if (!v->is_string()) fail(child(path, key) + " must be a string" + got(*v));
  return v->as_string();
}

/// Absent and null are the same: "not set".
std::optional<std::string> optional_string(const json::value& object, std::string_view key,
                                           const std::string& path) {
  const json::value* v = object.find(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) fail(child(path, key) + " must be a string or null" + got(*v));
  return v->as_string();
}

bool optional_bool(const json::value& object, std::string_view key, const std::string& path) {
  const json::value* v = object.find(key);
  if (!v) return false;
  if (!v->is_bool()) fail(child(path, key) + " must be a boolean" + got(*v));
  return v->as_bool();
}

mapping_meta read_meta(const json::value& root) {
  const json::value* meta = root.find("_meta");
  if (!meta) fail("_meta is required");
  require_object(*meta, "_meta");
  return {required_string(*meta, "schema_version", "_meta"),
          required_string(*meta, "discovered_at", "_meta"),
          required_string(*meta, "dataverse_env_url", "_meta"),
          optional_bool(*meta, "approved", "_meta")};
}

std::vector<mapping_entity> read_entities(const json::value& root) {
  const json::value* entities = root.find("entities");
  if (!entities) fail("entities is required");
  require_object(*entities, "entities");
  std::vector<mapping_entity> out;
  for (const auto& [key, entry] : members(*entities)) {
    const std::string path = child("entities", key);
    require_object(*entry, path);
    out.push_back({std::string(key), required_string(*entry, "logical_name", path),
                   optional_string(*entry, "entity_set_name", path),
                   optional_string(*entry, "primary_id", path)});
  }
  if (out.empty()) fail("entities must not be empty");
  return out;
}

/// An optional top-level object: absent means empty, anything but an object is an error.
std::vector<member_view> optional_section(const json::value& root, std::string_view key) {
  const json::value* section = root.find(key);
  if (!section) return {};
  require_object(*section, std::string(key));
  return members(*section);
}

std::vector<mapping_field> read_fields(const json::value& root,
                                       const std::vector<mapping_entity>& entities) {
  std::vector<mapping_field> out;
  for (const auto& [key, entry] : optional_section(root, "fields")) {
    const std::string path = child("fields", key);
    require_object(*entry, path);
    mapping_field field;
    field.key = std::string(key);
    field.entity = required_string(*entry, "entity", path);
    if (std::none_of(entities.begin(), entities.end(),
                     [&](const auto& e) { return e.key == field.entity; })) {
      std::vector<std::string_view> keys;
      for (const auto& e : entities) keys.push_back(e.key);
      fail(child(path, "entity") + " must be one of the entity keys " + joined(keys, ", ") +
           " (got " + in_quotes(field.entity) + ")");
    }
    field.logical_name = required_string(*entry, "logical_name", path);
    field.type = required_string(*entry, "type", path);
    if (std::find(field_types.begin(), field_types.end(), field.type) == field_types.end())
      fail(child(path, "type") + " must be one of " + joined(field_types, ", ") + " (got " +
           in_quotes(field.type) + ")");
    field.lookup_target = optional_string(*entry, "lookup_target", path);
    field.approved_update_field = optional_bool(*entry, "approved_update_field", path);
    field.navigation_property = optional_string(*entry, "navigation_property", path);
    out.push_back(std::move(field));
  }
  return out;
}

bool is_status_option_key(std::string_view key) {
  if (!key.starts_with(option_prefix)) return false;
  return enum_from<callable_status>(key.substr(option_prefix.size())).has_value();
}

std::vector<mapping_option> read_option_sets(const json::value& root,
                                             const std::vector<mapping_field>& fields) {
  std::vector<mapping_option> out;
  for (const auto& [key, entry] : optional_section(root, "option_sets")) {
    const std::string path = child("option_sets", key);
    if (!is_status_option_key(key))
      fail("option_sets key " + in_quotes(key) +
           " must be queue_status.<status> with <status> one of " +
           joined(enum_names<callable_status>::values, ", "));
    require_object(*entry, path);
    mapping_option option;
    option.key = std::string(key);
    option.field = required_string(*entry, "field", path);
    if (std::none_of(fields.begin(), fields.end(),
                     [&](const auto& f) { return f.key == option.field; }))
      fail(child(path, "field") + " must be a field key (got " + in_quotes(option.field) + ")");
    const json::value* value = entry->find("value");
    if (!value) fail(child(path, "value") + " is required");
    // JSON true/false and 1.0 are not integers (json::value keeps them apart).
    if (!value->is_int()) fail(child(path, "value") + " must be an integer" + got(*value));
    option.value = value->as_int();
    out.push_back(std::move(option));
  }
  return out;
}

std::vector<std::string> read_preserve(const json::value& root) {
  const json::value* list = root.find("preserve_if_present");
  if (!list) return {};
  if (!list->is_array()) fail("preserve_if_present must be an array" + got(*list));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < list->as_array().size(); ++i) {
    const json::value& column = list->as_array()[i];
    if (!column.is_string())
      fail("preserve_if_present[" + std::to_string(i) + "] must be a string" + got(column));
    out.push_back(column.as_string());
  }
  return out;
}

// The key fields and the entity each must be bound to (dataverse.md §2).
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> key_fields = {{
    {"phone_call.idempotency_key", "phone_call_activity"},
    {"task.idempotency_key", "task"},
}};

}  // namespace

mapping_artifact mapping_from_json(const json::value& doc) {
  if (!doc.is_object()) fail("the root must be an object" + got(doc));
  mapping_artifact mapping;
  mapping.meta = read_meta(doc);
  mapping.entities = read_entities(doc);
  mapping.fields = read_fields(doc, mapping.entities);
  mapping.option_sets = read_option_sets(doc, mapping.fields);
  mapping.task_owner_override_field = optional_string(doc, "task_owner_override_field", "");
  mapping.preserve_if_present = read_preserve(doc);
  return mapping;
}

mapping_artifact load_mapping_artifact(const fs::path& path) {
  const std::string name = in_quotes(path.string());
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) fail("file " + name + " not found");
  if (!fs::is_regular_file(status)) fail(name + " is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(name + " cannot be read");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) fail(name + " cannot be read");
  if (!simdjson::validate_utf8(text.data(), text.size())) fail(name + " is not valid UTF-8");
  json::value doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    fail(name + " is not valid JSON (" + e.what() + ")");
  }
  return mapping_from_json(doc);
}

std::string lookup_property(const mapping_field& field) {
  if (field.type == "lookup") return "_" + field.logical_name + "_value";
  return field.logical_name;
}

std::vector<std::string> unmapped_key_fields(const mapping_artifact& mapping) {
  std::vector<std::string> out;
  for (const auto& [key, entity] : key_fields)
    if (!mapping.field(key)) out.emplace_back(key);
  return out;
}

std::vector<std::string> misbound_key_fields(const mapping_artifact& mapping) {
  std::vector<std::string> out;
  for (const auto& [key, expected] : key_fields) {
    const mapping_field* field = mapping.field(key);
    if (field && field->entity != expected)
      out.push_back(std::string(key) + " → entity " + in_quotes(field->entity) + " (expected " +
                    in_quotes(expected) + ")");
  }
  return out;
}

std::vector<std::string> missing_required_entries(const mapping_artifact& mapping,
                                                  bool needs_selection) {
  std::vector<std::string> out;
  for (std::string_view key : {"queue_item", "phone_call_activity", "task"})
    if (!mapping.entity(key)) out.push_back(child("entities", key));

  // A required field: missing, or present with the wrong type or without approval.
  const auto require_field = [&](std::string_view key, std::string_view type, bool approved) {
    const mapping_field* field = mapping.field(key);
    const std::string path = child("fields", key);
    if (!field) {
      out.push_back(path);
      return;
    }
    std::vector<std::string> problems;
    if (!type.empty() && field->type != type) problems.push_back("not " + std::string(type));
    if (approved && !field->approved_update_field) problems.emplace_back("not approved");
    if (!problems.empty()) out.push_back(path + " (" + joined(problems, ", ") + ")");
  };

  require_field("queue.status", "optionset", true);
  for (std::string_view status : enum_names<callable_status>::values) {
    const std::string key = std::string(option_prefix) + std::string(status);
    const mapping_option* option = mapping.option(key);
    if (!option)
      out.push_back(child("option_sets", key));
    else if (option->field != "queue.status")
      out.push_back(child("option_sets", key) + " (not on queue.status)");
  }
  for (std::string_view key : {"queue.last_session_id", "queue.attempt_count", "queue.dnc"})
    require_field(key, "", true);
  for (std::string_view key : {"queue.phone", "queue.timezone"}) require_field(key, "", false);
  if (needs_selection)
    for (std::string_view key : {"queue.campaign", "queue.next_attempt_at"})
      require_field(key, "", false);
  return out;
}

std::optional<std::string> mapping_readiness_error(const mapping_artifact& mapping,
                                                   bool needs_selection) {
  if (const auto keys = unmapped_key_fields(mapping); !keys.empty())
    return "idempotency-key field(s) not mapped: " + joined(keys, ", ");
  if (const auto wrong = misbound_key_fields(mapping); !wrong.empty())
    return "idempotency-key field(s) bound to the wrong entity: " + joined(wrong, ", ");
  if (const auto lacking = missing_required_entries(mapping, needs_selection); !lacking.empty())
    return "mapping lacks required entries: " + joined(lacking, ", ");
  return std::nullopt;
}

}  // namespace opencloser
