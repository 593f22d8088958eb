#pragma once
// OData `$batch` on the emulator's side (emulator.md §4): parses a request body into
// operations, runs them through a callback (change-set atomicity, Content-ID references,
// continue-on-error) and renders the multipart response. The wire format itself (framing,
// the product's writer and response reader) is adapters/dataverse/batch_multipart.hpp, so
// both ends speak one implementation. Pure text processing: no HTTP, no store, no I/O.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/dataverse/batch_multipart.hpp"
#include "emulator/http_types.hpp"
#include "emulator/schema.hpp"

namespace opencloser::emulator {

// The shared wire types, under the names the emulator's callers and tests use.
using dataverse::batch_operation;
using dataverse::parse_batch_response;  // lets tests read the emulator's answers
using dataverse::parsed_batch_response_part;

/// A top-level part: one operation, or a change set of one or more operations.
struct batch_part {
  bool is_changeset = false;
  std::vector<batch_operation> operations;
};

/// Most operations one batch may hold, change-set members included (Dataverse's limit).
inline constexpr std::size_t max_batch_operations = 1000;

/// Parses a `$batch` request body. `content_type` is the request's Content-Type
/// (`multipart/mixed; boundary=…`, boundary quoted or not). Lines may end in CRLF or bare LF.
/// Throws bad_request (emulator/schema.hpp) for: a missing/invalid boundary, malformed parts
/// (no closing delimiter, no blank line after part headers, bad header or request line), a
/// GET or nested change set inside a change set, an empty change set, a Content-ID repeated
/// within a change set, more than max_batch_operations operations, and part content types
/// other than application/http and multipart/mixed (or a transfer encoding other than
/// binary/7bit/8bit).
std::vector<batch_part> parse_batch(std::string_view content_type, std::string_view body);

/// An operation's response as the router produced it.
struct operation_result {
  int status = 0;
  header_list headers;
  std::string body;
};

/// The Dataverse error answer of `error` as an operation result: its status,
/// `Content-Type: application/json; odata.metadata=minimal`, `OData-Version: 4.0` and
/// `{"error":{"code":…,"message":…}}`.
operation_result error_result(const web_error& error);

/// What the lead supplies. `execute` runs one operation (its URL and `@odata.bind` values
/// already with `$n` references resolved) and returns its response; it may also throw
/// web_error, which becomes that operation's error result. `begin`/`commit`/`rollback`
/// bracket a change set in the store (empty functions are skipped).
struct batch_executor {
  std::function<operation_result(const batch_operation& op, std::size_t inner_index)> execute;
  std::function<void()> begin_changeset, commit_changeset, rollback_changeset;
  std::function<std::string()> new_boundary_id;  ///< a GUID string per response boundary
};

/// The envelope: status, `multipart/mixed; boundary=batchresponse_<guid>` and the body.
struct batch_response {
  int status = 200;
  std::string content_type;
  std::string body;
};

/// Runs the parts in order (emulator.md §4). `inner_index` is the operation's position in
/// the whole batch, counted from 0 across change sets. Content-ID references (`$<n>` at the
/// start of a URL, or as an `@odata.bind` value) resolve against earlier operations of the
/// same change set, to the entity URL of that operation's result (`OData-EntityId`, else
/// `Location`, else its own URL when that addresses an entity); anything else fails the
/// operation with 400 `Content-ID Reference: '$<n>' does not exist in the batch context.`.
/// A failure (status >= 400) inside a change set calls rollback_changeset and the change set
/// answers with that one failure part. Without `continue_on_error` the first failure ends
/// the batch: envelope status = its status, body = that one part. With it the envelope is 200
/// and processing continues with the next part. An exception other than web_error from the
/// executor rolls back an open change set and propagates.
batch_response run_batch(const std::vector<batch_part>& parts, bool continue_on_error,
                         const batch_executor& exec);

/// Whether a `Prefer` header value asks for `odata.continue-on-error` (also `=true`; `=false`
/// says no). Preferences are comma-separated and compared case-insensitively.
bool prefers_continue_on_error(std::string_view prefer_header);

/// An operation URL relative to the service root `/api/data/v9.2/`: strips
/// `scheme://host` and the root path (`https://h/api/data/v9.2/tasks(1)` → `tasks(1)`,
/// `/api/data/v9.2/tasks` → `tasks`, `tasks` → `tasks`); nullopt for a path outside the root.
std::optional<std::string> service_relative_url(std::string_view url);

}  // namespace opencloser::emulator
