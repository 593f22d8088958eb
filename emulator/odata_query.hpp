#pragma once
// The OData query subset the emulator serves (emulator.md §3.1–§3.2): query-string decoding,
// `$filter` / `$select` / `$orderby` / `$top` / `$skiptoken`, SQL Server GUID order, keyset
// paging, row projection and the `Prefer` header. Pure functions over schema.hpp; no HTTP.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/json/json.hpp"
#include "emulator/schema.hpp"

namespace opencloser::emulator {

// ---- query strings -------------------------------------------------------------------------

/// `%XX` (either hex case) → byte; everything else, `+` included, is kept as is (the product
/// sends `%2B` for plus and `%20` for space). Throws bad_request on a truncated or non-hex
/// escape.
std::string percent_decode(std::string_view text);

/// Decoded query parameters in order: `a=b&c=d` split on `&` (empty segments skipped), then on
/// the first `=` (none → empty value), then each side percent-decoded.
std::vector<std::pair<std::string, std::string>> decode_query(std::string_view raw_query);

/// Percent-encodes every byte outside `A-Za-z0-9-._~$'(),:@/` with upper-case hex
/// (dataverse.md §1).
std::string percent_encode(std::string_view text);

/// The query string (no leading `?`) of an `@odata.nextLink`: the original parameters in order
/// minus any `$skiptoken`, re-encoded with percent_encode, then `$skiptoken=<token>`.
std::string build_next_link_query(const std::vector<std::pair<std::string, std::string>>& params,
                                  std::string_view token);

// ---- $filter ---------------------------------------------------------------------------------

enum class filter_op { eq, ne };

struct filter_term {
  std::string property;
  filter_op op = filter_op::eq;
  /// null, bool, integer, double or string; a GUID literal is its lower-case text.
  json::value literal;
  bool literal_is_guid = false;
};

/// `term (" and " term)*` with `term` = `<property> eq|ne <literal>`; literals `'text'` (`''`
/// escapes a quote), `true`, `false`, `null`, integers, decimals and bare GUIDs. Anything else
/// (`or`, `not`, parentheses, functions, other operators, trailing text, an unterminated
/// string) → bad_request. Property names are not checked here.
std::vector<filter_term> parse_filter(std::string_view text);

/// True when every term holds. `field(property)` gives the row's value or nullptr when absent
/// (absent counts as null). Strings and GUIDs compare case-insensitively, numbers numerically
/// (integer vs decimal too); `eq null` matches null or absent, `ne null` the opposite; values of
/// different JSON kinds are never equal.
bool matches(const std::vector<filter_term>& terms,
             const std::function<const json::value*(std::string_view)>& field);

// ---- collection queries ----------------------------------------------------------------------

struct order_key {
  std::string property;
  bool descending = false;
};

/// The parsed query of a collection GET on one table.
struct collection_query {
  std::vector<filter_term> filter;
  std::optional<std::vector<std::string>> select;  ///< nullopt = all columns
  /// As requested. select_page appends the primary id ascending as the final tie-break unless
  /// the primary id is already a key (then the order is total already).
  std::vector<order_key> orderby;
  std::optional<std::int64_t> top;
  std::optional<std::string> skiptoken;
};

/// Validates every `$` option against `table` (other parameters are ignored, as OData does with
/// custom options): an unknown property in `$filter` / `$select` / `$orderby` → bad_request
/// `Could not find a property named '<p>' on type 'Microsoft.Dynamics.CRM.<table>'.`; a
/// `$filter` literal whose type cannot compare with the column (e.g. a quoted GUID against a
/// lookup) → bad_request; `$top` must be an integer ≥ 0; a repeated option, `$skip`, `$count`,
/// `$apply`, `$expand` and any other `$` option → bad_request; a malformed `$skiptoken` →
/// bad_request.
collection_query parse_collection_query(
    const table_def& table, const std::vector<std::pair<std::string, std::string>>& params);

/// SQL Server `uniqueidentifier` order (emulator.md §3.2): the 16 bytes of the canonical text
/// compared in the order 10–15, 8, 9, 7, 6, 5, 4, 3, 2, 1, 0. Case-insensitive. Returns <0, 0
/// or >0. Text that is not a GUID falls back to case-insensitive text order.
int compare_guid_sql(std::string_view a, std::string_view b);

/// Ascending `$orderby` comparison of two property values of a column of `kind` (nullptr =
/// absent = null). Nulls first; GUID columns (uniqueidentifier, lookup, owner) in SQL GUID
/// order; strings case-insensitive; numbers numerically; false < true; datetimes as text
/// (UtcMs text orders chronologically; the store is expected to keep UtcMs). Values of different
/// JSON kinds order by kind (null < boolean < number < string < other) so a forged cursor cannot
/// break the order.
int compare_values(attribute_kind kind, const json::value* a, const json::value* b);

/// The primary id a `$filter` pins with `<primary id> eq <GUID>` (canonical lower case), so the
/// store can hand select_page just that row from its id index instead of every row (a scan is
/// memory-bound at roughly 1 µs per row); nullopt when the filter pins none.
std::optional<std::string> pinned_primary_id(const table_def& table, const collection_query& query);

struct page_result {
  std::vector<const row*> rows;
  std::optional<std::string> next_skiptoken;
};

/// One page: filter, order, resume strictly after the `$skiptoken` cursor (keyset: the last
/// row's order-key values ending with its primary id, so rows changed or removed behind the
/// cursor never shift later pages), then cut to the page size: `max_page_size` when given
/// (`$top` ignored) with a token when more rows follow; else `$top` without a token; else 5000
/// with a token when more rows follow. A `max_page_size` < 1 counts as absent. One pass over
/// `all_rows` with a bounded heap of page size + 1 rows, so small pages never sort everything.
/// Throws bad_request for a skiptoken that does not fit this query.
page_result select_page(const table_def& table, const std::vector<const row*>& all_rows,
                        const collection_query& query, std::optional<std::int64_t> max_page_size);

/// A row as the response shows it: `"@odata.etag"` first, then the properties in sorted order —
/// every stored property without `$select`, else exactly the selected ones (unset → null).
json::value project_row(const table_def& table, const row& r,
                        const std::optional<std::vector<std::string>>& select);

// ---- Prefer ---------------------------------------------------------------------------------

struct preferences {
  std::optional<std::int64_t> max_page_size;  ///< only when 1–5000; other values are ignored
  bool return_representation = false;
  bool continue_on_error = false;
};

/// Parses a `Prefer` value (several comma-separated preferences; repeated headers joined with
/// `,` by the caller). Names are case-insensitive, values may be quoted, `;` parameters are
/// ignored, and so are unknown or malformed preferences (RFC 7240 §2: a server ignores what it
/// does not understand) — an out-of-range `odata.maxpagesize` is therefore simply not applied.
/// `odata.continue-on-error` and OData 4.01's `continue-on-error` both count.
preferences parse_prefer(std::string_view header_value);

}  // namespace opencloser::emulator
