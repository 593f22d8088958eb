#include "adapters/json/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <simdjson.h>

namespace opencloser::json {

template <class T>
const T& value::get(const char* what) const {
  if (const T* p = std::get_if<T>(&data_)) return *p;
  throw type_error(std::string("expected ") + what + ", got " + std::string(kind_name()));
}

template <class T>
T& value::get_mut(const char* what) {
  if (T* p = std::get_if<T>(&data_)) return *p;
  throw type_error(std::string("expected ") + what + ", got " + std::string(kind_name()));
}

// Every kind the header's inline accessors ask for, instantiated here once.
template const bool& value::get<bool>(const char*) const;
template const std::int64_t& value::get<std::int64_t>(const char*) const;
template const std::string& value::get<std::string>(const char*) const;
template const array& value::get<array>(const char*) const;
template const object& value::get<object>(const char*) const;
template array& value::get_mut<array>(const char*);
template object& value::get_mut<object>(const char*);

double value::as_double() const {
  if (is_int()) return static_cast<double>(std::get<std::int64_t>(data_));
  return get<double>("a number");
}

const value* value::find(std::string_view key) const {
  const auto* members = std::get_if<object>(&data_);
  if (!members) return nullptr;
  for (auto it = members->rbegin(); it != members->rend(); ++it)
    if (it->first == key) return &it->second;
  return nullptr;
}

value& value::set(std::string_view key, value v) {
  if (is_null()) data_ = object{};
  auto& members = get_mut<object>("an object");
  for (auto& m : members)
    if (m.first == key) return m.second = std::move(v);
  members.emplace_back(std::string(key), std::move(v));
  return members.back().second;
}

std::string_view value::kind_name() const {
  static constexpr std::string_view names[] = {"null",     "a boolean", "an integer", "a number",
                                               "a string", "an array",  "an object"};
  return names[data_.index()];
}

// ---------------------------------------------------------------------------------------------
// Parsing

namespace {

value convert(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::NULL_VALUE:
      return value{};
    case element_type::BOOL:
      return value{bool(e.get_bool())};
    case element_type::INT64:
      return value{std::int64_t(e.get_int64())};
    case element_type::UINT64:  // beyond int64: keep the magnitude as a double
      return value{double(std::uint64_t(e.get_uint64()))};
    case element_type::DOUBLE:
      return value{double(e.get_double())};
    case element_type::STRING:
      return value{std::string_view(e.get_string())};
    case element_type::ARRAY: {
      array out;
      for (auto child : e.get_array()) out.push_back(convert(child));
      return value{std::move(out)};
    }
    case element_type::OBJECT: {
      object out;
      for (auto field : e.get_object())
        out.emplace_back(std::string(field.key), convert(field.value));
      return value{std::move(out)};
    }
  }
  return value{};
}

}  // namespace

value parse(std::string_view text) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF")
    throw parse_error("UTF-8 byte order mark is not allowed");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const simdjson::padded_string padded(text);
  if (auto error = parser.parse(padded).get(root))
    throw parse_error(simdjson::error_message(error));
  return convert(root);
}

// ---------------------------------------------------------------------------------------------
// Writing

void append_escaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
        } else {
          out.push_back(ch);  // UTF-8 passes through raw
        }
    }
  }
  out.push_back('"');
}

namespace {

/// Artifacts print every non-integer with exactly 3 decimals (domain.md §12); compact
/// output (HTTP bodies) keeps the shortest text that reads back as the same double.
void append_number(std::string& out, double d, bool three_decimals) {
  if (!std::isfinite(d)) {  // JSON has no NaN/Inf: the reports never produce them; be safe
    out += "null";
    return;
  }
  char buf[64];
  if (three_decimals) {
    std::snprintf(buf, sizeof buf, "%.3f", d);
    out += buf;
    return;
  }
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, ec == std::errc() ? end : buf);
}

struct writer {
  std::string out;
  bool pretty;
  bool sorted;

  void newline(int depth) {
    if (!pretty) return;
    out.push_back('\n');
    out.append(static_cast<std::size_t>(depth) * 2, ' ');
  }

  void write(const value& v, int depth) {
    if (v.is_null()) {
      out += "null";
    } else if (v.is_bool()) {
      out += v.as_bool() ? "true" : "false";
    } else if (v.is_int()) {
      out += std::to_string(v.as_int());
    } else if (v.is_double()) {
      append_number(out, v.as_double(), pretty);
    } else if (v.is_string()) {
      append_escaped(out, v.as_string());
    } else if (v.is_array()) {
      const auto& items = v.as_array();
      if (items.empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out.push_back(',');
        newline(depth + 1);
        write(items[i], depth + 1);
      }
      newline(depth);
      out.push_back(']');
    } else {
      const auto& members = v.as_object();
      if (members.empty()) {
        out += "{}";
        return;
      }
      std::vector<const member*> order;
      order.reserve(members.size());
      for (const auto& m : members) order.push_back(&m);
      // Byte order of UTF-8 equals code-point order.
      if (sorted)
        std::stable_sort(order.begin(), order.end(),
                         [](const member* a, const member* b) { return a->first < b->first; });
      out.push_back('{');
      for (std::size_t i = 0; i < order.size(); ++i) {
        if (i) out.push_back(',');
        newline(depth + 1);
        append_escaped(out, order[i]->first);
        out += pretty ? ": " : ":";
        write(order[i]->second, depth + 1);
      }
      newline(depth);
      out.push_back('}');
    }
  }
};

}  // namespace

std::string write_artifact(const value& v) {
  writer w{{}, true, true};
  w.write(v, 0);
  w.out.push_back('\n');
  return std::move(w.out);
}

std::string write_compact(const value& v) {
  writer w{{}, false, false};
  w.write(v, 0);
  return std::move(w.out);
}

}  // namespace opencloser::json
