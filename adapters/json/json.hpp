#pragma once
// A small JSON document model shared by every reader and writer of the product.
// Parsing goes through simdjson (DOM, full validation); writing follows the artifact
// encoding of domain.md §12 byte for byte. Objects keep document order (mapping checks
// iterate in document order); the artifact writer sorts keys by code point on output.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace opencloser::json {

class value;
using array = std::vector<value>;
using member = std::pair<std::string, value>;
using object = std::vector<member>;

class value {
 public:
  value() = default;
  value(std::nullptr_t) {}
  value(bool b) : data_(b) {}
  value(int i) : data_(static_cast<std::int64_t>(i)) {}
  value(std::int64_t i) : data_(i) {}
  value(double d) : data_(d) {}
  value(const char* s) : data_(std::string(s)) {}
  value(std::string s) : data_(std::move(s)) {}
  value(std::string_view s) : data_(std::string(s)) {}
  value(array a) : data_(std::move(a)) {}
  value(object o) : data_(std::move(o)) {}

  bool is_null() const { return std::holds_alternative<std::nullptr_t>(data_); }
  bool is_bool() const { return std::holds_alternative<bool>(data_); }
  bool is_int() const { return std::holds_alternative<std::int64_t>(data_); }
  bool is_double() const { return std::holds_alternative<double>(data_); }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return std::holds_alternative<std::string>(data_); }
  bool is_array() const { return std::holds_alternative<array>(data_); }
  bool is_object() const { return std::holds_alternative<object>(data_); }

  /// Accessors throw json::type_error when the kind differs.
  bool as_bool() const { return get<bool>("a boolean"); }
  std::int64_t as_int() const { return get<std::int64_t>("an integer"); }
  double as_double() const;  ///< integers convert
  const std::string& as_string() const { return get<std::string>("a string"); }
  const array& as_array() const { return get<array>("an array"); }
  const object& as_object() const { return get<object>("an object"); }
  array& as_array() { return get_mut<array>("an array"); }
  object& as_object() { return get_mut<object>("an object"); }

  /// Object member lookup; the last of duplicate keys wins (as in Python's json).
  /// nullptr when absent or when this is not an object.
  const value* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  /// Sets (replaces or appends) an object member; turns a null value into an object.
  value& set(std::string_view key, value v);

  /// Human name of the kind ("an object", "a string", …) for error messages.
  std::string_view kind_name() const;

  bool operator==(const value& other) const = default;

 private:
  template <class T>
  const T& get(const char* what) const;
  template <class T>
  T& get_mut(const char* what);

  std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, array, object> data_;
};

struct type_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Thrown by parse(); `what()` is simdjson's reason (or "UTF-8 byte order mark").
struct parse_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parses one JSON document (UTF-8, no BOM). Integers that fit int64 stay integers.
value parse(std::string_view text);

/// Artifact encoding (domain.md §12): sorted keys, 2-space indent, `": "`, `[]`/`{}`, minimal
/// escapes, raw non-ASCII, integers in decimal, other numbers with exactly 3 decimals, and one
/// trailing LF.
std::string write_artifact(const value& v);

/// Compact encoding in document order (HTTP bodies, logs, SQLite columns); non-integer
/// numbers in their shortest round-trip form.
std::string write_compact(const value& v);

/// Appends `s` as a JSON string literal with the artifact escapes.
void append_escaped(std::string& out, std::string_view s);

}  // namespace opencloser::json
