#include "emulator/seed.hpp"

// Seeds are read in three steps: each document is parsed and merged into one accumulated
// seed (shape errors and merge conflicts surface here, naming the document at fault); the
// merged tables are then turned into the schema; finally explicit rows, `generate` templates
// and queue-item imports are type-checked against that schema and placed, in that order.
// Every accumulated item remembers the document it came from, so a validation error on the
// merged seed still names the right file.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include <date/date.h>

#include "actors/common/ids.hpp"
#include "actors/common/utc_ms.hpp"
#include "adapters/fixtures/fixture_loader.hpp"
#include "adapters/mapping/mapping_artifact.hpp"
#include "messages/enums.hpp"

namespace opencloser::emulator {

namespace {

constexpr std::string_view seed_schema_version = "opencloser-emulator-seed-v1";
constexpr std::string_view first_createdon = "2026-01-01T00:00:00.000Z";
/// A bound on `generate.count` so a typo (an extra zero or three) fails clearly instead of
/// exhausting memory.
constexpr std::int64_t max_generate_count = 10'000'000;

// ---------------------------------------------------------------------------------------
// Errors and JSON shape checks

[[noreturn]] void fail(std::string_view file, std::string_view detail) {
  throw seed_error("emulator seed '" + std::string(file) + "': " + std::string(detail));
}

std::string in_quotes(std::string_view s) {
  return "'" + std::string(s) + "'";
}

/// Keys starting with `_` are comments (`_comment`, `_meta`) in every object of a seed except
/// rows and templates, where `_<c>_value` is a lookup column.
bool is_comment_key(std::string_view key) {
  return key.starts_with('_');
}

const json::object& expect_object(const json::value& v, std::string_view file,
                                  const std::string& where) {
  if (!v.is_object()) fail(file, where + " must be an object, not " + std::string(v.kind_name()));
  return v.as_object();
}

const json::array& expect_array(const json::value& v, std::string_view file,
                                const std::string& where) {
  if (!v.is_array()) fail(file, where + " must be an array, not " + std::string(v.kind_name()));
  return v.as_array();
}

const std::string& expect_string(const json::value& v, std::string_view file,
                                 const std::string& where) {
  if (!v.is_string() || v.as_string().empty())
    fail(file, where + " must be a non-empty string, not " +
                   (v.is_string() ? std::string("an empty one") : std::string(v.kind_name())));
  return v.as_string();
}

bool expect_bool(const json::value& v, std::string_view file, const std::string& where) {
  if (!v.is_bool()) fail(file, where + " must be a boolean, not " + std::string(v.kind_name()));
  return v.as_bool();
}

std::int64_t expect_int(const json::value& v, std::int64_t minimum, std::string_view file,
                        const std::string& where) {
  if (!v.is_int() || v.as_int() < minimum)
    fail(file, where + " must be an integer >= " + std::to_string(minimum) + ", not " +
                   (v.is_int() ? std::to_string(v.as_int()) : std::string(v.kind_name())));
  return v.as_int();
}

/// Rejects keys outside `known` (a typo must not be silently ignored); `_` keys are comments.
void check_keys(const json::object& obj, std::initializer_list<std::string_view> known,
                std::string_view file, const std::string& where) {
  for (const auto& [key, value] : obj) {
    if (is_comment_key(key) || std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (const auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    fail(file, where + ": unknown key " + in_quotes(key) + " (expected " + list + ")");
  }
}

/// Dataverse logical and entity-set names are lower-case identifiers; insisting on that
/// catches `Account` or `acme-phone` before a query silently misses.
bool is_logical_name(std::string_view name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

const std::string& expect_logical_name(const json::value& v, std::string_view file,
                                       const std::string& where) {
  const auto& name = expect_string(v, file, where);
  if (!is_logical_name(name))
    fail(file, where + ": " + in_quotes(name) +
                   " is not a logical name (lower-case letters, digits and '_', starting "
                   "with a letter)");
  return name;
}

void check_logical_name(const std::string& name, std::string_view file, const std::string& what) {
  if (!is_logical_name(name))
    fail(file, what + " " + in_quotes(name) +
                   " is not a logical name (lower-case letters, digits and '_', starting "
                   "with a letter)");
}

// ---------------------------------------------------------------------------------------
// Column definitions and values

attribute_def make_attribute(std::string name, attribute_kind kind,
                             std::vector<std::int64_t> options = {},
                             std::vector<std::string> targets = {}) {
  attribute_def a;
  a.logical_name = std::move(name);
  a.kind = kind;
  a.options = std::move(options);
  a.targets = std::move(targets);
  return a;
}

bool same_definition(const attribute_def& a, const attribute_def& b) {
  auto sorted = [](auto v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  return a.kind == b.kind && a.global_options == b.global_options &&
         sorted(a.options) == sorted(b.options) && sorted(a.targets) == sorted(b.targets);
}

/// `Picklist [0, 1]`, `Lookup -> account`, `String`: for conflict messages.
std::string describe(const attribute_def& a) {
  std::string out(attribute_type_name(a.kind));
  if (a.is_option_set()) {
    out += a.global_options ? " (global) [" : " [";
    for (std::size_t i = 0; i < a.options.size(); ++i)
      out += (i ? ", " : "") + std::to_string(a.options[i]);
    out += "]";
  }
  if (a.is_lookup()) {
    out += " -> ";
    for (std::size_t i = 0; i < a.targets.size(); ++i) out += (i ? "," : "") + a.targets[i];
  }
  return out;
}

// date::parse, once inlined here, trips g++ 12's maybe-uninitialized analysis inside
// date.h (a seconds temporary); the warning is in the library's code, not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
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
#pragma GCC diagnostic pop

/// Checks `v` against the column and normalises it in place (canonical GUIDs, DateTime as
/// UtcMs); the error detail when it does not fit. Null fits every column.
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

bool is_numeric_kind(attribute_kind kind) {
  switch (kind) {
    case attribute_kind::integer:
    case attribute_kind::bigint:
    case attribute_kind::decimal:
    case attribute_kind::picklist:
    case attribute_kind::status:
    case attribute_kind::state:
      return true;
    default:
      return false;
  }
}

std::string metadata_id(std::string_view name) {
  return uuid_v5(opencloser_uuid_namespace, "opencloser:metadata:" + std::string(name));
}

// ---------------------------------------------------------------------------------------
// Built-in tables

void add_column(table_def& t, attribute_def a) {
  auto name = a.logical_name;
  t.attributes.insert_or_assign(std::move(name), std::move(a));
}

table_def make_table(std::string logical, std::string set, std::string primary_id,
                     std::optional<std::string> primary_name) {
  table_def t;
  t.logical_name = std::move(logical);
  t.entity_set_name = std::move(set);
  t.primary_id = std::move(primary_id);
  t.primary_name = std::move(primary_name);
  add_column(t, make_attribute(t.primary_id, attribute_kind::uniqueidentifier));
  add_column(t, make_attribute("createdon", attribute_kind::datetime));
  add_column(t, make_attribute("modifiedon", attribute_kind::datetime));
  add_column(t, make_attribute("versionnumber", attribute_kind::bigint));
  add_column(t, make_attribute("ownerid", attribute_kind::owner, {}, {"systemuser", "team"}));
  return t;
}

table_def make_activity(std::string logical, std::string set,
                        std::vector<std::int64_t> status_options) {
  auto t = make_table(std::move(logical), std::move(set), "activityid", "subject");
  t.is_activity = true;
  add_column(t, make_attribute("subject", attribute_kind::string_));
  add_column(t, make_attribute("description", attribute_kind::memo));
  add_column(t, make_attribute("actualstart", attribute_kind::datetime));
  add_column(t, make_attribute("actualend", attribute_kind::datetime));
  add_column(t, make_attribute("scheduledend", attribute_kind::datetime));
  add_column(t, make_attribute("directioncode", attribute_kind::boolean));
  add_column(t, make_attribute("phonenumber", attribute_kind::string_));
  add_column(t, make_attribute("regardingobjectid", attribute_kind::lookup));
  add_column(t, make_attribute("statecode", attribute_kind::state, {0, 1, 2}));
  add_column(t, make_attribute("statuscode", attribute_kind::status, std::move(status_options)));
  return t;
}

/// Metadata ids and the regarding targets depend on the final set of tables and columns.
void finalize(schema& s) {
  std::vector<std::string> regarding_targets;
  for (const auto& [name, t] : s.tables)
    if (t.activity_enabled) regarding_targets.push_back(name);
  for (auto& [name, t] : s.tables) {
    t.metadata_id = metadata_id(name);
    for (auto& [column, a] : t.attributes) {
      a.metadata_id = metadata_id(name + "." + column);
      if (t.is_activity && column == "regardingobjectid") a.targets = regarding_targets;
    }
  }
}

// ---------------------------------------------------------------------------------------
// The merged seed, before validation

template <class T>
struct sourced {
  T value;
  std::string file;
};

struct table_decl {
  std::string file;  ///< the first document declaring the table
  std::optional<sourced<std::string>> entity_set_name, primary_id, primary_name;
  std::optional<sourced<bool>> activity_enabled;
  std::vector<sourced<attribute_def>> attributes;  ///< declaration order, unique names
};

struct row_decl {
  std::string file;
  std::size_t index;  ///< position in its document's array
  const json::object* values;
};

struct generate_decl {
  std::string file;
  std::size_t index;  ///< position in the merged `generate` list
  std::string table;
  std::int64_t count;
  const json::object* templ;
};

struct import_decl {
  std::string file;
  std::size_t index;
  std::filesystem::path queue_file;
  std::filesystem::path mapping_file;
  std::optional<json::value> campaign;
  std::optional<json::value> next_attempt_at;
};

/// Where a placed row came from, for duplicate-id messages (compact: 100,000 generated rows
/// share one source).
struct row_origin {
  std::size_t source;
  std::size_t index;
};

struct placed_table {
  const table_def* def = nullptr;
  std::vector<row>* rows = nullptr;
  /// Keys view the primary-id strings inside the stored rows, sparing 100,000 copies: a
  /// row's map nodes never move (moving a std::map moves its tree, not its nodes).
  std::unordered_map<std::string_view, row_origin> ids;
};
// …and a growing vector moves its rows rather than copying them only if the move cannot throw.
static_assert(std::is_nothrow_move_constructible_v<row>);

struct row_source {
  std::string file;
  std::string label;  ///< e.g. `table 'account'`, `generate[0] (table 'x')`
};

// ---------------------------------------------------------------------------------------
// `generate` templates

struct template_piece {
  enum class kind { literal, index, guid } what = kind::literal;
  std::string text;  ///< literal text
  int width = 0;     ///< `{{n:W}}` padding
};

struct template_slot {
  std::string property;
  const attribute_def* column = nullptr;
  std::optional<json::value> constant;  ///< no placeholders: checked once
  std::vector<template_piece> pieces;
  bool whole_index = false;  ///< exactly `{{n}}`/`{{n:W}}` in a numeric column → integer
};

std::vector<template_piece> parse_placeholders(std::string_view text, std::string_view file,
                                               const std::string& where) {
  std::vector<template_piece> pieces;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      pieces.push_back({template_piece::kind::literal, std::string(text.substr(pos)), 0});
      break;
    }
    if (open > pos)
      pieces.push_back(
          {template_piece::kind::literal, std::string(text.substr(pos, open - pos)), 0});
    const auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos)
      fail(file, where + ": unterminated placeholder in " + in_quotes(text));
    const auto inner = text.substr(open + 2, close - open - 2);
    if (inner == "n") {
      pieces.push_back({template_piece::kind::index, {}, 0});
    } else if (inner == "guid") {
      pieces.push_back({template_piece::kind::guid, {}, 0});
    } else if (inner.starts_with("n:")) {
      int width = 0;
      const auto digits = inner.substr(2);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), width);
      if (ec != std::errc() || end != digits.data() + digits.size() || width < 1 || width > 32)
        fail(file, where + ": placeholder {{" + std::string(inner) +
                       "}} needs a width from 1 to 32, as in {{n:4}}");
      pieces.push_back({template_piece::kind::index, {}, width});
    } else {
      fail(file, where + ": unknown placeholder {{" + std::string(inner) +
                     "}} (known: {{n}}, {{n:W}}, {{guid}})");
    }
    pos = close + 2;
  }
  return pieces;
}

void append_index(std::string& out, std::int64_t n, int width) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  const auto length = static_cast<int>(end - digits);
  if (width > length) out.append(static_cast<std::size_t>(width - length), '0');
  out.append(digits, end);
}

