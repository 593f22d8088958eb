#include "emulator/odata_query.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include "actors/common/ids.hpp"
#include "actors/common/text.hpp"

namespace opencloser::emulator {

namespace {

// ---- small text helpers ----------------------------------------------------------------------

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool ascii_iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

/// Case-insensitive text order. ASCII takes the fast path; anything else is lower-cased with the
/// product's Unicode rule (Dataverse collations are case-insensitive beyond ASCII too).
int compare_ci(std::string_view a, std::string_view b) {
  if (is_ascii(a) && is_ascii(b)) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
      const auto x = static_cast<unsigned char>(ascii_lower(a[i]));
      const auto y = static_cast<unsigned char>(ascii_lower(b[i]));
      if (x != y) return x < y ? -1 : 1;
    }
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
  }
  const int c = text::lower(a).compare(text::lower(b));
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool equals_ci(std::string_view a, std::string_view b) {
  if (is_ascii(a) && is_ascii(b)) return ascii_iequals(a, b);
  return text::lower(a) == text::lower(b);
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto at = s.find(sep, start);
    parts.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

template <class Int>
std::optional<Int> parse_integer(std::string_view s) {
  Int v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string unknown_property(const table_def& table, std::string_view property) {
  return "Could not find a property named '" + std::string(property) +
         "' on type 'Microsoft.Dynamics.CRM." + table.logical_name + "'.";
}

// ---- $filter parsing -------------------------------------------------------------------------

bool is_ident_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}
bool is_space(char c) {
  return c == ' ' || c == '\t';
}

/// A recursive-descent parser for the tiny grammar; every error names the position, as
/// Dataverse's `Syntax error at position <n> in '<filter>'` does.
class filter_parser {
 public:
  explicit filter_parser(std::string_view text) : s_(text) {}

  std::vector<filter_term> parse() {
    std::vector<filter_term> terms;
    skip_spaces();
    for (;;) {
      terms.push_back(term());
      const std::size_t before = i_;
      skip_spaces();
      if (i_ == s_.size()) return terms;
      const bool spaced = i_ > before;
      const std::size_t word_at = i_;
      const std::string_view w = word();
      if (w == "or") fail(word_at, "'or' is not supported by the emulator (only 'and')");
      if (w != "and" || !spaced) fail(word_at, "expected 'and' or the end of the expression");
      require_space("'and'");
    }
  }

 private:
  [[noreturn]] void fail(std::size_t at, std::string_view detail) const {
    throw bad_request("Syntax error at position " + std::to_string(at) + " in '" + std::string(s_) +
                      "': " + std::string(detail) + ".");
  }

  void skip_spaces() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
  }

  /// At the end of the text nothing is required: the next step names what is missing.
  void require_space(std::string_view after) {
    if (i_ < s_.size() && !is_space(s_[i_]))
      fail(i_, "expected a space after " + std::string(after));
    skip_spaces();
  }

  std::string_view word() {
    const std::size_t start = i_;
    while (i_ < s_.size() && is_ident_char(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }

  filter_term term() {
    filter_term t;
    if (i_ < s_.size() && s_[i_] == '(') fail(i_, "parentheses are not supported by the emulator");
    if (i_ >= s_.size() || !is_ident_start(s_[i_])) fail(i_, "expected a property name");
    const std::size_t name_at = i_;
    t.property = std::string(word());
    if (i_ < s_.size() && s_[i_] == '(')
      fail(name_at, "function '" + t.property + "' is not supported by the emulator");
    if (i_ < s_.size() && s_[i_] == '/')
      fail(i_, "navigation paths are not supported by the emulator");
    if (t.property == "not") fail(name_at, "'not' is not supported by the emulator");
    require_space("the property name");

    const std::size_t op_at = i_;
    const std::string_view op = word();
    if (op == "eq") {
      t.op = filter_op::eq;
    } else if (op == "ne") {
      t.op = filter_op::ne;
    } else if (op.empty()) {
      fail(op_at, "expected an operator");
    } else {
      fail(op_at, "the operator '" + std::string(op) +
                      "' is not supported by the emulator (only eq and ne)");
    }
    require_space("the operator");
    literal(t);
    return t;
  }

  void literal(filter_term& t) {
    const std::size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '\'') {
      std::string text;
      for (++i_;; ++i_) {
        if (i_ >= s_.size()) fail(start, "unterminated string literal");
        if (s_[i_] != '\'') {
          text.push_back(s_[i_]);
        } else if (i_ + 1 < s_.size() && s_[i_ + 1] == '\'') {
          text.push_back('\'');
          ++i_;
        } else {
          ++i_;
          break;
        }
      }
      t.literal = json::value(std::move(text));
      expect_literal_end();
      return;
    }
    while (i_ < s_.size() &&
           (is_ident_char(s_[i_]) || s_[i_] == '-' || s_[i_] == '.' || s_[i_] == '+'))
      ++i_;
    const std::string_view token = s_.substr(start, i_ - start);
    if (i_ < s_.size() && (s_[i_] == '(' || s_[i_] == '\''))
      fail(start, "functions and typed literals are not supported by the emulator");
    if (token.empty()) fail(start, "expected a literal");
    if (token == "true" || token == "false") {
      t.literal = json::value(token == "true");
    } else if (token == "null") {
      t.literal = json::value(nullptr);
    } else if (is_guid(token)) {
      t.literal = json::value(canonical_guid(token));
      t.literal_is_guid = true;
    } else if (const auto n = integer_literal(token, start)) {
      t.literal = json::value(*n);
    } else if (const auto d = decimal_literal(token)) {
      t.literal = json::value(*d);
    } else {
      fail(start, "unrecognized literal '" + std::string(token) + "'");
    }
    expect_literal_end();
  }

  std::optional<std::int64_t> integer_literal(std::string_view token, std::size_t at) const {
    const std::string_view digits = token.starts_with('-') ? token.substr(1) : token;
    if (digits.empty() ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    const auto n = parse_integer<std::int64_t>(token);
    if (!n) fail(at, "integer literal '" + std::string(token) + "' is out of range");
    return n;
  }

  static std::optional<double> decimal_literal(std::string_view token) {
    // -?digits.digits only: no exponent, no type suffix (the product never sends them).
    const std::string_view body = token.starts_with('-') ? token.substr(1) : token;
    const auto dot = body.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == body.size()) return std::nullopt;
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (!std::all_of(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(dot), digit) ||
        !std::all_of(body.begin() + static_cast<std::ptrdiff_t>(dot) + 1, body.end(), digit))
      return std::nullopt;
    return parse_double(token);
  }

  static std::optional<double> parse_double(std::string_view token) {
    double v = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
    if (ec != std::errc{} || end != token.data() + token.size()) return std::nullopt;
    return v;
  }

  void expect_literal_end() {
    if (i_ < s_.size() && !is_space(s_[i_]))
      fail(i_, "unexpected '" + std::string(s_.substr(i_)) + "'");
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

bool literal_equals(const json::value& literal, const json::value& v) {
  if (literal.is_string()) return v.is_string() && equals_ci(literal.as_string(), v.as_string());
  if (literal.is_bool()) return v.is_bool() && v.as_bool() == literal.as_bool();
  if (literal.is_number() && v.is_number()) {
    if (literal.is_int() && v.is_int()) return literal.as_int() == v.as_int();
    return literal.as_double() == v.as_double();
  }
  return false;
}

template <class Field>
bool matches_with(const std::vector<filter_term>& terms, Field&& field) {
  for (const auto& t : terms) {
    const json::value* v = field(t.property);
    const bool is_null = v == nullptr || v->is_null();
    const bool equal = t.literal.is_null() ? is_null : !is_null && literal_equals(t.literal, *v);
    if (equal != (t.op == filter_op::eq)) return false;
  }
  return true;
}

const json::value* field_of(const row& r, std::string_view property) {
  const auto it = r.find(property);
  return it == r.end() ? nullptr : &it->second;
}

// ---- $filter type checks (Dataverse rejects incomparable operand types) -------------------------

std::string_view edm_type(attribute_kind kind) {
  switch (kind) {
    case attribute_kind::string_:
    case attribute_kind::memo:
      return "Edm.String";
    case attribute_kind::integer:
    case attribute_kind::picklist:
    case attribute_kind::status:
    case attribute_kind::state:
      return "Edm.Int32";
    case attribute_kind::bigint:
      return "Edm.Int64";
    case attribute_kind::boolean:
      return "Edm.Boolean";
    case attribute_kind::datetime:
      return "Edm.DateTimeOffset";
    case attribute_kind::decimal:
      return "Edm.Decimal";
    case attribute_kind::uniqueidentifier:
    case attribute_kind::lookup:
    case attribute_kind::owner:
      return "Edm.Guid";
  }
  return "Edm.String";
}

std::string_view literal_edm_type(const filter_term& t) {
  if (t.literal_is_guid) return "Edm.Guid";
  if (t.literal.is_string()) return "Edm.String";
  if (t.literal.is_bool()) return "Edm.Boolean";
  if (t.literal.is_int()) return "Edm.Int64";
  return "Edm.Decimal";
}

/// Whether a literal can be compared with a column. Datetimes accept string literals because
/// the grammar has no datetime literal (emulator.md §3.2) and the product never filters on them.
bool literal_fits(attribute_kind kind, const filter_term& t) {
  if (t.literal.is_null()) return true;
  switch (kind) {
    case attribute_kind::string_:
    case attribute_kind::memo:
      return t.literal.is_string() && !t.literal_is_guid;
    case attribute_kind::datetime:
      return t.literal.is_string() && !t.literal_is_guid;
    case attribute_kind::integer:
    case attribute_kind::picklist:
    case attribute_kind::status:
    case attribute_kind::state:
    case attribute_kind::bigint:
    case attribute_kind::decimal:
      return t.literal.is_number();
    case attribute_kind::boolean:
      return t.literal.is_bool();
    case attribute_kind::uniqueidentifier:
    case attribute_kind::lookup:
    case attribute_kind::owner:
      return t.literal_is_guid;
  }
  return false;
}

// ---- ordering ---------------------------------------------------------------------------------

bool is_guid_kind(attribute_kind kind) {
  return kind == attribute_kind::uniqueidentifier || kind == attribute_kind::lookup ||
         kind == attribute_kind::owner;
}

int kind_rank(const json::value& v) {
  if (v.is_null()) return 0;
  if (v.is_bool()) return 1;
  if (v.is_number()) return 2;
  if (v.is_string()) return 3;
  return 4;
}

template <class T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int compare_strings(attribute_kind kind, const std::string& a, const std::string& b) {
  if (is_guid_kind(kind)) return compare_guid_sql(a, b);
  // UtcMs text (what the store keeps) orders chronologically byte for byte.
  if (kind == attribute_kind::datetime) return three_way(a, b);
  return compare_ci(a, b);
}

struct sort_key {
  std::string property;
  attribute_kind kind;
  bool descending;
};

/// The requested keys plus the primary id ascending, unless the primary id is already a key.
std::vector<sort_key> effective_keys(const table_def& table,
                                     const std::vector<order_key>& orderby) {
  std::vector<sort_key> keys;
  bool has_primary = false;
  for (const auto& k : orderby) {
    const auto* a = table.property(k.property);
    keys.push_back({k.property, a ? a->kind : attribute_kind::string_, k.descending});
    has_primary = has_primary || k.property == table.primary_id;
  }
  if (!has_primary) {
    const auto* a = table.property(table.primary_id);
    keys.push_back({table.primary_id, a ? a->kind : attribute_kind::uniqueidentifier, false});
  }
  return keys;
}

int compare_keys(const std::vector<sort_key>& keys, const json::value* const* a,
                 const json::value* const* b) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const int c = compare_values(keys[i].kind, a[i], b[i]);
    if (c != 0) return keys[i].descending ? -c : c;
  }
  return 0;
}

/// A candidate row's key values, looked up only as far as a comparison needs them: each lookup
/// is a map search, and most rows of a large table lose on the first key.
class lazy_keys {
 public:
  explicit lazy_keys(const std::vector<sort_key>& keys) : keys_(keys), values_(keys.size()) {}

  void reset(const row* r) {
    row_ = r;
    fetched_ = 0;
  }

  const json::value* at(std::size_t i) {
    for (; fetched_ <= i; ++fetched_) values_[fetched_] = field_of(*row_, keys_[fetched_].property);
    return values_[i];
  }

  void copy_to(const json::value** out) {
    for (std::size_t i = 0; i < keys_.size(); ++i) out[i] = at(i);
  }

 private:
  const std::vector<sort_key>& keys_;
  std::vector<const json::value*> values_;
  const row* row_ = nullptr;
  std::size_t fetched_ = 0;
};

int compare_lazy(const std::vector<sort_key>& keys, lazy_keys& a, const json::value* const* b) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const int c = compare_values(keys[i].kind, a.at(i), b[i]);
    if (c != 0) return keys[i].descending ? -c : c;
  }
  return 0;
}

