#pragma once
// Turning a POST/PATCH body into row changes (emulator.md §3.3–§3.4): known columns only,
// values type-checked, `@odata.bind` resolved to `_<c>_value`, and the activity state rules
// of Dataverse (statecode/statuscode pairs, closed activities are read-only).

#include <string_view>

#include "adapters/json/json.hpp"
#include "emulator/schema.hpp"
#include "emulator/store.hpp"

namespace opencloser::emulator {

/// The property changes a body asks for. `create` selects the create rules for activities
/// (no statecode; statuscode of state 0; defaults filled in). Throws web_error (400, or 404
/// for a bind to a missing row).
row changes_from_body(const table_def& table, const json::value& body, const store& rows,
                      bool create);

/// 400 unless `value` fits the column's type (null always fits; lookups are not checked).
void check_column_value(const table_def& table, const attribute_def& column,
                        const json::value& value);

/// Update rules for activities against the current row: a state change must be an allowed
/// (statecode, statuscode) pair and fills the state's default status; a closed activity
/// rejects changes to any other column. No-op for other tables.
void check_activity_update(const table_def& table, row& changes, const row& current);

/// True iff `text` is an ISO 8601 date-time Dataverse accepts (`YYYY-MM-DD`,
/// `YYYY-MM-DDTHH:MM[:SS[.f+]](Z|±HH:MM)`), including UtcMs.
bool is_iso_datetime(std::string_view text);

/// 404 `0x80040217` `<table> With Id = <id> Does Not Exist`.
web_error row_not_found(const table_def& table, std::string_view id);

}  // namespace opencloser::emulator