// ---------------------------------------------------------------------------------------
// The builder

class seed_builder {
 public:
  void add(const seed_document& document) {
    const auto& file = document.name;
    const auto& root = expect_object(document.doc, file, "the seed");
    if (const auto* version = document.doc.find("schema_version")) {
      if (!version->is_string() || version->as_string() != seed_schema_version)
        fail(file, "unsupported schema_version " +
                       (version->is_string() ? in_quotes(version->as_string())
                                             : std::string(version->kind_name())) +
                       " (expected " + in_quotes(seed_schema_version) + ")");
      add_full(document, root);
    } else {
      add_bare_rows(file, root);
    }
  }

  seed_data finish() && {
    build_schema();
    place_rows();
    place_generated();
    place_imports();
    if (out_.clients.empty())
      out_.clients.push_back({std::string(default_client_id), std::string(default_client_secret)});
    return std::move(out_);
  }

 private:
  // ----- parsing and merging -----

  void add_full(const seed_document& document, const json::object& root) {
    const auto& file = document.name;
    check_keys(root,
               {"schema_version", "auth", "dop_hint", "tables", "rows", "generate",
                "queue_item_imports", "throttling"},
               file, "the seed");
    for (const auto& [key, value] : root) {
      if (key == "auth")
        add_auth(file, value);
      else if (key == "dop_hint")
        out_.dop_hint = expect_int(value, 1, file, "dop_hint");
      else if (key == "throttling")
        add_throttling(file, value);
      else if (key == "tables")
        add_tables(file, value);
      else if (key == "rows") {
        for (const auto& [table, rows] : expect_object(value, file, "rows"))
          if (!is_comment_key(table)) add_rows(file, table, rows, "rows." + table);
      } else if (key == "generate")
        add_generate(file, value);
      else if (key == "queue_item_imports")
        add_imports(document, value);
    }
  }