// ---- skiptoken --------------------------------------------------------------------------------
// The token is the compact JSON array of the last row's effective key values. It is written here
// rather than with json::write_compact because that prints doubles with three decimals, and the
// cursor must round-trip Decimal values exactly.

std::string encode_cursor(const std::vector<const json::value*>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    const json::value* v = values[i];
    if (v == nullptr || v->is_null()) {
      out += "null";
    } else if (v->is_bool()) {
      out += v->as_bool() ? "true" : "false";
    } else if (v->is_int()) {
      out += std::to_string(v->as_int());
    } else if (v->is_double()) {
      std::array<char, 64> buf{};
      const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v->as_double());
      out.append(buf.data(), ec == std::errc{} ? end : buf.data());
    } else if (v->is_string()) {
      json::append_escaped(out, v->as_string());
    } else {
      out += "null";  // stored rows never hold arrays or objects in ordering columns
    }
  }
  out.push_back(']');
  return out;
}

std::vector<json::value> decode_cursor(const table_def& table, const std::vector<sort_key>& keys,
                                       std::string_view token) {
  const auto invalid = [] {
    return bad_request("The $skiptoken value is not valid for this query.");
  };
  json::value parsed;
  try {
    parsed = json::parse(token);
  } catch (const json::parse_error&) {
    throw invalid();
  }
  // Read through a const reference: json::value's mutable as_array() is not instantiated.
  const json::value& cursor = parsed;
  if (!cursor.is_array() || cursor.as_array().size() != keys.size()) throw invalid();
  std::vector<json::value> values = cursor.as_array();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (values[i].is_array() || values[i].is_object()) throw invalid();
    if (keys[i].property == table.primary_id &&
        !(values[i].is_string() && is_guid(values[i].as_string())))
      throw invalid();
  }
  return values;
}

