#include "emulator/row_writes.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "actors/common/ids.hpp"

namespace opencloser::emulator {

namespace {

constexpr std::string_view payload_error = "0x80048d19";
constexpr std::string_view bind_suffix = "@odata.bind";

web_error payload(std::string message) {
  return web_error(400, std::string(payload_error), std::move(message));
}

bool digits(std::string_view s, std::size_t from, std::size_t count) {
  if (from + count > s.size()) return false;
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(from),
                     s.begin() + static_cast<std::ptrdiff_t>(from + count),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

void check_column_value(const table_def& table, const attribute_def& column, const json::value& v) {
  if (v.is_null()) return;
  const auto wrong = [&](std::string_view expected) {
    return payload("Invalid value for '" + column.logical_name + "' on '" + table.logical_name +
                   "': expected " + std::string(expected) + ", got " + std::string(v.kind_name()) +
                   ".");
  };
  switch (column.kind) {
    case attribute_kind::string_:
    case attribute_kind::memo:
      if (!v.is_string()) throw wrong("a string");
      return;
    case attribute_kind::integer:
    case attribute_kind::bigint:
      if (!v.is_int()) throw wrong("an integer");
      return;
    case attribute_kind::boolean:
      if (!v.is_bool()) throw wrong("a boolean");
      return;
    case attribute_kind::decimal:
      if (!v.is_number()) throw wrong("a number");
      return;
    case attribute_kind::datetime:
      if (!v.is_string() || !is_iso_datetime(v.as_string())) throw wrong("an ISO 8601 date-time");
      return;
    case attribute_kind::uniqueidentifier:
      if (!v.is_string() || !is_guid(v.as_string())) throw wrong("a GUID");
      return;
    case attribute_kind::picklist:
    case attribute_kind::status:
    case attribute_kind::state:
      if (!v.is_int()) throw wrong("an option value");
      if (std::find(column.options.begin(), column.options.end(), v.as_int()) ==
          column.options.end())
        throw payload("A validation error occurred. The value " + std::to_string(v.as_int()) +
                      " of '" + column.logical_name + "' on record of type '" + table.logical_name +
                      "' is outside the valid range.");
      return;
    case attribute_kind::lookup:
    case attribute_kind::owner:
      return;  // bound through @odata.bind only
  }
}

namespace {

/// `/<set>(<guid>)`, `<set>(<guid>)` or an absolute URL ending in one → (set, guid).
std::pair<std::string, std::string> parse_bind(std::string_view value) {
  const auto open = value.rfind('(');
  if (open == std::string_view::npos || value.empty() || value.back() != ')')
    throw bad_request("Invalid @odata.bind value '" + std::string(value) + "'.");
  std::string_view head = value.substr(0, open);
  const auto id = value.substr(open + 1, value.size() - open - 2);
  if (const auto slash = head.rfind('/'); slash != std::string_view::npos)
    head = head.substr(slash + 1);
  if (head.empty() || !is_guid(id))
    throw bad_request("Invalid @odata.bind value '" + std::string(value) + "'.");
  return {std::string(head), canonical_guid(id)};
}

/// The lookup column a navigation property binds, or nullptr.
const attribute_def* navigation_column(const table_def& table, std::string_view navigation) {
  if (table.is_activity && navigation.starts_with("regardingobjectid_")) {
    // regardingobjectid_<table>_<activity>: the regarding column, pinned to <table>.
    const std::string suffix = "_" + table.logical_name;
    if (navigation.ends_with(suffix)) return table.attribute("regardingobjectid");
    return nullptr;
  }
  if (navigation == "regardingobjectid") return nullptr;  // polymorphic: needs the pinned name
  const auto* column = table.attribute(navigation);
  return column && column->is_lookup() ? column : nullptr;
}

void bind(const table_def& table, std::string_view navigation, const json::value& value,
          const store& rows, row& changes) {
  const auto* column = navigation_column(table, navigation);
  if (!column)
    throw bad_request("An undeclared property '" + std::string(navigation) +
                      "' which only has property annotations in the payload but no property "
                      "value was found in the payload.");
  if (value.is_null()) {
    changes[column->property_name()] = nullptr;
    return;
  }
  if (!value.is_string()) throw bad_request("An @odata.bind value must be a string.");
  const auto [set, id] = parse_bind(value.as_string());
  const auto* target = rows.tables().by_entity_set(set);
  if (!target) throw bad_request("Resource not found for the segment '" + set + "'.");
  std::string pinned;  // regardingobjectid_<table>_<activity> names its target table
  if (column->logical_name == "regardingobjectid") {
    const std::string_view rest = navigation.substr(std::string_view("regardingobjectid_").size());
    pinned = std::string(rest.substr(0, rest.size() - table.logical_name.size() - 1));
  }
  const bool allowed = pinned.empty() ? std::find(column->targets.begin(), column->targets.end(),
                                                  target->logical_name) != column->targets.end()
                                      : pinned == target->logical_name;
  if (!allowed)
    throw bad_request("The navigation property '" + std::string(navigation) +
                      "' cannot refer to an entity of type '" + target->logical_name + "'.");
  if (!rows.find(*target, id)) throw row_not_found(*target, id);
  changes[column->property_name()] = json::value(id);
}

std::int64_t default_status(const table_def& table, std::int64_t state) {
  if (table.logical_name == "phonecall") return state == 0 ? 1 : state == 1 ? 2 : 3;
  return state == 0 ? 2 : state == 1 ? 5 : 6;
}

bool allowed_pair(const table_def& table, std::int64_t state, std::int64_t status) {
  if (table.logical_name == "phonecall")
    return (state == 0 && status == 1) || (state == 1 && (status == 2 || status == 4)) ||
           (state == 2 && status == 3);
  return (state == 0 && (status == 2 || status == 3 || status == 4 || status == 7)) ||
         (state == 1 && status == 5) || (state == 2 && status == 6);
}

}  // namespace

bool is_iso_datetime(std::string_view s) {
  // YYYY-MM-DD
  if (!digits(s, 0, 4) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' ||
      !digits(s, 8, 2))
    return false;
  if (s.size() == 10) return true;
  if (s[10] != 'T' || !digits(s, 11, 2) || s.size() < 16 || s[13] != ':' || !digits(s, 14, 2))
    return false;
  std::size_t i = 16;
  if (i < s.size() && s[i] == ':') {
    if (!digits(s, i + 1, 2)) return false;
    i += 3;
    if (i < s.size() && s[i] == '.') {
      const auto start = ++i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      if (i == start) return false;
    }
  }
  const auto zone = s.substr(i);
  if (zone == "Z") return true;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && digits(zone, 1, 2) &&
         zone[3] == ':' && digits(zone, 4, 2);
}

web_error row_not_found(const table_def& table, std::string_view id) {
  return web_error(404, "0x80040217",
                   table.logical_name + " With Id = " + std::string(id) + " Does Not Exist");
}

row changes_from_body(const table_def& table, const json::value& body, const store& rows,
                      bool create) {
  if (!body.is_object()) throw payload("The request body must be a JSON object.");
  row changes;
  for (const auto& [key, value] : body.as_object()) {
    if (key.ends_with(bind_suffix)) {
      bind(table, std::string_view(key).substr(0, key.size() - bind_suffix.size()), value, rows,
           changes);
      continue;
    }
    if (key.starts_with("@odata.") || key.starts_with("@")) continue;  // annotations
    const auto* column = table.attribute(key);
    if (!column || column->is_lookup() || key == "createdon" || key == "modifiedon" ||
        key == "versionnumber")
      throw bad_request("The property '" + key +
                        "' does not exist on type 'Microsoft.Dynamics.CRM." + table.logical_name +
                        "'. Make sure to only use property names that are defined by the type "
                        "or mark the type as open type.");
    check_column_value(table, *column, value);
    if (key == table.primary_id) {
      if (!value.is_string()) throw payload("The primary id must be a GUID.");
      changes[key] = json::value(canonical_guid(value.as_string()));
      continue;
    }
    changes[key] = value;
  }
  if (create && table.is_activity) {
    if (changes.contains("statecode"))
      throw payload("statecode is not a valid attribute for create of " + table.logical_name +
                    "; close the activity with an update.");
    if (const auto it = changes.find("statuscode"); it != changes.end() && !it->second.is_null()) {
      if (!allowed_pair(table, 0, it->second.as_int()))
        throw payload("statuscode " + std::to_string(it->second.as_int()) +
                      " is not valid for an open " + table.logical_name + ".");
    } else {
      changes["statuscode"] = json::value(default_status(table, 0));
    }
    changes["statecode"] = json::value(std::int64_t{0});
    if (!changes.contains("directioncode")) changes["directioncode"] = json::value(true);
  }
  return changes;
}

void check_activity_update(const table_def& table, row& changes, const row& current) {
  if (!table.is_activity) return;
  const auto value_of = [](const row& r, std::string_view key) -> std::optional<std::int64_t> {
    const auto it = r.find(key);
    if (it == r.end() || !it->second.is_int()) return std::nullopt;
    return it->second.as_int();
  };
  const std::int64_t current_state = value_of(current, "statecode").value_or(0);
  const auto new_state = value_of(changes, "statecode");
  const auto new_status = value_of(changes, "statuscode");
  const bool state_change = new_state || new_status;
  if (state_change) {
    const std::int64_t state = new_state.value_or(current_state);
    const std::int64_t status = new_status.value_or(default_status(table, state));
    if (!allowed_pair(table, state, status))
      throw payload("The (statecode, statuscode) pair (" + std::to_string(state) + ", " +
                    std::to_string(status) + ") is not valid for " + table.logical_name + ".");
    changes["statecode"] = json::value(state);
    changes["statuscode"] = json::value(status);
  }
  if (current_state != 0) {
    for (const auto& [key, value] : changes)
      if (key != "statecode" && key != "statuscode")
        throw payload("This " + table.logical_name +
                      " is closed or canceled and cannot be edited (column '" + key + "').");
  }
}

}  // namespace opencloser::emulator
