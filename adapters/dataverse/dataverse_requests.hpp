#pragma once
// The exact Dataverse Web API requests the product sends (dataverse.md §3.2, §4, §6, §7), as
// pure values: method, URL relative to `<env>/api/data/v9.2/` (encoded as sent, and plain for
// http-plan.json), request-specific headers and body. No I/O: the actors hand these to the
// HTTP client with wire_headers(). Every id placed unquoted into a URL or `$filter` is checked
// with the GUID rule first (guid_error); names come from a resolved_mapping.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/dataverse/odata_encoding.hpp"
#include "adapters/dataverse/resolved_mapping.hpp"
#include "adapters/json/json.hpp"
#include "messages/queue.hpp"
#include "messages/writeback.hpp"

namespace opencloser::dataverse {

/// Same shape as opencloser::http_headers (adapters/http/http_client.hpp).
using header_list = std::vector<std::pair<std::string, std::string>>;

struct dataverse_request {
  std::string step;          ///< http-plan.json step name, or a descriptive name for others
  std::string method;        ///< GET | POST | PATCH
  std::string relative_url;  ///< relative to `<env>/api/data/v9.2/`, percent-encoded as sent
  std::string plan_url;      ///< the same, not percent-encoded (http-plan.json)
  header_list headers;       ///< request-specific: Content-Type, If-Match, Prefer, If-None-Match
  std::optional<json::value> json_body;
  std::string raw_body;  ///< `$batch` only (multipart text, CRLF)

