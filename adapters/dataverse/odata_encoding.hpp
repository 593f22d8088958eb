#pragma once
// OData URL text for Dataverse requests (dataverse.md §1): percent-encoding of query values,
// quoted string literals, the GUID rule for unquoted ids, and query-string assembly in the
// fixed option order. Every URL is produced twice: as sent (encoded) and as written to
// http-plan.json (plain), from the same parts, so the two can never disagree.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace opencloser::dataverse {

/// A value that must be a GUID is not one (dataverse.md §1 GUID rule). The message is
/// `<what> '<value>' is not a GUID`; the caller adds its context prefix.
struct guid_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// Throws guid_error unless `value` is exactly a GUID (no surrounding whitespace or newline).
void require_guid(std::string_view value, std::string_view what);

/// Every byte outside `A-Za-z0-9-._~$'(),:@/` as `%XX` (upper-case hex): space → `%20`,
/// `+` → `%2B`, `=` → `%3D`, each UTF-8 byte of a non-ASCII character separately.
std::string percent_encode(std::string_view value);

/// An OData string literal: single-quoted, with `'` doubled.
std::string string_literal(std::string_view value);

/// The system query options of one request; absent options are left out. Assembly order is
/// fixed: `$filter`, `$select`, `$expand`, `$orderby`, `$top`.
struct query_options {
  std::optional<std::string> filter{};
  std::optional<std::string> select{};
  std::optional<std::string> expand{};
  std::optional<std::string> orderby{};
  std::optional<std::int64_t> top{};
};

/// A URL relative to the service root `<env>/api/data/v9.2/`.
struct relative_url {
  std::string encoded;  ///< as sent: query values percent-encoded
  std::string plain;    ///< as listed in http-plan.json: nothing encoded
};

/// `path` is sent literally (entity sets, `(<guid>)` keys and metadata segments such as
/// `EntityDefinitions(LogicalName='x')` need no encoding); the query values are encoded.
relative_url make_url(std::string_view path, const query_options& query = {});

}  // namespace opencloser::dataverse
