#pragma once
// Reading Dataverse answers (dataverse.md §1, §3.2, §4, §6, §7): queue rows → QueueItem and
// baseline values, pre-query hits, created ids, OData error codes, "applied" checks, `$batch`
// outcomes and the metadata documents of §3.2. Pure: parsed JSON in, values or
// response_error (a secret-free detail; callers add their prefix, e.g. `queue loader error: `).

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/dataverse/resolved_mapping.hpp"
#include "adapters/json/json.hpp"
#include "messages/queue.hpp"
#include "messages/writeback.hpp"

namespace opencloser::dataverse {

struct response_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- generic ------------------------------------------------------------------------------

/// `error.code` of an OData error body; nullopt when the body is not such an object.
std::optional<std::string> odata_error_code(std::string_view body);
/// The duplicate-key answer of §7.2: `error.code` 0x80040237 with status 412 (or 400).
bool is_duplicate_key(int status, std::string_view body);

/// The `value` array of a collection answer; throws response_error when absent.
const json::array& collection_rows(const json::value& body);
/// `value[0]` or nullopt for an empty collection.
std::optional<json::value> first_row(const json::value& body);
/// A row's `@odata.etag`, nullopt when absent or not a string.
std::optional<std::string> row_etag(const json::value& row);

/// The created record's id (§1): from `OData-EntityId` (text between the last `(` and the
/// last `)`, quotes stripped), else a 201 body's `<primary_id>`; must be a GUID.
std::string created_record_id(std::optional<std::string_view> odata_entity_id, int status,
                              std::string_view body, std::string_view primary_id);

/// A key pre-query's hit: the record id, nullopt on a miss; a hit without a GUID id throws.
std::optional<std::string> prequery_hit_id(const json::value& body, std::string_view primary_id);
/// `statecode` of a row (null/absent → nullopt).
std::optional<std::int64_t> row_statecode(const json::value& row);

// ---- queue rows (§4, §6, §7.1) -----------------------------------------------------------

/// The values a later step compares against (§6 claim re-read, §7.1 pre-write read).
struct row_baseline {
  std::optional<std::string> etag;
  json::value status;                                         ///< raw option value
  json::value last_session_id;                                ///< string or null
  json::value last_disposition;                               ///< null when unmapped
  std::vector<std::pair<std::string, json::value>> preserve;  ///< mapping order; absent = null
  json::value phone, timezone, attempt_count, dnc;            ///< eligibility inputs
  bool operator==(const row_baseline&) const = default;
};

struct loaded_queue_row {
  queue_item item;  ///< facility_name still empty: see facility_name_from
  std::optional<std::string> facility_account_id;  ///< the lookup value, if any
  std::optional<std::string> owner_override;       ///< the override column, null/"" → nullopt
  row_baseline baseline;
};

/// Row → QueueItem (§4): GUID primary id, phone/timezone string or null, attempts integer ≥ 0
/// (null → 0), DNC truthiness (null → false), status by reverse option lookup.
loaded_queue_row parse_queue_row(const resolved_mapping& m, const json::value& row);
row_baseline baseline_from_row(const resolved_mapping& m, const json::value& row);
/// Reverse option lookup: the first `queue_status.*` option (document order) of
/// `queue.status` with that value.
callable_status status_from_value(const resolved_mapping& m, const json::value& value);
/// The facility-name answer: the primary-name column, else `raw_id`.
std::string facility_name_from(const resolved_mapping& m, const json::value& body,
                               std::string_view raw_id);

/// The claim is applied: status = in_progress option and last session = `session_id`.
bool claim_applied(const resolved_mapping& m, const json::value& row, std::string_view session_id);
/// The final status update is applied (domain.md §10): status = target option, last session =
/// this session and (if mapped) last disposition = transition_reason.
bool status_update_applied(const resolved_mapping& m, const json::value& row,
                           const queue_status_update& update);
/// §7.1 (3): the logical columns whose re-read value differs from the baseline, in the order
/// status, last session, preserve columns (mapping order).
std::vector<std::string> baseline_conflicts(const resolved_mapping& m, const row_baseline& baseline,
                                            const json::value& row);

// ---- $batch (§7.5) -----------------------------------------------------------------------

struct operation_answer {
  int status = 0;
  std::string body;
};
struct batch_outcome {
  int status = 0;        ///< the first non-2xx inner status, else the envelope status
  std::string body;      ///< that part's body (or the envelope's)
  bool success = false;  ///< envelope 200 and a 2xx part per operation
};
/// `parts` = the parsed multipart answer (empty when the body was a plain JSON error).
batch_outcome batch_result(int envelope_status, std::string_view envelope_body,
                           const std::vector<operation_answer>& parts, std::size_t operations_sent);
/// The same from the raw answer (§7.5): a multipart/mixed body is parsed with
/// batch_multipart.hpp's parse_batch_response whatever the status; any other Content-Type is a
/// plain error body (no parts). Throws response_error for multipart text it cannot read.
batch_outcome batch_answer_outcome(int envelope_status, std::string_view content_type,
                                   std::string_view body, std::size_t operations_sent);

// ---- metadata (§3.2) ---------------------------------------------------------------------

struct entity_definition {
  std::string logical_name;
  std::string entity_set_name;
  std::string primary_id_attribute;
  std::string primary_name_attribute;  ///< "" when null
};
entity_definition parse_entity_definition(const json::value& body);
/// (LogicalName, AttributeType) in answer order.
std::vector<std::pair<std::string, std::string>> parse_attributes(const json::value& body);
/// `OptionSet.Options[].Value`, or `GlobalOptionSet.Options[].Value` when OptionSet is null
/// or has no options.
std::vector<std::int64_t> parse_option_values(const json::value& body);
/// The first relationship's ReferencingEntityNavigationPropertyName; nullopt when empty.
std::optional<std::string> parse_regarding_navigation(const json::value& body);

}  // namespace opencloser::dataverse