  /// The bytes sent: compact JSON, the raw `$batch` text, or empty.
  std::string body_text() const;
};

/// The headers sent (dataverse.md §1): `Authorization: Bearer <token>`, `Accept`,
/// `OData-MaxVersion`, `OData-Version`, `User-Agent: opencloser/<version>`, then the request's
/// own headers. Never log the result: it holds the token.
header_list wire_headers(const dataverse_request& request, std::string_view bearer_token,
                         std::string_view product_version);
/// The same with `Authorization: Bearer <redacted>`, for http-plan.json.
header_list plan_headers(const dataverse_request& request, std::string_view product_version);

// ---- §3.2 verification (read-only) -------------------------------------------------------

dataverse_request entity_definition_request(std::string_view logical_name);
dataverse_request attributes_request(std::string_view logical_name);
/// The option-set read of `<table>.<column>` cast by its live AttributeType; nullopt when the
/// type is not Picklist/Status/State (the caller reports `is not an option set`).
std::optional<dataverse_request> option_set_request(std::string_view table, std::string_view column,
                                                    std::string_view attribute_type);
dataverse_request regarding_relationship_request(std::string_view activity_table,
                                                 std::string_view queue_table);
/// §7.4 owner checks: an enabled systemuser, then a non-access team.
dataverse_request owner_user_request(std::string_view owner_guid);
dataverse_request owner_team_request(std::string_view owner_guid);

// ---- §4 queue loader ------------------------------------------------------------------------

/// `<sel>`: sorted distinct properties of the primary id, the mapped queue columns, the
/// override column and the preserve columns (lookups as `_<c>_value`).
std::vector<std::string> queue_select(const resolved_mapping& m);

dataverse_request queue_load_by_id_request(const resolved_mapping& m, std::string_view queue_id);
/// Next ready row of `campaign`; with `page_size` (drain) no `$top` and
/// `Prefer: odata.maxpagesize=<n>`. Throws guid_error (`campaign '<c>' is not a GUID`) for a
/// lookup campaign column, std::invalid_argument for a non-integer/boolean campaign of such a
/// column, resolution_error when `queue.campaign`/`queue.next_attempt_at` is unmapped.
dataverse_request queue_next_ready_request(const resolved_mapping& m, std::string_view campaign,
                                           std::optional<std::int64_t> page_size = {});
/// Whether the campaign has any queue item at all (empty next-ready vs unknown campaign).
dataverse_request campaign_probe_request(const resolved_mapping& m, std::string_view campaign);
/// The `$filter` right-hand side of a campaign value for the mapped column's type.
std::string campaign_rhs(const resolved_mapping& m, std::string_view campaign);
/// Follows `@odata.nextLink` verbatim with the same Prefer header. `base_url` is
/// `<env>/api/data/v9.2/`. Throws std::invalid_argument when the link's origin (scheme and
/// host case-insensitive, default port = no port) or path prefix differs from the base.
dataverse_request next_page_request(std::string_view base_url, std::string_view next_link,
                                    std::int64_t page_size);
/// `GET <name table set>?$filter=<pk> eq <id>&$select=<primary name>&$top=1`.
dataverse_request facility_name_request(const resolved_mapping& m, std::string_view account_id);

// ---- §6 claim -------------------------------------------------------------------------------

/// `PATCH <queue set>(<id>)?$select=…` with If-Match (load ETag or `*`), return=representation
/// and the approved subset of {status: in_progress, last session: <sid>, attempts: n + 1}.
dataverse_request claim_request(const resolved_mapping& m, std::string_view queue_id,
                                std::string_view session_id,
                                const std::optional<std::string>& load_etag,
                                std::int64_t loaded_attempts);
/// The 412 re-read: §7.1's select plus phone, timezone, attempts and DNC.
dataverse_request claim_reread_request(const resolved_mapping& m, std::string_view queue_id);

// ---- §7 write-back --------------------------------------------------------------------------

/// §7.1 `GET <queue set>?$filter=<pk> eq <id>&$select=<pk, status, last session, last
/// disposition, preserve; sorted>&$top=1`.
dataverse_request pre_write_read_request(const resolved_mapping& m, std::string_view queue_id);

dataverse_request phone_call_prequery_request(const resolved_mapping& m,
                                              std::string_view session_id);
/// POST with the deterministic `<pk>` (UUIDv5 of the session), subject (summary, else
/// `Mock call — <disposition>`, cut to 200), description, times, direction, key column and the
/// regarding bind when resolved.
dataverse_request phone_call_create_request(const resolved_mapping& m,
                                            const phone_call_payload& payload);
/// Read-back after a duplicate-key answer: `GET <phone set>(<rid>)?$select=<pk>,statecode,<key>`.
dataverse_request phone_call_readback_request(const resolved_mapping& m,
                                              std::string_view record_id);
/// `PATCH <phone set>(<id>)`, `If-Match: *`, `{"statecode": 1, "statuscode": 2}`.
dataverse_request phone_call_close_request(const resolved_mapping& m, std::string_view record_id);
/// `GET <phone set>(<id>)?$select=statecode` (before resending the close, or after a 4xx).
dataverse_request phone_call_state_request(const resolved_mapping& m, std::string_view record_id);

/// §7.3 `PATCH <queue set>(<id>)` with `If-Match: <etag>` (`*` if null; the dry-run plan
/// passes `{{etag_after_claim}}`), body filtered to the approved set. `session_warning` is
/// this session's `non_e164_phone` warning, if any.
dataverse_request queue_status_update_request(
    const resolved_mapping& m, const queue_status_update& update,
    const std::optional<std::string>& etag,
    const std::optional<data_quality_warning>& session_warning);
/// The §7.3 `last_error` value: `blocked_by_…` reason plus ` (<W>)`, else `<W>`, else null.
json::value queue_last_error(const queue_status_update& update,
                             const std::optional<data_quality_warning>& session_warning);
/// §10 release of this session's claim: status ready, last disposition "failed", last error.
dataverse_request claim_release_request(const resolved_mapping& m, std::string_view queue_id,
                                        std::string_view session_id,
                                        const std::optional<std::string>& etag);

enum class owner_kind { systemuser, team };
/// `systemusers` | `teams`.
std::string_view owner_entity_set(owner_kind kind);

dataverse_request task_prequery_request(const resolved_mapping& m, std::string_view session_id);
/// POST with the deterministic `<pk>`, subject (cut to 200, else `Follow-up`), description,
/// key column, `ownerid@odata.bind` and the regarding bind when resolved. The owner is
/// `task.assigned_to`; throws guid_error when it is null or not a GUID.
dataverse_request task_create_request(const resolved_mapping& m, const task_payload& task,
                                      owner_kind owner);
/// The §7.4 description: callback window / email lines, review reason, or the subject.
std::string task_description(const task_payload& task);
dataverse_request task_readback_request(const resolved_mapping& m, std::string_view record_id);

/// §7.5: one `POST $batch` holding one change set of the given creates/updates as Content-IDs
/// 1…n (host-relative part URLs), boundaries `batch_<h>` / `changeset_<h>` from the session
/// id's hex, written by batch_multipart.hpp's build_changeset_batch. Throws
/// std::invalid_argument for a session id not `ses_<32 hex>`, a part that is not a POST/PATCH
/// with a JSON body, or a change set that cannot be framed (no operations, a line break in
/// an If-Match value).
dataverse_request batch_request(std::string_view session_id,
                                const std::vector<dataverse_request>& operations);

}  // namespace opencloser::dataverse
