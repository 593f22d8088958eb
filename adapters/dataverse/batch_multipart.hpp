#pragma once
// The OData `$batch` wire format (dataverse.md §7.5, emulator.md §4), one implementation for
// both ends: the product's client writes a change-set request and reads the multipart
// response; the emulator (emulator/batch.hpp) reads requests and writes responses with the
// same framing. RFC 2046 multipart/mixed (boundary from a Content-Type, parts split on CRLF
// or bare LF) whose `application/http` parts hold one HTTP message each: a request line or a
// status line, headers, blank line, body. Pure text processing: no HTTP, no I/O.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/http/http_headers.hpp"

namespace opencloser::dataverse {

/// Same shape as opencloser::http_headers (adapters/http/http_client.hpp) and
/// dataverse_requests.hpp's header_list.
using header_list = http_headers;

/// Multipart text that cannot be read, or a request that cannot be written.
struct batch_format_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

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

/// One operation's answer in a `$batch` response, change sets flattened in order.
struct parsed_batch_response_part {
  int status = 0;
  header_list headers;
  std::string body;  ///< trailing line breaks removed
  std::optional<std::string> content_id;
};

// ---- client side ---------------------------------------------------------------------------

/// Writes a request body holding one change set with `ops` in order, CRLF line endings:
/// each part `Content-Type: application/http`, `Content-Transfer-Encoding: binary`,
/// `Content-ID` when set, blank line, `<METHOD> <URL> HTTP/1.1`, the op's headers verbatim
/// (the caller supplies Content-Type/If-Match), blank line, body. The request's Content-Type
/// is then `multipart/mixed; boundary="<batch_boundary>"`. Throws batch_format_error for no
/// operations, invalid or equal boundaries, a line break in a request line or header, or a
/// body that contains a delimiter.
std::string build_changeset_batch(std::string_view batch_boundary,
                                  std::string_view changeset_boundary,
                                  const std::vector<batch_operation>& ops);

/// Reads a `$batch` response body (`content_type` = the envelope's Content-Type, which must
/// be multipart/mixed with a boundary). Throws batch_format_error when it is not one.
std::vector<parsed_batch_response_part> parse_batch_response(std::string_view content_type,
                                                             std::string_view body);

/// Whether `content_type` is `multipart/mixed` (any case, any parameters): a `$batch` answer
/// that is not is a plain error body. False for text that is not a media type at all.
bool is_multipart_mixed(std::string_view content_type);

/// The RFC 7231 reason phrase (`OK`, `No Content`, `Precondition Failed`, …); `Unknown` for a
/// code it does not know.
std::string_view reason_phrase(int status);

// ---- framing, shared with the emulator's parser and writer ----------------------------------

/// A Content-Type: lower-case `type/subtype` and its parameters.
struct media_type {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;  ///< lower-case names, unquoted values

  std::optional<std::string_view> param(std::string_view name) const;
};
/// Throws batch_format_error for an empty type or a malformed parameter.
media_type parse_media_type(std::string_view text);

/// RFC 2046 boundary: 1–70 of `bchars`, not ending in a space.
bool is_valid_boundary(std::string_view boundary);
/// The boundary of a `multipart/mixed` Content-Type (quoted or not); throws
/// batch_format_error for another type or a missing/invalid boundary.
std::string multipart_boundary(std::string_view content_type);

/// The body parts between `--boundary` delimiter lines, up to the required `--boundary--`.
/// The preamble and epilogue are ignored; the line break before a delimiter belongs to it.
/// Throws batch_format_error when there is no delimiter or no closing one.
std::vector<std::string_view> split_multipart(std::string_view body, std::string_view boundary);

/// A body part split into its MIME headers and its content (after the blank line).
struct mime_part {
  header_list headers;
  std::string_view content;
};
/// `where` names the part in error messages (`$batch part 2`).
mime_part split_part_headers(std::string_view part, const std::string& where);
/// The part's parsed Content-Type; throws batch_format_error when it has none.
media_type part_media_type(const mime_part& part, const std::string& where);
/// application/http parts carry the message as is: throws batch_format_error for a
/// Content-Transfer-Encoding other than binary/7bit/8bit.
void check_transfer_encoding(const mime_part& part, const std::string& where);

/// The request in an `application/http` part's content: `<METHOD> <URL> HTTP/x`, headers,
/// body (blank lines before the request line are skipped). `content_id` is left unset.
batch_operation read_request_message(std::string_view content, const std::string& where);
/// The response in an `application/http` part's content: `HTTP/x <3 digits> [reason]`,
/// headers, body. `content_id` is left unset.
parsed_batch_response_part read_status_message(std::string_view content, const std::string& where);

using opencloser::find_header;  // case-insensitive, adapters/http/http_headers.hpp

/// Writes one `application/http` part: delimiter, part headers (`Content-ID` when set), blank
/// line, `start_line`, `headers`, blank line, body, CRLF (which belongs to the next delimiter).
void append_http_part(std::string& out, std::string_view boundary,
                      const std::optional<std::string>& content_id, std::string_view start_line,
                      const header_list& headers, std::string_view body);
/// Writes the delimiter and headers that open a change set whose parts use `inner_boundary`.
void append_changeset_open(std::string& out, std::string_view boundary,
                           std::string_view inner_boundary);
/// Writes the closing `--boundary--` line.
void append_close_delimiter(std::string& out, std::string_view boundary);

using opencloser::ascii_iequals;
/// Removes spaces and tabs at both ends (HTTP's optional whitespace).
std::string_view trim_blanks(std::string_view s);

}  // namespace opencloser::dataverse
