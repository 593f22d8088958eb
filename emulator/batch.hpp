#pragma once
// OData `$batch` (emulator.md §4, dataverse.md §7.5): the multipart/mixed wire format on both
// sides. The emulator parses a request body into operations and runs them through a callback
// (change-set atomicity, Content-ID references, continue-on-error) and renders the multipart
// response; the product's client builds a change-set request and reads such a response.
// Pure text processing: no HTTP, no store, no I/O.

#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "emulator/http_types.hpp"
#include "emulator/schema.hpp"

namespace opencloser::emulator {



/// One HTTP request inside a batch, as written: `url` is absolute, host-relative
/// (`/api/data/v9.2/tasks`), relative to the service root (`tasks`) or a Content-ID reference
/// (`$1`). `body` has its trailing line breaks removed (they belong to the multipart framing).
struct batch_operation {
  std::string method;
  std::string url;
  header_list headers;
  std::string body;
  std::optional<std::string> content_id;  ///< the part's `Content-ID`
};

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

/// The RFC 7231 reason phrase (`OK`, `No Content`, `Precondition Failed`, …); `Unknown` for a
/// code it does not know.
std::string_view reason_phrase(int status);

/// Whether a `Prefer` header value asks for `odata.continue-on-error` (also `=true`; `=false`
/// says no). Preferences are comma-separated and compared case-insensitively.
bool prefers_continue_on_error(std::string_view prefer_header);

/// An operation URL relative to the service root `/api/data/v9.2/`: strips
/// `scheme://host` and the root path (`https://h/api/data/v9.2/tasks(1)` → `tasks(1)`,
/// `/api/data/v9.2/tasks` → `tasks`, `tasks` → `tasks`); nullopt for a path outside the root.
std::optional<std::string> service_relative_url(std::string_view url);

// ---- client side (the product's `$batch` mode, dataverse.md §7.5) ----

/// A multipart text the client cannot read (parse_batch_response) or a request it cannot
/// write (build_changeset_batch).
struct batch_format_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One operation's answer in a `$batch` response, change sets flattened in order.
struct parsed_batch_response_part {
  int status = 0;
  header_list headers;
  std::string body;  ///< trailing line breaks removed
  std::optional<std::string> content_id;
};

/// Reads a `$batch` response body (`content_type` = the envelope's Content-Type, which must
/// be multipart/mixed with a boundary). Throws batch_format_error when it is not one.
std::vector<parsed_batch_response_part> parse_batch_response(std::string_view content_type,
                                                             std::string_view body);

/// Writes a request body holding one change set with `ops` in order, CRLF line endings:
/// each part `Content-Type: application/http`, `Content-Transfer-Encoding: binary`,
/// `Content-ID` when set, blank line, `<METHOD> <URL> HTTP/1.1`, the op's headers verbatim
/// (the caller supplies Content-Type/If-Match), blank line, body. The request's Content-Type
/// is then `multipart/mixed; boundary="<batch_boundary>"`. Throws batch_format_error for an
/// invalid boundary or a body that contains a delimiter line.
std::string build_changeset_batch(std::string_view batch_boundary,
                                  std::string_view changeset_boundary,
                                  const std::vector<batch_operation>& ops);

}  // namespace opencloser::emulator