  /// Predecessor style: `{"account": [...], "medx_callqueueitem": [...], "_comment": "..."}`.
  void add_bare_rows(const std::string& file, const json::object& root) {
    for (const auto& [key, value] : root) {
      if (is_comment_key(key)) continue;
      if (!value.is_array())
        fail(file,
             "has no schema_version, so it is read as bare rows (table -> array of "
             "rows), but " +
                 in_quotes(key) + " is " + std::string(value.kind_name()) +
                 "; a full seed needs \"schema_version\": \"" + std::string(seed_schema_version) +
                 "\"");
      add_rows(file, key, value, key);
    }
  }

  void add_auth(const std::string& file, const json::value& value) {
    const auto& auth = expect_object(value, file, "auth");
    check_keys(auth, {"tenant_id", "token_lifetime_s", "required", "clients"}, file, "auth");
    for (const auto& [key, v] : auth) {
      if (key == "tenant_id")
        out_.tenant_id = expect_string(v, file, "auth.tenant_id");
      else if (key == "token_lifetime_s")
        out_.token_lifetime_s = expect_int(v, 1, file, "auth.token_lifetime_s");
      else if (key == "required")
        out_.auth_required = expect_bool(v, file, "auth.required");
      else if (key == "clients") {
        const auto& clients = expect_array(v, file, "auth.clients");
        for (std::size_t i = 0; i < clients.size(); ++i) {
          const auto where = "auth.clients[" + std::to_string(i) + "]";
          const auto& client = expect_object(clients[i], file, where);
          check_keys(client, {"client_id", "client_secret"}, file, where);
          for (const char* required : {"client_id", "client_secret"})
            if (!clients[i].contains(required))
              fail(file, where + ": missing " + in_quotes(required));
          out_.clients.push_back(
              {expect_string(*clients[i].find("client_id"), file, where + ".client_id"),
               expect_string(*clients[i].find("client_secret"), file, where + ".client_secret")});
        }
      }
    }
  }

