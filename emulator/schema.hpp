#pragma once
// The emulator's vocabulary: table definitions (fixtures.md §5.1), stored rows and the
// Dataverse-shaped error every layer throws (emulator.md §3). No HTTP, no I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/json/json.hpp"

namespace opencloser::emulator {

/// Column types. `owner` is `ownerid`, `state`/`status` the activity state pair, `bigint`
/// `versionnumber`; the rest are the seed's attribute types.
enum class attribute_kind {
  string_,
  memo,
  integer,
  boolean,
  datetime,
  decimal,
  uniqueidentifier,
  picklist,
  status,
  state,
  lookup,
  owner,
  bigint,
};

/// The metadata name of a kind (`String`, `Picklist`, `Lookup`, `Owner`, `BigInt`, …).
std::string_view attribute_type_name(attribute_kind kind);
/// The seed spelling → kind (`String`, `Memo`, `Integer`, `Boolean`, `DateTime`, `Decimal`,
/// `Uniqueidentifier`, `Picklist`, `Status`, `State`, `Lookup`); nullopt when unknown.
std::optional<attribute_kind> attribute_kind_from_seed(std::string_view name);

struct attribute_def {
  std::string logical_name;
  attribute_kind kind = attribute_kind::string_;
  std::vector<std::int64_t> options;  ///< picklist / status / state values
  bool global_options = false;        ///< served under GlobalOptionSet
  std::vector<std::string> targets;   ///< lookup / owner target tables (logical names)
  std::string metadata_id;            ///< deterministic GUID

  bool is_lookup() const { return kind == attribute_kind::lookup || kind == attribute_kind::owner; }
  bool is_option_set() const {
    return kind == attribute_kind::picklist || kind == attribute_kind::status ||
           kind == attribute_kind::state;
  }
  /// The property name rows, `$select`, `$filter` and `$orderby` use: `_<c>_value` for
  /// lookups, the logical name otherwise.
  std::string property_name() const;
};

struct table_def {
  std::string logical_name;
  std::string entity_set_name;
  std::string primary_id;
  std::optional<std::string> primary_name;  ///< PrimaryNameAttribute
  bool activity_enabled = false;            ///< phonecall/task may regard its rows
  bool is_activity = false;                 ///< phonecall or task
  std::string metadata_id;
  /// Every column by logical name, system columns included (createdon, modifiedon,
  /// versionnumber, ownerid, the primary id, and statecode/statuscode on activities).
  std::map<std::string, attribute_def, std::less<>> attributes;

  const attribute_def* attribute(std::string_view logical_name) const;
  /// The column behind a row property (`_<c>_value` for lookups, else the logical name);
  /// nullptr when the property does not exist. A lookup's bare logical name is not a property.
  const attribute_def* property(std::string_view property_name) const;
};

/// Every table of a seeded emulator, by logical name.
struct schema {
  std::map<std::string, table_def, std::less<>> tables;

  const table_def* by_logical_name(std::string_view name) const;
  const table_def* by_entity_set(std::string_view set) const;
};

/// A stored row: property → value (lookups as `_<c>_value`), with the primary id,
/// `createdon`, `modifiedon` and `versionnumber` always present. Sorted by property name so
/// dumps and responses are deterministic.
using row = std::map<std::string, json::value, std::less<>>;

/// `W/"<versionnumber>"`.
std::string etag_of(const row& r);

/// A Dataverse-style error answer: `{"error": {"code": code, "message": message}}` with
/// `status`. Every layer below the HTTP server throws this for a client error.
struct web_error : std::runtime_error {
  web_error(int status, std::string code, std::string message)
      : std::runtime_error(message), status(status), code(std::move(code)) {}
  int status;
  std::string code;
};

/// 400 `0x80060888` (Dataverse's code for a malformed OData request).
web_error bad_request(std::string message);

}  // namespace opencloser::emulator