constexpr std::int64_t default_page_size = 5000;

}  // namespace

// ---- query strings -------------------------------------------------------------------------

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
    const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      throw bad_request("Malformed percent-encoding at position " + std::to_string(i) + " in '" +
                        std::string(text) + "'.");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> decode_query(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto segment : split(raw_query, '&')) {
    if (segment.empty()) continue;
    const auto eq = segment.find('=');
    if (eq == std::string_view::npos) {
      params.emplace_back(percent_decode(segment), std::string());
    } else {
      params.emplace_back(percent_decode(segment.substr(0, eq)),
                          percent_decode(segment.substr(eq + 1)));
    }
  }
  return params;
}

std::string percent_encode(std::string_view text) {
  static constexpr std::string_view unreserved = "-._~$'(),:@/";
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
        unreserved.find(c) != std::string_view::npos) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[b >> 4]);
      out.push_back(hex[b & 0xF]);
    }
  }
  return out;
}

std::string build_next_link_query(const std::vector<std::pair<std::string, std::string>>& params,
                                  std::string_view token) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (key == "$skiptoken") continue;
    out += percent_encode(key);
    out.push_back('=');
    out += percent_encode(value);
    out.push_back('&');
  }
  out += "$skiptoken=";
  out += percent_encode(token);
  return out;
}