  void add_throttling(const std::string& file, const json::value& value) {
    const auto& limits = expect_object(value, file, "throttling");
    check_keys(limits, {"requests", "window_s", "concurrency", "exec_ms"}, file, "throttling");
    for (const auto& [key, v] : limits) {
      if (is_comment_key(key)) continue;
      const auto n = expect_int(v, 0, file, "throttling." + key);
      if (key == "requests")
        out_.throttling.requests = n;
      else if (key == "window_s")
        out_.throttling.window_s = n;
      else if (key == "concurrency")
        out_.throttling.concurrency = n;
      else
        out_.throttling.exec_ms = n;
    }
  }

  void add_tables(const std::string& file, const json::value& value) {
    for (const auto& [name, entry] : expect_object(value, file, "tables")) {
      if (is_comment_key(name)) continue;
      const auto where = "tables." + name;
      check_logical_name(name, file, "table name");
      const auto& fields = expect_object(entry, file, where);
      check_keys(
          fields,
          {"entity_set_name", "primary_id", "primary_name", "activity_enabled", "attributes"}, file,
          where);
      auto& decl = tables_[name];
      if (decl.file.empty()) decl.file = file;
      for (const auto& [key, v] : fields) {
        const auto field_where = where + "." + key;
        if (key == "entity_set_name")
          merge_field(decl.entity_set_name, expect_logical_name(v, file, field_where), file,
                      field_where);
        else if (key == "primary_id")
          merge_field(decl.primary_id, expect_logical_name(v, file, field_where), file,
                      field_where);
        else if (key == "primary_name") {
          if (!v.is_null())
            merge_field(decl.primary_name, expect_logical_name(v, file, field_where), file,
                        field_where);
        } else if (key == "activity_enabled")
          merge_field(decl.activity_enabled, expect_bool(v, file, field_where), file, field_where);
        else if (key == "attributes")
          for (const auto& [column, type] : expect_object(v, file, field_where)) {
            if (is_comment_key(column)) continue;
            merge_attribute(decl, parse_attribute(column, type, file, field_where + "." + column),
                            file, field_where + "." + column);
          }
      }
    }
  }

  template <class T>
  static void merge_field(std::optional<sourced<T>>& into, const T& value, const std::string& file,
                          const std::string& where) {
    if (!into) {
      into = sourced<T>{value, file};
      return;
    }
    if (into->value == value) return;
    const auto show = [](const T& v) {
      if constexpr (std::is_same_v<T, bool>)
        return std::string(v ? "true" : "false");
      else
        return in_quotes(v);
    };
    fail(file, where + ": " + show(value) + " conflicts with " + show(into->value) +
                   " declared in '" + into->file + "'");
  }

  static attribute_def parse_attribute(const std::string& column, const json::value& type,
                                       const std::string& file, const std::string& where) {
    check_logical_name(column, file, "attribute name");
    const std::string known =
        " (known: String, Memo, Integer, Boolean, DateTime, Decimal, Uniqueidentifier, or an "
        "object for Picklist, Status, State, Lookup)";
    if (type.is_string()) {
      const auto kind = attribute_kind_from_seed(type.as_string());
      if (!kind)
        fail(file, where + ": unknown attribute type " + in_quotes(type.as_string()) + known);
      if (*kind == attribute_kind::lookup)
        fail(file, where +
                       ": a Lookup needs its targets: {\"type\": \"Lookup\", \"targets\": "
                       "[\"<table>\"]}");
      if (*kind == attribute_kind::picklist || *kind == attribute_kind::status ||
          *kind == attribute_kind::state)
        fail(file, where + ": a " + type.as_string() + " needs its options: {\"type\": \"" +
                       type.as_string() + "\", \"options\": [...]}");
      return make_attribute(column, *kind);
    }
    const auto& spec = expect_object(type, file, where);
    if (!type.contains("type")) fail(file, where + ": missing 'type'");
    const auto& name = expect_string(*type.find("type"), file, where + ".type");
    const auto kind = attribute_kind_from_seed(name);
    if (!kind) fail(file, where + ": unknown attribute type " + in_quotes(name) + known);
    attribute_def a = make_attribute(column, *kind);
    if (a.is_option_set()) {
      check_keys(spec, {"type", "options", "global"}, file, where);
      if (!type.contains("options")) fail(file, where + ": a " + name + " needs 'options'");
      const auto& options = expect_array(*type.find("options"), file, where + ".options");
      if (options.empty()) fail(file, where + ".options must not be empty");
      for (std::size_t i = 0; i < options.size(); ++i) {
        const auto n = options[i].is_int() ? options[i].as_int() : 0;
        if (!options[i].is_int())
          fail(file, where + ".options[" + std::to_string(i) + "] must be an integer, not " +
                         std::string(options[i].kind_name()));
        if (std::find(a.options.begin(), a.options.end(), n) != a.options.end())
          fail(file, where + ".options: " + std::to_string(n) + " appears twice");
        a.options.push_back(n);
      }
      if (const auto* global = type.find("global"))
        a.global_options = expect_bool(*global, file, where + ".global");
    } else if (a.kind == attribute_kind::lookup) {
      check_keys(spec, {"type", "targets"}, file, where);
      if (!type.contains("targets")) fail(file, where + ": a Lookup needs 'targets'");
      const auto& targets = expect_array(*type.find("targets"), file, where + ".targets");
      if (targets.empty()) fail(file, where + ".targets must not be empty");
      for (std::size_t i = 0; i < targets.size(); ++i)
        a.targets.push_back(
            expect_logical_name(targets[i], file, where + ".targets[" + std::to_string(i) + "]"));
    } else {
      check_keys(spec, {"type"}, file, where);
    }
    return a;
  }

