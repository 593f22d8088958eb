#include "emulator/metadata.hpp"

#include <algorithm>

#include "actors/common/ids.hpp"
#include "adapters/json/json.hpp"
#include "emulator/odata_query.hpp"

namespace opencloser::emulator {

namespace {

using params_t = std::vector<std::pair<std::string, std::string>>;

web_error not_found(std::string message) {
  return web_error(404, "0x80040217", std::move(message));
}

std::optional<std::string_view> param(const params_t& params, std::string_view key) {
  for (const auto& [k, v] : params)
    if (k == key) return std::string_view(v);
  return std::nullopt;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    auto item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

/// Only the query options a metadata request may carry.
void allow_only(const params_t& params, std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : params)
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
      throw bad_request("The query parameter '" + k +
                        "' is not supported on this metadata request.");
}

/// `{…}` restricted to `$select` (+ MetadataId, always present); unknown names → 400.
json::value restrict_to_select(json::object full, const params_t& params, std::string_view type) {
  const auto select = param(params, "$select");
  if (!select) return full;
  const auto names = split_list(*select);
  for (const auto& name : names)
    if (std::none_of(full.begin(), full.end(),
                     [&](const json::member& m) { return m.first == name; }))
      throw bad_request("Could not find a property named '" + name +
                        "' on type 'Microsoft.Dynamics.CRM." + std::string(type) + "'.");
  json::object out;
  for (auto& m : full)
    if (m.first == "MetadataId" || std::find(names.begin(), names.end(), m.first) != names.end())
      out.push_back(std::move(m));
  return out;
}

/// `Name='value'` inside a segment like `EntityDefinitions(LogicalName='x')`.
std::string key_in(std::string_view segment, std::string_view prefix, std::string_view key_name) {
  const std::string open = std::string(prefix) + "(" + std::string(key_name) + "='";
  if (!segment.starts_with(open) || !segment.ends_with("')"))
    throw bad_request("Bad Request - Error in query syntax: '" + std::string(segment) + "'.");
  return std::string(segment.substr(open.size(), segment.size() - open.size() - 2));
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

http_response ok(const json::value& body) {
  return json_response(200, json::write_compact(body));
}

json::object entity_definition(const table_def& t) {
  return {{"LogicalName", t.logical_name},
          {"EntitySetName", t.entity_set_name},
          {"PrimaryIdAttribute", t.primary_id},
          {"PrimaryNameAttribute", t.primary_name ? json::value(*t.primary_name) : json::value()},
          {"IsActivity", t.is_activity},
          {"MetadataId", t.metadata_id}};
}

json::object attribute_definition(const table_def& t, const attribute_def& a) {
  json::object o{{"LogicalName", a.logical_name},
                 {"AttributeType", std::string(attribute_type_name(a.kind))},
                 {"MetadataId", a.metadata_id}};
  if (a.is_lookup()) {
    json::array targets;
    for (const auto& target : a.targets) targets.emplace_back(target);
    o.emplace_back("Targets", std::move(targets));
  }
  o.emplace_back("EntityLogicalName", t.logical_name);
  return o;
}

json::value options_json(const attribute_def& a) {
  json::array options;
  for (const auto v : a.options)
    options.emplace_back(json::object{
        {"Value", v},
        {"Label",
         json::object{{"UserLocalizedLabel", json::object{{"Label", std::to_string(v)}}}}}});
  return json::object{{"Options", std::move(options)}};
}

std::string_view cast_kind_name(attribute_kind kind) {
  switch (kind) {
    case attribute_kind::picklist:
      return "Microsoft.Dynamics.CRM.PicklistAttributeMetadata";
    case attribute_kind::status:
      return "Microsoft.Dynamics.CRM.StatusAttributeMetadata";
    case attribute_kind::state:
      return "Microsoft.Dynamics.CRM.StateAttributeMetadata";
    default:
      return "";
  }
}

/// `OptionSet($select=Options),GlobalOptionSet` → which of the two to include.
std::pair<bool, bool> expanded_option_sets(const params_t& params) {
  bool local = false, global = false;
  const auto expand = param(params, "$expand");
  if (!expand) return {local, global};
  // Split at top-level commas only: `OptionSet($select=Options),GlobalOptionSet(...)`.
  std::string_view text = *expand;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == '(') ++depth;
    if (i < text.size() && text[i] == ')') --depth;
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      auto item = text.substr(start, i - start);
      const auto paren = item.find('(');
      const auto name = item.substr(0, paren);
      if (paren != std::string_view::npos && item != std::string(name) + "($select=Options)")
        throw bad_request("Unsupported $expand option '" + std::string(item) + "'.");
      if (name == "OptionSet")
        local = true;
      else if (name == "GlobalOptionSet")
        global = true;
      else
        throw bad_request("Could not find a property named '" + std::string(name) +
                          "' to expand on this attribute.");
      start = i + 1;
    }
  }
  if (depth != 0) throw bad_request("Malformed $expand '" + std::string(text) + "'.");
  return {local, global};
}

http_response option_set_cast(const table_def& t, std::string_view column, std::string_view cast,
                              const params_t& params) {
  allow_only(params, {"$select", "$expand"});
  const auto* a = t.attribute(column);
  if (!a || cast_kind_name(a->kind) != cast)
    throw not_found("Attribute '" + std::string(column) + "' of entity '" + t.logical_name +
                    "' is not of type '" + std::string(cast) + "'.");
  const auto [local, global] = expanded_option_sets(params);
  json::object body{{"LogicalName", a->logical_name}, {"MetadataId", a->metadata_id}};
  auto selected = restrict_to_select(std::move(body), params, "AttributeMetadata").as_object();
  if (local)
    selected.emplace_back("OptionSet", a->global_options ? json::value() : options_json(*a));
  if (global)
    selected.emplace_back("GlobalOptionSet", a->global_options ? options_json(*a) : json::value());
  return ok(selected);
}

