#pragma once
// Conversions between message fields and column values shared by the journal's writers and
// readers: JSON-text columns (lists, payloads, raw Dataverse values) and enum columns, whose
// unknown values are reported against the database file rather than silently defaulted.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/json/json.hpp"
#include "adapters/state/state_error.hpp"
#include "messages/enums.hpp"
#include "messages/nullable.hpp"

namespace opencloser::state_columns {

inline std::string letters_json(const std::vector<std::string>& letters) {
  json::array items;
  for (const auto& l : letters) items.emplace_back(l);
  return json::write_compact(json::value(std::move(items)));
}

inline std::string json_text(const json::value& v) {
  return json::write_compact(v);
}

/// Parses a JSON-text column the journal wrote itself; a failure means a damaged row.
inline json::value parse_column(const std::string& text, std::string_view column) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw state_error("state database column " + std::string(column) + " is not JSON: " + e.what());
  }
}

inline std::vector<std::string> letters_from(const std::string& text, std::string_view column) {
  std::vector<std::string> letters;
  const auto doc = parse_column(text, column);
  if (!doc.is_array())
    throw state_error("state database column " + std::string(column) + " is not a list");
  for (const auto& item : doc.as_array()) letters.push_back(item.as_string());
  return letters;
}

template <class E>
E enum_column(const std::string& text, std::string_view column) {
  if (auto value = enum_from<E>(text)) return *value;
  throw state_error("state database column " + std::string(column) + " holds unknown value '" +
                    text + "'");
}

template <class E>
nullable<E> nullable_enum_column(const nullable<std::string>& text, std::string_view column) {
  if (!text) return {};
  return enum_column<E>(*text, column);
}

template <class E>
nullable<std::string> nullable_name(const nullable<E>& value) {
  if (!value) return {};
  return std::string(to_string(*value));
}

}  // namespace opencloser::state_columns