  static void merge_attribute(table_decl& decl, attribute_def a, const std::string& file,
                              const std::string& where) {
    for (const auto& existing : decl.attributes) {
      if (existing.value.logical_name != a.logical_name) continue;
      if (!same_definition(existing.value, a))
        fail(file, where + ": declared as " + describe(a) + " but as " + describe(existing.value) +
                       " in '" + existing.file + "'");
      return;
    }
    decl.attributes.push_back({std::move(a), file});
  }

  void add_rows(const std::string& file, const std::string& table, const json::value& value,
                const std::string& where) {
    const auto& rows = expect_array(value, file, where);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = expect_object(rows[i], file, where + "[" + std::to_string(i) + "]");
      rows_[table].push_back({file, i, &r});
    }
  }

  void add_generate(const std::string& file, const json::value& value) {
    const auto& entries = expect_array(value, file, "generate");
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto where = "generate[" + std::to_string(i) + "]";
      const auto& entry = expect_object(entries[i], file, where);
      check_keys(entry, {"table", "count", "template"}, file, where);
      for (const char* required : {"table", "count", "template"})
        if (!entries[i].contains(required)) fail(file, where + ": missing " + in_quotes(required));
      const auto count = expect_int(*entries[i].find("count"), 0, file, where + ".count");
      if (count > max_generate_count)
        fail(file, where + ".count " + std::to_string(count) + " is above the limit of " +
                       std::to_string(max_generate_count));
      generate_.push_back(
          {file, i, expect_string(*entries[i].find("table"), file, where + ".table"), count,
           &expect_object(*entries[i].find("template"), file, where + ".template")});
    }
  }

  void add_imports(const seed_document& document, const json::value& value) {
    const auto& file = document.name;
    const auto& entries = expect_array(value, file, "queue_item_imports");
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto where = "queue_item_imports[" + std::to_string(i) + "]";
      const auto& e = entries[i];
      check_keys(expect_object(e, file, where), {"file", "mapping", "campaign", "next_attempt_at"},
                 file, where);
      for (const char* required : {"file", "mapping"})
        if (!e.contains(required)) fail(file, where + ": missing " + in_quotes(required));
      import_decl decl{file, i, {}, {}, {}, {}};
      decl.queue_file = (document.base_dir / expect_string(*e.find("file"), file, where + ".file"))
                            .lexically_normal();
      decl.mapping_file =
          (document.base_dir / expect_string(*e.find("mapping"), file, where + ".mapping"))
              .lexically_normal();
      if (const auto* campaign = e.find("campaign")) {
        if (!campaign->is_null() && !campaign->is_string())
          fail(file, where + ".campaign must be a string or null, not " +
                         std::string(campaign->kind_name()));
        decl.campaign = *campaign;
      }
      if (const auto* next = e.find("next_attempt_at")) {
        if (!next->is_null() && !(next->is_string() && parse_utc_ms(next->as_string())))
          fail(file, where + ".next_attempt_at must be a UtcMs string or null");
        decl.next_attempt_at = *next;
      }
      imports_.push_back(std::move(decl));
    }
  }

  // ----- the schema -----

  void build_schema() {
    out_.tables = builtin_schema();
    auto& tables = out_.tables.tables;
    for (const auto& [name, decl] : tables_) {
      auto it = tables.find(name);
      if (it != tables.end()) {
        check_builtin(it->second, decl);
      } else {
        auto t =
            make_table(name, decl.entity_set_name ? decl.entity_set_name->value : name + "s",
                       decl.primary_id ? decl.primary_id->value : name + "id",
                       decl.primary_name ? std::optional(decl.primary_name->value) : std::nullopt);
        t.activity_enabled = decl.activity_enabled && decl.activity_enabled->value;
        it = tables.emplace(name, std::move(t)).first;
      }
      auto& t = it->second;
      for (const auto& a : decl.attributes) {
        const auto where = "tables." + name + ".attributes." + a.value.logical_name;
        if (const auto* existing = t.attribute(a.value.logical_name)) {
          if (!same_definition(*existing, a.value))
            fail(a.file, where + ": declared as " + describe(a.value) + " but table " +
                             in_quotes(name) + " already has it as " + describe(*existing));
          continue;
        }
        add_column(t, a.value);
      }
      if (t.primary_name) {
        const auto* column = t.attribute(*t.primary_name);
        if (!column) {
          add_column(t, make_attribute(*t.primary_name, attribute_kind::string_));
        } else if (column->kind != attribute_kind::string_) {
          fail(decl.primary_name ? decl.primary_name->file : decl.file,
               "tables." + name + ".primary_name: " + in_quotes(*t.primary_name) + " is a " +
                   describe(*column) + " column; a primary name must be a String");
        }
      }
    }
    // Two tables behind one entity set would make the set's URL ambiguous.
    std::map<std::string_view, std::string_view> by_set;
    for (const auto& [name, t] : tables) {
      const auto [it, fresh] = by_set.emplace(t.entity_set_name, name);
      if (!fresh) {
        const auto* decl = find_decl(name) ? find_decl(name) : find_decl(it->second);
        fail(decl ? decl->file : "", "tables " + in_quotes(it->second) + " and " + in_quotes(name) +
                                         " share the entity set " + in_quotes(t.entity_set_name));
      }
    }
    finalize(out_.tables);
  }

  const table_decl* find_decl(std::string_view name) const {
    const auto it = tables_.find(name);
    return it == tables_.end() ? nullptr : &it->second;
  }

  /// A `tables` entry naming a built-in table only adds attributes; restating a built-in
  /// property is fine, changing it is not.
  static void check_builtin(const table_def& t, const table_decl& decl) {
    const auto reject = [&](const std::string& file, std::string_view key, const std::string& value,
                            const std::string& builtin) {
      if (value != builtin)
        fail(file, "tables." + t.logical_name + "." + std::string(key) + ": " +
                       in_quotes(t.logical_name) +
                       " is a built-in table (only attributes can be added); its " +
                       std::string(key) + " is " + builtin + ", not " + value);
    };
    if (decl.entity_set_name)
      reject(decl.entity_set_name->file, "entity_set_name", in_quotes(decl.entity_set_name->value),
             in_quotes(t.entity_set_name));
    if (decl.primary_id)
      reject(decl.primary_id->file, "primary_id", in_quotes(decl.primary_id->value),
             in_quotes(t.primary_id));
    if (decl.primary_name)
      reject(decl.primary_name->file, "primary_name", in_quotes(decl.primary_name->value),
             in_quotes(t.primary_name.value_or("")));
    if (decl.activity_enabled)
      reject(decl.activity_enabled->file, "activity_enabled",
             decl.activity_enabled->value ? "true" : "false",
             t.activity_enabled ? "true" : "false");
  }

  // ----- rows -----

  placed_table& placed(const std::string& file, const std::string& table,
                       const std::string& where) {
    auto it = placed_.find(table);
    if (it != placed_.end()) return it->second;
    const auto* def = out_.tables.by_logical_name(table);
    if (!def)
      fail(file, where + ": unknown table " + in_quotes(table) +
                     " (declare it under 'tables' in this or another seed)");
    placed_table p;
    p.def = def;
    p.rows = &out_.rows[table];
    return placed_.emplace(table, std::move(p)).first->second;
  }

  std::size_t add_source(std::string file, std::string label) {
    sources_.push_back({std::move(file), std::move(label)});
    return sources_.size() - 1;
  }

  std::string origin_text(const row_origin& o) const {
    const auto& s = sources_[o.source];
    return s.label + " row " + std::to_string(o.index) + " in '" + s.file + "'";
  }

  /// Type-checks an explicit row (an object of the seed or an import) into a stored row.
  static row checked_row(const table_def& t, const json::object& values, const std::string& file,
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
      if (const auto problem = check_value(*column, v))
        fail(file, where + ": column " + in_quotes(property) + ": " + *problem);
      r.insert_or_assign(property, std::move(v));
    }
    return r;
  }

  /// Gives the row its defaults (deterministic primary id, `createdon`) and stores it; a
  /// primary id already in the table is an error.
  void store(placed_table& p, row r, std::size_t source, std::size_t index) {
    static const unix_ms first_createdon_ms = *parse_utc_ms(first_createdon);
    const auto& t = *p.def;
    const std::size_t position = p.rows->size();
    auto id = r.find(t.primary_id);
    if (id == r.end() || id->second.is_null())
      r.insert_or_assign(
          t.primary_id, uuid_v5(opencloser_uuid_namespace, "opencloser:" + t.logical_name +
                                                               ":row:" + std::to_string(position)));
    auto created = r.find("createdon");
    if (created == r.end() || created->second.is_null())
      r.insert_or_assign("createdon",
                         format_utc_ms(first_createdon_ms + static_cast<unix_ms>(position)));
    const auto& key = r.find(t.primary_id)->second.as_string();
    const auto [it, fresh] = p.ids.try_emplace(key, row_origin{source, index});
    if (!fresh) {
      const row_origin here{source, index};
      fail(sources_[source].file, origin_text(here) + ": duplicate primary id " + in_quotes(key) +
                                      " (already used by " + origin_text(it->second) + ")");
    }
    p.rows->push_back(std::move(r));
  }

  void place_rows() {
    for (const auto& [table, rows] : rows_) {
      for (const auto& decl : rows) {
        const auto label = "table " + in_quotes(table);
        auto& p = placed(decl.file, table, "rows");
        const auto source = add_source(decl.file, label);
        store(p,
              checked_row(*p.def, *decl.values, decl.file,
                          label + " row " + std::to_string(decl.index)),
              source, decl.index);
      }
    }
  }

  void place_generated() {
    for (const auto& g : generate_) {
      const auto label =
          "generate[" + std::to_string(g.index) + "] (table " + in_quotes(g.table) + ")";
      auto& p = placed(g.file, g.table, label);
      const auto& t = *p.def;
      const auto slots = compile_template(t, *g.templ, g.file, label + " template");
      const auto source = add_source(g.file, label);
      const auto guid_prefix = "opencloser:" + g.table + ":";
      p.rows->reserve(p.rows->size() + static_cast<std::size_t>(g.count));
      p.ids.reserve(p.ids.size() + static_cast<std::size_t>(g.count));
      std::string text, guid, guid_name;
      for (std::int64_t n = 0; n < g.count; ++n) {
        guid.clear();
        row r;
        for (const auto& slot : slots) {
          if (slot.constant) {
            r.emplace_hint(r.end(), slot.property, *slot.constant);
            continue;
          }
          json::value v;
          if (slot.whole_index) {
            v = n;
          } else {
            text.clear();
            for (const auto& piece : slot.pieces) {
              switch (piece.what) {
                case template_piece::kind::literal:
                  text += piece.text;
                  break;
                case template_piece::kind::index:
                  append_index(text, n, piece.width);
                  break;
                case template_piece::kind::guid:
                  if (guid.empty()) {
                    guid_name = guid_prefix;
                    append_index(guid_name, n, 0);
                    guid = uuid_v5(opencloser_uuid_namespace, guid_name);
                  }
                  text += guid;
                  break;
              }
            }
            v = text;
          }
          if (const auto problem = check_value(*slot.column, v))
            fail(g.file, label + " row " + std::to_string(n) + ": column " +
                             in_quotes(slot.property) + ": " + *problem);
          r.emplace_hint(r.end(), slot.property, std::move(v));
        }
        store(p, std::move(r), source, static_cast<std::size_t>(n));
      }
    }
  }

  /// One slot per template property, in property order so rows are built by appending.
  static std::vector<template_slot> compile_template(const table_def& t, const json::object& templ,
                                                     const std::string& file,
                                                     const std::string& where) {
    std::map<std::string, template_slot> by_property;  // last of duplicate keys wins
    for (const auto& [property, value] : templ) {
      const auto* column = t.property(property);
      if (!column)
        fail(file, where + ": unknown column " + in_quotes(property) + " for table " +
                       in_quotes(t.logical_name));
      template_slot slot;
      slot.property = property;
      slot.column = column;
      const auto column_where = where + ": column " + in_quotes(property);
      std::vector<template_piece> pieces;
      if (value.is_string()) pieces = parse_placeholders(value.as_string(), file, column_where);
      const bool has_placeholder = std::any_of(
          pieces.begin(), pieces.end(),
          [](const template_piece& piece) { return piece.what != template_piece::kind::literal; });
      if (!has_placeholder) {
        json::value v = value;
        if (const auto problem = check_value(*column, v))
          fail(file, column_where + ": " + *problem);
        slot.constant = std::move(v);
      } else {
        slot.whole_index = pieces.size() == 1 && pieces[0].what == template_piece::kind::index &&
                           is_numeric_kind(column->kind);
        slot.pieces = std::move(pieces);
      }
      by_property.insert_or_assign(property, std::move(slot));
    }
    std::vector<template_slot> slots;
    for (auto& [property, slot] : by_property) slots.push_back(std::move(slot));
    return slots;
  }

  // ----- queue-item imports -----

  void place_imports() {
    for (const auto& imp : imports_) {
      const auto where =
          "queue_item_imports[" + std::to_string(imp.index) + "] (" + imp.queue_file.string() + ")";
      queue_item item;
      mapping_artifact mapping;
      try {
        item = load_queue_item_file(imp.queue_file);
      } catch (const std::exception& e) {
        fail(imp.file, where + ": " + e.what());
      }
      try {
        mapping = load_mapping_artifact(imp.mapping_file);
      } catch (const std::exception& e) {
        fail(imp.file,
             where + ": mapping " + in_quotes(imp.mapping_file.string()) + ": " + e.what());
      }
      import_item(imp, where, item, mapping);
    }
  }

  void import_item(const import_decl& imp, const std::string& where, const queue_item& item,
                   const mapping_artifact& mapping) {
    const auto* entity = mapping.entity("queue_item");
    if (!entity) fail(imp.file, where + ": the mapping has no 'queue_item' entity");
    const auto* t = out_.tables.by_logical_name(entity->logical_name);
    if (!t)
      fail(imp.file, where + ": the mapping's queue_item table " + in_quotes(entity->logical_name) +
                         " is not declared by any seed");
    if (entity->entity_set_name && *entity->entity_set_name != t->entity_set_name)
      fail(imp.file, where + ": the mapping's queue_item entity set " +
                         in_quotes(*entity->entity_set_name) + " differs from the table's " +
                         in_quotes(t->entity_set_name));
    if (entity->primary_id && *entity->primary_id != t->primary_id)
      fail(imp.file, where + ": the mapping's queue_item primary id " +
                         in_quotes(*entity->primary_id) + " differs from the table's " +
                         in_quotes(t->primary_id));

    json::object values;
    values.emplace_back(
        t->primary_id,
        is_guid(item.queue_item_id)
            ? canonical_guid(item.queue_item_id)
            : uuid_v5(opencloser_uuid_namespace, "opencloser:queue_item:" + item.queue_item_id));
    // Fields the mapping does not name are skipped: an import fills what the mapping knows.
    const auto set = [&](std::string_view field_key, json::value v) -> bool {
      const auto* field = mapping.field(field_key);
      if (!field) return false;
      const auto* column = t->attribute(field->logical_name);
      if (!column)
        fail(imp.file, where + ": mapping field " + in_quotes(field_key) + " names column " +
                           in_quotes(field->logical_name) + ", which table " +
                           in_quotes(t->logical_name) + " does not have");
      values.emplace_back(column->property_name(), std::move(v));
      return true;
    };
    const auto text = [](const nullable<std::string>& s) {
      return s ? json::value(*s) : json::value(nullptr);
    };
    set("queue.phone", text(item.phone_number));
    set("queue.timezone", text(item.timezone));
    set("queue.attempt_count", item.attempt_count);
    set("queue.dnc", item.dnc_flag);
    if (mapping.field("queue.status")) {
      const auto key = "queue_status." + std::string(to_string(item.status));
      const auto* option = mapping.option(key);
      if (!option)
        fail(imp.file, where + ": the mapping has no option_sets entry " + in_quotes(key));
      set("queue.status", option->value);
    }
    if (imp.campaign) set("queue.campaign", *imp.campaign);
    if (imp.next_attempt_at) set("queue.next_attempt_at", *imp.next_attempt_at);
    const auto account_id =
        uuid_v5(opencloser_uuid_namespace, "opencloser:account:" + item.facility_name);
    if (set("queue.facility_account", account_id)) add_facility_account(imp, account_id, item);

    auto& p = placed(imp.file, t->logical_name, where);
    store(p, checked_row(*t, values, imp.file, where), add_source(imp.file, where), 0);
  }

  /// The facility's account, created by the first import naming it and reused after.
  void add_facility_account(const import_decl& imp, const std::string& account_id,
                            const queue_item& item) {
    const auto where = "queue_item_imports[" + std::to_string(imp.index) + "] account " +
                       in_quotes(item.facility_name);
    auto& accounts = placed(imp.file, "account", where);
    if (accounts.ids.contains(account_id)) return;
    row r;
    r.emplace("accountid", account_id);
    r.emplace("name", item.facility_name);
    store(accounts, std::move(r), add_source(imp.file, where), 0);
  }

  seed_data out_;
  std::map<std::string, table_decl, std::less<>> tables_;
  std::map<std::string, std::vector<row_decl>, std::less<>> rows_;
  std::vector<generate_decl> generate_;
  std::vector<import_decl> imports_;
  std::map<std::string, placed_table, std::less<>> placed_;
  std::vector<row_source> sources_;
};