std::string capitalised_plural(std::string_view activity) {
  if (activity == "phonecall") return "PhoneCalls";
  std::string s(activity);
  if (!s.empty()) s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s + "s";
}

json::array many_to_one(const schema& tables, const table_def& t) {
  json::array out;
  for (const auto& [name, a] : t.attributes) {
    if (!a.is_lookup() || a.kind == attribute_kind::owner) continue;
    if (a.logical_name == "regardingobjectid") {
      for (const auto& target : a.targets)
        out.emplace_back(
            json::object{{"ReferencedEntity", target},
                         {"ReferencingAttribute", "regardingobjectid"},
                         {"ReferencingEntityNavigationPropertyName",
                          "regardingobjectid_" + target + "_" + t.logical_name},
                         {"SchemaName", target + "_" + capitalised_plural(t.logical_name)}});
      continue;
    }
    for (const auto& target : a.targets)
      out.emplace_back(json::object{{"ReferencedEntity", target},
                                    {"ReferencingAttribute", a.logical_name},
                                    {"ReferencingEntityNavigationPropertyName", a.logical_name},
                                    {"SchemaName", t.logical_name + "_" + a.logical_name}});
  }
  (void)tables;
  return out;
}

http_response relationships(const schema& tables, const table_def& t, const params_t& params) {
  allow_only(params, {"$select", "$filter"});
  std::vector<filter_term> filter;
  if (const auto f = param(params, "$filter")) filter = parse_filter(*f);
  static const std::vector<std::string> properties{"ReferencedEntity", "ReferencingAttribute",
                                                   "ReferencingEntityNavigationPropertyName",
                                                   "SchemaName"};
  for (const auto& term : filter)
    if (std::find(properties.begin(), properties.end(), term.property) == properties.end())
      throw bad_request("Could not find a property named '" + term.property +
                        "' on type 'Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata'.");
  json::array value;
  for (auto& rel : many_to_one(tables, t)) {
    const auto& o = rel.as_object();
    const auto field = [&](std::string_view name) -> const json::value* { return rel.find(name); };
    if (!matches(filter, field)) continue;
    json::object full = o;
    full.emplace_back("MetadataId",
                      uuid_v5(opencloser_uuid_namespace,
                              "opencloser:relationship:" + full.at(3).second.as_string()));
    value.push_back(restrict_to_select(std::move(full), params, "OneToManyRelationshipMetadata"));
  }
  return ok(json::object{{"value", std::move(value)}});
}

}  // namespace

std::optional<http_response> handle_metadata(const schema& tables, const caller_identity& caller,
                                             std::string_view path, const params_t& params) {
  if (path == "WhoAmI") {
    allow_only(params, {});
    return ok(json::object{{"BusinessUnitId", caller.business_unit_id},
                           {"UserId", caller.user_id},
                           {"OrganizationId", caller.organization_id}});
  }
  const auto segments = split_path(path);
  if (segments[0].starts_with("GlobalOptionSetDefinitions")) {
    allow_only(params, {"$select"});
    const auto name = key_in(segments[0], "GlobalOptionSetDefinitions", "Name");
    for (const auto& [tname, t] : tables.tables)
      for (const auto& [cname, a] : t.attributes)
        if (a.global_options && tname + "_" + cname == name && segments.size() == 1) {
          json::object body{{"Name", name}, {"MetadataId", a.metadata_id}};
          body.emplace_back("Options", *options_json(a).find("Options"));
          return ok(restrict_to_select(std::move(body), params, "OptionSetMetadata"));
        }
    throw not_found("Could not find optionset with name: " + name);
  }
  if (!segments[0].starts_with("EntityDefinitions")) return std::nullopt;
  if (segments[0] == "EntityDefinitions")
    throw bad_request(
        "Listing every entity definition is not supported by the emulator; address "
        "one as EntityDefinitions(LogicalName='<table>').");
  const auto logical = key_in(segments[0], "EntityDefinitions", "LogicalName");
  const auto* t = tables.by_logical_name(logical);
  if (!t) throw not_found("Could not find an entity with the name " + logical + ".");
  if (segments.size() == 1) {
    allow_only(params, {"$select"});
    return ok(restrict_to_select(entity_definition(*t), params, "EntityMetadata"));
  }
  if (segments[1] == "Attributes" && segments.size() == 2) {
    allow_only(params, {"$select"});
    json::array value;  // attributes is a map: LogicalName order already
    for (const auto& [name, a] : t->attributes)
      value.push_back(restrict_to_select(attribute_definition(*t, a), params, "AttributeMetadata"));
    return ok(json::object{{"value", std::move(value)}});
  }
  if (segments[1].starts_with("Attributes(")) {
    const auto column = key_in(segments[1], "Attributes", "LogicalName");
    const auto* a = t->attribute(column);
    if (!a)
      throw not_found("Could not find an attribute with the name " + column + " on " + logical +
                      ".");
    if (segments.size() == 2) {
      allow_only(params, {"$select"});
      return ok(restrict_to_select(attribute_definition(*t, *a), params, "AttributeMetadata"));
    }
    if (segments.size() == 3) return option_set_cast(*t, column, segments[2], params);
  }
  if (segments[1] == "ManyToOneRelationships" && segments.size() == 2)
    return relationships(tables, *t, params);
  throw bad_request("Resource not found for the segment '" + std::string(segments.back()) + "'.");
}

}  // namespace opencloser::emulator
