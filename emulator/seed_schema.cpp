// The seed's tables: the built-in ones every emulator has, the `tables` declarations of each
// document merged into one (a conflicting redeclaration names both documents), and the final
// schema built from both.

#include <algorithm>
#include <optional>
#include <string_view>
#include <type_traits>

#include "actors/common/ids.hpp"
#include "emulator/seed_internal.hpp"

namespace opencloser::emulator {

namespace seed_detail {
namespace {

// ---------------------------------------------------------------------------------------
// Columns and tables

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

std::string metadata_id(std::string_view name) {
  return uuid_v5(opencloser_uuid_namespace, "opencloser:metadata:" + std::string(name));
}

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
// Declarations: parsing and merging

std::string shown(bool b) {
  return b ? "true" : "false";
}

template <class T>
void merge_field(std::optional<sourced<T>>& into, const T& value, const std::string& file,
                 const std::string& where) {
  if (!into) {
    into = sourced<T>{value, file};
    return;
  }
  if (into->value == value) return;
  const auto show = [](const T& v) {
    if constexpr (std::is_same_v<T, bool>)
      return shown(v);
    else
      return in_quotes(v);
  };
  fail(file, where + ": " + show(value) + " conflicts with " + show(into->value) +
                 " declared in '" + into->file + "'");
}

attribute_def parse_attribute(const std::string& column, const json::value& type,
                              const std::string& file, const std::string& where) {
  check_logical_name(column, file, "attribute name");
  const std::string known =
      " (known: String, Memo, Integer, Boolean, DateTime, Decimal, Uniqueidentifier, or an "
      "object for Picklist, Status, State, Lookup)";
  if (type.is_string()) {
    const auto kind = attribute_kind_from_seed(type.as_string());
    if (!kind)
      fail(file, where + ": unknown attribute type " + in_quotes(type.as_string()) + known);
    auto a = make_attribute(column, *kind);
    if (a.kind == attribute_kind::lookup)
      fail(file, where +
                     ": a Lookup needs its targets: {\"type\": \"Lookup\", \"targets\": "
                     "[\"<table>\"]}");
    if (a.is_option_set())
      fail(file, where + ": a " + type.as_string() + " needs its options: {\"type\": \"" +
                     type.as_string() + "\", \"options\": [...]}");
    return a;
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
      if (!options[i].is_int())
        fail_not(file, where + ".options[" + std::to_string(i) + "]", "an integer",
                 options[i].kind_name());
      const auto n = options[i].as_int();
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

void merge_attribute(table_decl& decl, attribute_def a, const std::string& file,
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

// ---------------------------------------------------------------------------------------
// The schema

/// A `tables` entry naming a built-in table only adds attributes; restating a built-in
/// property is fine, changing it is not.
void check_builtin(const table_def& t, const table_decl& decl) {
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
    reject(decl.activity_enabled->file, "activity_enabled", shown(decl.activity_enabled->value),
           shown(t.activity_enabled));
}

/// The declared table, or one created from its declaration with the naming defaults.
table_def& declared_table(schema& s, const std::string& name, const table_decl& decl) {
  auto it = s.tables.find(name);
  if (it != s.tables.end()) {
    check_builtin(it->second, decl);
    return it->second;
  }
  auto t = make_table(name, decl.entity_set_name ? decl.entity_set_name->value : name + "s",
                      decl.primary_id ? decl.primary_id->value : name + "id",
                      decl.primary_name ? std::optional(decl.primary_name->value) : std::nullopt);
  t.activity_enabled = decl.activity_enabled && decl.activity_enabled->value;
  return s.tables.emplace(name, std::move(t)).first->second;
}

void add_declared_columns(table_def& t, const std::string& name, const table_decl& decl) {
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

/// Two tables behind one entity set would make the set's URL ambiguous.
void check_entity_sets_unique(const schema& s, const table_decls& declared) {
  const auto find_decl = [&](std::string_view name) -> const table_decl* {
    const auto it = declared.find(name);
    return it == declared.end() ? nullptr : &it->second;
  };
  std::map<std::string_view, std::string_view> by_set;
  for (const auto& [name, t] : s.tables) {
    const auto [it, fresh] = by_set.emplace(t.entity_set_name, name);
    if (!fresh) {
      const auto* decl = find_decl(name) ? find_decl(name) : find_decl(it->second);
      fail(decl ? decl->file : "", "tables " + in_quotes(it->second) + " and " + in_quotes(name) +
                                       " share the entity set " + in_quotes(t.entity_set_name));
    }
  }
}

}  // namespace

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

void add_table_declarations(table_decls& into, const std::string& file, const json::value& tables) {
  for (const auto& [name, entry] : expect_object(tables, file, "tables")) {
    if (is_comment_key(name)) continue;
    const auto where = "tables." + name;
    check_logical_name(name, file, "table name");
    const auto& fields = expect_object(entry, file, where);
    check_keys(fields,
               {"entity_set_name", "primary_id", "primary_name", "activity_enabled", "attributes"},
               file, where);
    auto& decl = into[name];
    if (decl.file.empty()) decl.file = file;
    for (const auto& [key, v] : fields) {
      const auto field_where = where + "." + key;
      if (key == "entity_set_name")
        merge_field(decl.entity_set_name, expect_logical_name(v, file, field_where), file,
                    field_where);
      else if (key == "primary_id")
        merge_field(decl.primary_id, expect_logical_name(v, file, field_where), file, field_where);
      else if (key == "primary_name") {
        if (!v.is_null())
          merge_field(decl.primary_name, expect_logical_name(v, file, field_where), file,
                      field_where);
      } else if (key == "activity_enabled")
        merge_field(decl.activity_enabled, expect_bool(v, file, field_where), file, field_where);
      else if (key == "attributes")
        for (const auto& [column, type] : expect_object(v, file, field_where)) {
          if (is_comment_key(column)) continue;
          const auto column_where = field_where + "." + column;
          merge_attribute(decl, parse_attribute(column, type, file, column_where), file,
                          column_where);
        }
    }
  }
}

schema build_schema(const table_decls& declared) {
  auto s = builtin_schema();
  for (const auto& [name, decl] : declared)
    add_declared_columns(declared_table(s, name, decl), name, decl);
  check_entity_sets_unique(s, declared);
  finalize(s);
  return s;
}

}  // namespace seed_detail

schema builtin_schema() {
  using namespace seed_detail;
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

}  // namespace opencloser::emulator