std::string read_text(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    fail(file.string(), "not found or not a regular file");
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) fail(file.string(), "cannot be read");
  return text.str();
}

}  // namespace

schema builtin_schema() {
  schema s;
  auto account = make_table("account", "accounts", "accountid", "name");
  add_column(account, make_attribute("name", attribute_kind::string_));
  auto user = make_table("systemuser", "systemusers", "systemuserid", "fullname");
  add_column(user, make_attribute("fullname", attribute_kind::string_));
  add_column(user, make_attribute("isdisabled", attribute_kind::boolean));
  auto team = make_table("team", "teams", "teamid", "name");
  add_column(team, make_attribute("name", attribute_kind::string_));
  add_column(team, make_attribute("teamtype", attribute_kind::picklist, {0, 1}));  // owner, access
  for (auto* t : {&account, &user, &team}) s.tables.emplace(t->logical_name, std::move(*t));
  s.tables.emplace("phonecall", make_activity("phonecall", "phonecalls", {1, 2, 3, 4}));
  s.tables.emplace("task", make_activity("task", "tasks", {2, 3, 4, 5, 6, 7}));
  finalize(s);
  return s;
}

seed_data seeds_from_documents(const std::vector<seed_document>& documents) {
  seed_builder builder;
  for (const auto& document : documents) builder.add(document);
  return std::move(builder).finish();
}

seed_data load_seeds(const std::vector<std::filesystem::path>& files) {
  std::vector<seed_document> documents;
  documents.reserve(files.size());
  for (const auto& file : files) {
    seed_document document{file.string(), file.parent_path(), {}};
    try {
      document.doc = json::parse(read_text(file));
    } catch (const json::parse_error& e) {
      fail(document.name, std::string("not valid JSON (") + e.what() + ")");
    }
    documents.push_back(std::move(document));
  }
  return seeds_from_documents(documents);
}

}  // namespace opencloser::emulator