// ---- $filter ---------------------------------------------------------------------------------

std::vector<filter_term> parse_filter(std::string_view text) {
  return filter_parser(text).parse();
}

bool matches(const std::vector<filter_term>& terms,
             const std::function<const json::value*(std::string_view)>& field) {
  return matches_with(terms, field);
}

// ---- collection queries ----------------------------------------------------------------------

collection_query parse_collection_query(
    const table_def& table, const std::vector<std::pair<std::string, std::string>>& params) {
  collection_query q;
  std::set<std::string, std::less<>> seen;
  const auto require_property = [&](std::string_view property) {
    const auto* a = table.property(property);
    if (a == nullptr) throw bad_request(unknown_property(table, property));
    return a;
  };
  for (const auto& [key, value] : params) {
    // Names without `$` are custom options or parameter aliases, which OData ignores.
    if (!key.starts_with('$')) continue;
    if (!seen.insert(key).second)
      throw bad_request("Query option '" + key +
                        "' was specified more than once, but it must be specified at most once.");
    if (key == "$filter") {
      q.filter = parse_filter(value);
      for (const auto& t : q.filter) {
        const auto* a = require_property(t.property);
        if (!literal_fits(a->kind, t))
          throw bad_request(
              "A binary operator with incompatible types was detected. Found operand types '" +
              std::string(edm_type(a->kind)) + "' and '" + std::string(literal_edm_type(t)) +
              "' for operator kind '" + (t.op == filter_op::eq ? "Equal" : "NotEqual") + "'.");
      }
    } else if (key == "$select") {
      if (trim_spaces(value) == "*") continue;
      std::vector<std::string> columns;
      for (const auto item : split(value, ',')) {
        const auto name = trim_spaces(item);
        if (name.empty()) throw bad_request("Syntax error in $select '" + value + "': empty item.");
        require_property(name);
        if (std::find(columns.begin(), columns.end(), name) == columns.end())
          columns.emplace_back(name);
      }
      q.select = std::move(columns);
    } else if (key == "$orderby") {
      for (const auto item : split(value, ',')) {
        std::vector<std::string_view> words;
        for (const auto w : split(trim_spaces(item), ' '))
          if (!w.empty()) words.push_back(w);
        if (words.empty())
          throw bad_request("Syntax error in $orderby '" + value + "': empty item.");
        require_property(words[0]);
        order_key k{std::string(words[0]), false};
        if (words.size() == 2 && (words[1] == "asc" || words[1] == "desc")) {
          k.descending = words[1] == "desc";
        } else if (words.size() != 1) {
          throw bad_request("Syntax error in $orderby '" + value +
                            "': expected '<property> [asc|desc]'.");
        }
        q.orderby.push_back(std::move(k));
      }
    } else if (key == "$top") {
      const auto n = parse_integer<std::int64_t>(trim_spaces(value));
      if (!n || *n < 0 || trim_spaces(value).starts_with('+'))
        throw bad_request("Invalid value '" + value +
                          "' for $top query option found. The $top query option requires a "
                          "non-negative integer value.");
      q.top = *n;
    } else if (key == "$skiptoken") {
      q.skiptoken = value;
    } else {
      throw bad_request("The query parameter " + key + " is not supported.");
    }
  }
  if (q.skiptoken) decode_cursor(table, effective_keys(table, q.orderby), *q.skiptoken);
  return q;
}

