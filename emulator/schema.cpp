#include "emulator/schema.hpp"

#include <array>
#include <utility>

namespace opencloser::emulator {

namespace {

constexpr std::array<std::pair<attribute_kind, std::string_view>, 13> kind_names{{
    {attribute_kind::string_, "String"},
    {attribute_kind::memo, "Memo"},
    {attribute_kind::integer, "Integer"},
    {attribute_kind::boolean, "Boolean"},
    {attribute_kind::datetime, "DateTime"},
    {attribute_kind::decimal, "Decimal"},
    {attribute_kind::uniqueidentifier, "Uniqueidentifier"},
    {attribute_kind::picklist, "Picklist"},
    {attribute_kind::status, "Status"},
    {attribute_kind::state, "State"},
    {attribute_kind::lookup, "Lookup"},
    {attribute_kind::owner, "Owner"},
    {attribute_kind::bigint, "BigInt"},
}};

}  // namespace

std::string_view attribute_type_name(attribute_kind kind) {
  for (const auto& [k, name] : kind_names)
    if (k == kind) return name;
  return "String";
}

std::optional<attribute_kind> attribute_kind_from_seed(std::string_view name) {
  for (const auto& [k, spelled] : kind_names)
    if (spelled == name && k != attribute_kind::owner && k != attribute_kind::bigint) return k;
  return std::nullopt;
}

std::string attribute_def::property_name() const {
  return is_lookup() ? "_" + logical_name + "_value" : logical_name;
}

const attribute_def* table_def::attribute(std::string_view logical_name) const {
  const auto it = attributes.find(logical_name);
  return it == attributes.end() ? nullptr : &it->second;
}

const attribute_def* table_def::property(std::string_view property_name) const {
  constexpr std::string_view prefix = "_", suffix = "_value";
  if (property_name.size() > prefix.size() + suffix.size() && property_name.starts_with(prefix) &&
      property_name.ends_with(suffix)) {
    const auto inner =
        property_name.substr(prefix.size(), property_name.size() - prefix.size() - suffix.size());
    if (const auto* a = attribute(inner); a && a->is_lookup()) return a;
  }
  const auto* a = attribute(property_name);
  return a && !a->is_lookup() ? a : nullptr;
}

const table_def* schema::by_logical_name(std::string_view name) const {
  const auto it = tables.find(name);
  return it == tables.end() ? nullptr : &it->second;
}

const table_def* schema::by_entity_set(std::string_view set) const {
  for (const auto& [name, table] : tables)
    if (table.entity_set_name == set) return &table;
  return nullptr;
}

std::string etag_of(const row& r) {
  const auto it = r.find("versionnumber");
  const std::int64_t version = it != r.end() && it->second.is_int() ? it->second.as_int() : 0;
  return "W/\"" + std::to_string(version) + "\"";
}

web_error bad_request(std::string message) {
  return web_error(400, "0x80060888", std::move(message));
}

}  // namespace opencloser::emulator
