// Seed errors and the JSON shape checks every part of a seed goes through: one wording for
// "must be an object", "unknown key", "missing", "not a logical name" wherever they occur.

#include <algorithm>

#include "emulator/seed_internal.hpp"

namespace opencloser::emulator::seed_detail {

void fail(std::string_view file, std::string_view detail) {
  throw seed_error("emulator seed '" + std::string(file) + "': " + std::string(detail));
}

void fail_not(std::string_view file, const std::string& where, std::string_view expected,
              std::string_view got) {
  fail(file, where + " must be " + std::string(expected) + ", not " + std::string(got));
}

std::string in_quotes(std::string_view s) {
  return "'" + std::string(s) + "'";
}

bool is_comment_key(std::string_view key) {
  return key.starts_with('_');
}

const json::object& expect_object(const json::value& v, std::string_view file,
                                  const std::string& where) {
  if (!v.is_object()) fail_not(file, where, "an object", v.kind_name());
  return v.as_object();
}

const json::array& expect_array(const json::value& v, std::string_view file,
                                const std::string& where) {
  if (!v.is_array()) fail_not(file, where, "an array", v.kind_name());
  return v.as_array();
}

const std::string& expect_string(const json::value& v, std::string_view file,
                                 const std::string& where) {
  if (!v.is_string() || v.as_string().empty())
    fail_not(file, where, "a non-empty string", v.is_string() ? "an empty one" : v.kind_name());
  return v.as_string();
}

bool expect_bool(const json::value& v, std::string_view file, const std::string& where) {
  if (!v.is_bool()) fail_not(file, where, "a boolean", v.kind_name());
  return v.as_bool();
}

std::int64_t expect_int(const json::value& v, std::int64_t minimum, std::string_view file,
                        const std::string& where) {
  if (!v.is_int() || v.as_int() < minimum)
    fail_not(file, where, "an integer >= " + std::to_string(minimum),
             v.is_int() ? std::to_string(v.as_int()) : std::string(v.kind_name()));
  return v.as_int();
}

void check_keys(const json::object& obj, std::initializer_list<std::string_view> known,
                std::string_view file, const std::string& where) {
  for (const auto& [key, value] : obj) {
    if (is_comment_key(key) || std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (const auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    fail(file, where + ": unknown key " + in_quotes(key) + " (expected " + list + ")");
  }
}

void for_each_entry(
    const json::value& array, std::string_view file, const std::string& name,
    std::initializer_list<std::string_view> known, std::initializer_list<std::string_view> required,
    const std::function<void(std::size_t, const std::string&, const json::value&)>& use) {
  const auto& entries = expect_array(array, file, name);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto where = name + "[" + std::to_string(i) + "]";
    check_keys(expect_object(entries[i], file, where), known, file, where);
    for (const auto key : required)
      if (!entries[i].contains(key)) fail(file, where + ": missing " + in_quotes(key));
    use(i, where, entries[i]);
  }
}

namespace {

bool is_logical_name(std::string_view name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

void check_logical_name(const std::string& name, std::string_view file, const std::string& what) {
  if (!is_logical_name(name))
    fail(file, what + " " + in_quotes(name) +
                   " is not a logical name (lower-case letters, digits and '_', starting "
                   "with a letter)");
}

const std::string& expect_logical_name(const json::value& v, std::string_view file,
                                       const std::string& where) {
  const auto& name = expect_string(v, file, where);
  check_logical_name(name, file, where + ":");
  return name;
}

}  // namespace opencloser::emulator::seed_detail
