// Row values against their columns: the type check every seeded value goes through, and the
// normalisation the store relies on (canonical lower-case GUIDs, DateTime as UtcMs).

#include <algorithm>
#include <chrono>
#include <sstream>

// date::parse trips g++ 12's maybe-uninitialized analysis inside date.h (a seconds
// temporary in from_stream); the warning is in the library's code, not ours. g++ checks the
// pragma at each place of the inlining chain, and date.h's own lines are on it however the
// optimiser inlines, so the suppression covers the header, not just our caller.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <date/date.h>
#pragma GCC diagnostic pop

#include "actors/common/ids.hpp"
#include "actors/common/utc_ms.hpp"
#include "emulator/seed_internal.hpp"

namespace opencloser::emulator::seed_detail {

namespace {

/// UtcMs, or ISO 8601 with `Z` or a numeric offset; fraction digits beyond milliseconds
/// (.NET writes seven) are dropped, i.e. floored.
std::optional<unix_ms> parse_datetime(std::string text) {
  if (const auto ms = parse_utc_ms(text)) return ms;
  if (const auto dot = text.find('.'); dot != std::string::npos) {
    auto end = dot + 1;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    if (end - dot - 1 > 3) text.erase(dot + 4, end - dot - 4);
  }
  for (const char* format : {"%FT%TZ", "%FT%T%Ez"}) {
    std::istringstream in(text);
    date::sys_time<std::chrono::milliseconds> tp;
    in >> date::parse(format, tp);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof())
      return tp.time_since_epoch().count();
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_value(const attribute_def& a, json::value& v) {
  if (v.is_null()) return std::nullopt;
  const auto expected = [&](std::string_view what) {
    return std::optional<std::string>("expected " + std::string(what) + " for a " +
                                      std::string(attribute_type_name(a.kind)) + " column, got " +
                                      std::string(v.kind_name()));
  };
  switch (a.kind) {
    case attribute_kind::string_:
    case attribute_kind::memo:
      return v.is_string() ? std::nullopt : expected("a string");
    case attribute_kind::integer:
    case attribute_kind::bigint:
      return v.is_int() ? std::nullopt : expected("an integer");
    case attribute_kind::boolean:
      return v.is_bool() ? std::nullopt : expected("a boolean");
    case attribute_kind::decimal:
      return v.is_number() ? std::nullopt : expected("a number");
    case attribute_kind::datetime: {
      if (!v.is_string()) return expected("a UtcMs or ISO 8601 string");
      const auto ms = parse_datetime(v.as_string());
      if (!ms) return "expected a UtcMs or ISO 8601 date-time, got " + in_quotes(v.as_string());
      v = format_utc_ms(*ms);
      return std::nullopt;
    }
    case attribute_kind::uniqueidentifier:
      if (!v.is_string()) return expected("a GUID string");
      if (!is_guid(v.as_string())) return "expected a GUID, got " + in_quotes(v.as_string());
      v = canonical_guid(v.as_string());
      return std::nullopt;
    case attribute_kind::picklist:
    case attribute_kind::status:
    case attribute_kind::state: {
      if (!v.is_int()) return expected("an integer option value");
      if (std::find(a.options.begin(), a.options.end(), v.as_int()) == a.options.end())
        return std::to_string(v.as_int()) + " is not one of the options (" + describe(a) + ")";
      return std::nullopt;
    }
    case attribute_kind::lookup:
    case attribute_kind::owner:
      // Any string: predecessor seeds point lookups at tables the emulator does not have
      // (`"_medx_campaignid_value": "alf-q2-davis"`); GUIDs are canonicalised.
      if (!v.is_string()) return expected("a string (GUID)");
      if (is_guid(v.as_string())) v = canonical_guid(v.as_string());
      return std::nullopt;
  }
  return std::nullopt;
}

void fail_column(std::string_view file, const std::string& where, std::string_view property,
                 std::string_view problem) {
  fail(file, where + ": column " + in_quotes(property) + ": " + std::string(problem));
}

row checked_row(const table_def& t, const json::object& values, const std::string& file,
                const std::string& where) {
  row r;
  for (const auto& [property, value] : values) {
    const auto* column = t.property(property);
    if (!column) {
      std::string hint;
      if (const auto* a = t.attribute(property); a && a->is_lookup())
        hint = " (a lookup is written " + in_quotes(a->property_name()) + ")";
      fail(file, where + ": unknown column " + in_quotes(property) + " for table " +
                     in_quotes(t.logical_name) + hint);
    }
    json::value v = value;
    if (const auto problem = check_value(*column, v)) fail_column(file, where, property, *problem);
    r.insert_or_assign(property, std::move(v));
  }
  return r;
}

}  // namespace opencloser::emulator::seed_detail