int compare_guid_sql(std::string_view a, std::string_view b) {
  if (!is_guid(a) || !is_guid(b)) return compare_ci(a, b);
  // Byte i of the canonical text is the hex pair at these offsets (dashes skipped).
  static constexpr std::array<std::size_t, 16> offset{0,  2,  4,  6,  9,  11, 14, 16,
                                                      19, 21, 24, 26, 28, 30, 32, 34};
  static constexpr std::array<std::size_t, 16> order{10, 11, 12, 13, 14, 15, 8, 9,
                                                     7,  6,  5,  4,  3,  2,  1, 0};
  for (const std::size_t byte : order) {
    const std::size_t at = offset[byte];
    const int x = hex_value(a[at]) * 16 + hex_value(a[at + 1]);
    const int y = hex_value(b[at]) * 16 + hex_value(b[at + 1]);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

int compare_values(attribute_kind kind, const json::value* a, const json::value* b) {
  static const json::value null_value;
  const json::value& x = a ? *a : null_value;
  const json::value& y = b ? *b : null_value;
  const int rx = kind_rank(x), ry = kind_rank(y);
  if (rx != ry) return rx < ry ? -1 : 1;
  if (x.is_bool()) return three_way(x.as_bool(), y.as_bool());
  if (x.is_number()) {
    if (x.is_int() && y.is_int()) return three_way(x.as_int(), y.as_int());
    return three_way(x.as_double(), y.as_double());
  }
  if (x.is_string()) return compare_strings(kind, x.as_string(), y.as_string());
  return 0;  // nulls, and the arrays/objects no ordering column holds
}

std::optional<std::string> pinned_primary_id(const table_def& table,
                                             const collection_query& query) {
  for (const auto& t : query.filter)
    if (t.property == table.primary_id && t.op == filter_op::eq && t.literal_is_guid)
      return t.literal.as_string();
  return std::nullopt;
}

page_result select_page(const table_def& table, const std::vector<const row*>& all_rows,
                        const collection_query& query, std::optional<std::int64_t> max_page_size) {
  const std::vector<sort_key> keys = effective_keys(table, query.orderby);
  const std::size_t k = keys.size();

  std::vector<json::value> cursor_values;
  std::vector<const json::value*> cursor;
  if (query.skiptoken) {
    cursor_values = decode_cursor(table, keys, *query.skiptoken);
    for (const auto& v : cursor_values) cursor.push_back(&v);
  }

  // Page size and whether a next page may be announced (emulator.md §3.2).
  std::int64_t page_size = default_page_size;
  bool may_continue = true;
  if (max_page_size.value_or(0) >= 1) {
    page_size = max_page_size.value_or(default_page_size);
  } else if (query.top) {
    page_size = *query.top;
    may_continue = false;
  }
  // One extra row tells whether more follow; never more room than there are rows.
  const std::size_t wanted = static_cast<std::size_t>(page_size) + (may_continue ? 1 : 0);
  const std::size_t capacity = std::min(wanted, all_rows.size());

  page_result result;
  if (capacity == 0) return result;

  // A bounded max-heap of the best `capacity` rows seen so far. Key pointers live in `pool`,
  // `k` per heap slot, so the pass allocates nothing per row.
  struct entry {
    const row* r;
    std::size_t slot;
  };
  std::vector<const json::value*> pool(capacity * k);
  std::vector<entry> heap;
  heap.reserve(capacity);
  const auto keys_of = [&](const entry& e) { return pool.data() + e.slot * k; };
  const auto heap_less = [&](const entry& x, const entry& y) {
    return compare_keys(keys, keys_of(x), keys_of(y)) < 0;
  };

  lazy_keys candidate(keys);
  for (const row* r : all_rows) {
    if (!matches_with(query.filter, [r](std::string_view p) { return field_of(*r, p); })) continue;
    candidate.reset(r);
    if (!cursor.empty() && compare_lazy(keys, candidate, cursor.data()) <= 0) continue;
    if (heap.size() < capacity) {
      const std::size_t slot = heap.size();
      candidate.copy_to(pool.data() + slot * k);
      heap.push_back({r, slot});
      std::push_heap(heap.begin(), heap.end(), heap_less);
    } else if (compare_lazy(keys, candidate, keys_of(heap.front())) < 0) {
      std::pop_heap(heap.begin(), heap.end(), heap_less);
      const std::size_t slot = heap.back().slot;
      candidate.copy_to(pool.data() + slot * k);
      heap.back() = {r, slot};
      std::push_heap(heap.begin(), heap.end(), heap_less);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), heap_less);

  const bool more = may_continue && heap.size() > static_cast<std::size_t>(page_size);
  if (more) heap.resize(static_cast<std::size_t>(page_size));
  result.rows.reserve(heap.size());
  for (const auto& e : heap) result.rows.push_back(e.r);
  if (more) {
    const auto* last = keys_of(heap.back());
    result.next_skiptoken = encode_cursor(std::vector<const json::value*>(last, last + k));
  }
  return result;
}

json::value project_row(const table_def& /*table*/, const row& r,
                        const std::optional<std::vector<std::string>>& select) {
  json::object out;
  out.emplace_back("@odata.etag", json::value(etag_of(r)));
  if (!select) {
    for (const auto& [property, v] : r) out.emplace_back(property, v);  // row is sorted already
    return json::value(std::move(out));
  }
  std::vector<std::string> columns = *select;
  std::sort(columns.begin(), columns.end());
  columns.erase(std::unique(columns.begin(), columns.end()), columns.end());
  for (auto& property : columns) {
    const auto* v = field_of(r, property);
    out.emplace_back(std::move(property), v ? *v : json::value(nullptr));
  }
  return json::value(std::move(out));
}

// ---- Prefer ---------------------------------------------------------------------------------

preferences parse_prefer(std::string_view header_value) {
  preferences p;
  // Split on commas outside double quotes.
  std::vector<std::string_view> items;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= header_value.size(); ++i) {
    if (i < header_value.size() && header_value[i] == '"') quoted = !quoted;
    if (i == header_value.size() || (header_value[i] == ',' && !quoted)) {
      items.push_back(header_value.substr(start, i - start));
      start = i + 1;
    }
  }
  for (auto item : items) {
    item = trim_spaces(item.substr(0, item.find(';')));
    const auto eq = item.find('=');
    const auto name = trim_spaces(item.substr(0, eq));
    auto value =
        eq == std::string_view::npos ? std::string_view() : trim_spaces(item.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (ascii_iequals(name, "odata.maxpagesize")) {
      if (const auto n = parse_integer<std::int64_t>(value);
          n && *n >= 1 && *n <= default_page_size)
        p.max_page_size = *n;
    } else if (ascii_iequals(name, "return")) {
      p.return_representation = ascii_iequals(value, "representation");
    } else if (ascii_iequals(name, "odata.continue-on-error") ||
               ascii_iequals(name, "continue-on-error")) {
      p.continue_on_error = value.empty() || ascii_iequals(value, "true");
    }
  }
  return p;
}

}  // namespace opencloser::emulator
