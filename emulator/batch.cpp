#include "emulator/batch.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>
#include <set>
#include <utility>

#include "adapters/json/json.hpp"

namespace opencloser::emulator {

namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::string_view service_root_path = "/api/data/v9.2/";

// HTTP and MIME tokens are ASCII and case-insensitive; std::tolower would consult the locale.
char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = ascii_lower(c);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Line breaks after a body belong to the multipart framing, not to the payload.
std::string_view trim_trailing_line_breaks(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool is_token_char(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Reads a text line by line, accepting CRLF and bare LF; the last line may lack a break.
class line_reader {
 public:
  explicit line_reader(std::string_view text) : text_(text) {}

  std::optional<std::string_view> next() {
    if (pos_ >= text_.size()) return std::nullopt;
    const auto nl = text_.find('\n', pos_);
    std::string_view line;
    if (nl == std::string_view::npos) {
      line = text_.substr(pos_);
      pos_ = text_.size();
    } else {
      line = text_.substr(pos_, nl - pos_);
      pos_ = nl + 1;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }

  std::string_view rest() const {
    return pos_ >= text_.size() ? std::string_view{} : text_.substr(pos_);
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// ---- MIME framing (RFC 2046 §5.1), shared by the server and client sides ----

struct media_type {
  std::string type;                                         ///< lower-case `type/subtype`
  std::vector<std::pair<std::string, std::string>> params;  ///< lower-case names, unquoted values

  std::optional<std::string_view> param(std::string_view name) const {
    for (const auto& [n, v] : params)
      if (n == name) return std::string_view(v);
    return std::nullopt;
  }
};

media_type parse_media_type(std::string_view text) {
  media_type out;
  const auto semi = text.find(';');
  out.type = lower(trim(text.substr(0, semi)));
  if (out.type.empty()) throw batch_format_error("empty Content-Type");
  std::size_t pos = semi == std::string_view::npos ? text.size() : semi + 1;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    if (pos >= text.size()) break;
    const auto eq = text.find('=', pos);
    if (eq == std::string_view::npos)
      throw batch_format_error("malformed Content-Type parameter in '" + std::string(text) + "'");
    const auto name = trim(text.substr(pos, eq - pos));
    if (!is_token(name))
      throw batch_format_error("malformed Content-Type parameter in '" + std::string(text) + "'");
    pos = eq + 1;
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    std::string value;
    if (pos < text.size() && text[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < text.size()) {
        const char c = text[pos++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && pos < text.size()) {
          value += text[pos++];
        } else {
          value += c;
        }
      }
      if (!closed)
        throw batch_format_error("unterminated quoted parameter in Content-Type '" +
                                 std::string(text) + "'");
      while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
      if (pos < text.size() && text[pos] != ';')
        throw batch_format_error("malformed Content-Type parameter in '" + std::string(text) + "'");
    } else {
      const auto end = std::min(text.find(';', pos), text.size());
      value = std::string(trim(text.substr(pos, end - pos)));
      pos = end;
    }
    if (pos < text.size() && text[pos] == ';') ++pos;
    out.params.emplace_back(lower(name), std::move(value));
  }
  return out;
}

/// RFC 2046 boundary: 1–70 of `bchars`, not ending in a space.
bool is_valid_boundary(std::string_view b) {
  constexpr std::string_view extra = "'()+_,-./:=? ";
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  return std::all_of(b.begin(), b.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

/// The boundary of a `multipart/mixed` Content-Type.
std::string multipart_boundary(std::string_view content_type) {
  const auto mt = parse_media_type(content_type);
  if (mt.type != "multipart/mixed")
    throw batch_format_error("Content-Type must be multipart/mixed, got '" +
                             std::string(content_type) + "'");
  const auto boundary = mt.param("boundary");
  if (!boundary)
    throw batch_format_error("Content-Type '" + std::string(content_type) + "' has no boundary");
  if (!is_valid_boundary(*boundary))
    throw batch_format_error("invalid multipart boundary '" + std::string(*boundary) + "'");
  return std::string(*boundary);
}

/// The body parts between `--boundary` delimiter lines, up to the required `--boundary--`.
/// The preamble and epilogue are ignored; the line break before a delimiter belongs to it.
std::vector<std::string_view> split_multipart(std::string_view body, std::string_view boundary) {
  const std::string open = "--" + std::string(boundary);
  const std::string close = open + "--";
  std::vector<std::string_view> parts;
  std::optional<std::size_t> content_start;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const auto line_start = pos;
    const auto nl = body.find('\n', pos);
    const auto line_end = nl == std::string_view::npos ? body.size() : nl;
    pos = nl == std::string_view::npos ? body.size() : nl + 1;
    auto line = body.substr(line_start, line_end - line_start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = trim(line);  // transport padding after a delimiter is allowed
    const bool is_close = line == close;
    if (!is_close && line != open) continue;
    if (content_start) {
      auto end = line_start;
      if (end > *content_start && body[end - 1] == '\n') --end;
      if (end > *content_start && body[end - 1] == '\r') --end;
      parts.push_back(body.substr(*content_start, end - *content_start));
    }
    if (is_close) return parts;
    content_start = pos;
  }
  if (!content_start) throw batch_format_error("no '" + open + "' delimiter found");
  throw batch_format_error("missing the closing delimiter '" + close + "'");
}

std::pair<std::string, std::string> parse_header_line(std::string_view line,
                                                      const std::string& where) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
    throw batch_format_error(where + ": malformed header line '" + std::string(line.substr(0, 80)) +
                             "'");
  return {std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1)))};
}

/// A body part split into its MIME headers and its content (after the blank line).
struct mime_part {
  header_list headers;
  std::string_view content;
};

mime_part split_part_headers(std::string_view part, const std::string& where) {
  line_reader lines(part);
  mime_part out;
  while (true) {
    const auto line = lines.next();
    if (!line) throw batch_format_error(where + ": no blank line after the part headers");
    if (line->empty()) break;
    out.headers.push_back(parse_header_line(*line, where));
  }
  out.content = lines.rest();
  return out;
}

/// application/http parts carry the message as is; an encoding we would have to decode is
/// not supported.
void check_transfer_encoding(const mime_part& part, const std::string& where) {
  const auto enc = find_header(part.headers, "Content-Transfer-Encoding");
  if (enc && !iequals(*enc, "binary") && !iequals(*enc, "8bit") && !iequals(*enc, "7bit"))
    throw batch_format_error(where + ": unsupported Content-Transfer-Encoding '" +
                             std::string(*enc) + "'");
}

media_type part_media_type(const mime_part& part, const std::string& where) {
  const auto ct = find_header(part.headers, "Content-Type");
  if (!ct) throw batch_format_error(where + ": no Content-Type header");
  try {
    return parse_media_type(*ct);
  } catch (const batch_format_error& e) {
    throw batch_format_error(where + ": " + e.what());
  }
}

/// Headers after a start line, up to a blank line or the end (a message without a body may
/// omit the blank line); the rest, without trailing line breaks, is the body.
void read_message_headers_and_body(line_reader& lines, header_list& headers, std::string& body,
                                   const std::string& where) {
  while (const auto line = lines.next()) {
    if (line->empty()) {
      body = std::string(trim_trailing_line_breaks(lines.rest()));
      return;
    }
    headers.push_back(parse_header_line(*line, where));
  }
}

// ---- request side ----

batch_operation parse_operation(const mime_part& part, const std::string& where) {
  line_reader lines(part.content);
  auto request_line = lines.next();
  while (request_line && request_line->empty())
    request_line = lines.next();  // tolerate extra blank lines
  if (!request_line) throw batch_format_error(where + ": no request line");

  const auto sp1 = request_line->find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : request_line->find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || request_line->find(' ', sp2 + 1) != std::string_view::npos)
    throw batch_format_error(where + ": malformed request line '" +
                             std::string(request_line->substr(0, 80)) +
                             "' (expected '<METHOD> <URL> HTTP/1.1')");
  batch_operation op;
  op.method = std::string(request_line->substr(0, sp1));
  op.url = std::string(request_line->substr(sp1 + 1, sp2 - sp1 - 1));
  const auto version = request_line->substr(sp2 + 1);
  const bool method_ok =
      !op.method.empty() &&
      std::all_of(op.method.begin(), op.method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!method_ok || op.url.empty() || !version.starts_with("HTTP/"))
    throw batch_format_error(where + ": malformed request line '" +
                             std::string(request_line->substr(0, 80)) +
                             "' (expected '<METHOD> <URL> HTTP/1.1')");

  read_message_headers_and_body(lines, op.headers, op.body, where);

  // Early OData clients put Content-ID among the request headers; the MIME header wins.
  auto content_id = find_header(part.headers, "Content-ID");
  if (!content_id) content_id = find_header(op.headers, "Content-ID");
  if (content_id) {
    if (content_id->empty()) throw batch_format_error(where + ": empty Content-ID");
    op.content_id = std::string(*content_id);
  }
  return op;
}

std::vector<batch_part> parse_batch_text(std::string_view content_type, std::string_view body) {
  std::string boundary;
  try {
    boundary = multipart_boundary(content_type);
  } catch (const batch_format_error& e) {
    throw batch_format_error(std::string("Invalid $batch Content-Type: ") + e.what());
  }
  std::vector<batch_part> out;
  std::size_t total = 0;
  const auto count_operation = [&total] {
    if (++total > max_batch_operations)
      throw batch_format_error("The $batch request contains more than " +
                               std::to_string(max_batch_operations) + " operations.");
  };

  std::vector<std::string_view> parts;
  try {
    parts = split_multipart(body, boundary);
  } catch (const batch_format_error& e) {
    throw batch_format_error(std::string("Malformed $batch body: ") + e.what());
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto where = "$batch part " + std::to_string(i + 1);
    const auto part = split_part_headers(parts[i], where);
    check_transfer_encoding(part, where);
    const auto type = part_media_type(part, where);
    if (type.type == "application/http") {
      count_operation();
      out.push_back(batch_part{false, {parse_operation(part, where)}});
      continue;
    }
    if (type.type != "multipart/mixed")
      throw batch_format_error(where + ": unsupported part Content-Type '" + type.type + "'");

    const auto cs_boundary = type.param("boundary");
    if (!cs_boundary || !is_valid_boundary(*cs_boundary))
      throw batch_format_error(where + ": change set without a valid boundary");
    batch_part changeset{true, {}};
    std::set<std::string, std::less<>> content_ids;
    std::vector<std::string_view> inner;
    try {
      inner = split_multipart(part.content, *cs_boundary);
    } catch (const batch_format_error& e) {
      throw batch_format_error(where + ": malformed change set: " + e.what());
    }
    for (std::size_t j = 0; j < inner.size(); ++j) {
      const auto inner_where = where + ", change set part " + std::to_string(j + 1);
      const auto inner_part = split_part_headers(inner[j], inner_where);
      check_transfer_encoding(inner_part, inner_where);
      const auto inner_type = part_media_type(inner_part, inner_where);
      if (inner_type.type == "multipart/mixed")
        throw batch_format_error(inner_where + ": change sets cannot be nested");
      if (inner_type.type != "application/http")
        throw batch_format_error(inner_where + ": unsupported part Content-Type '" +
                                 inner_type.type + "'");
      count_operation();
      auto op = parse_operation(inner_part, inner_where);
      if (op.method == "GET")
        throw batch_format_error(inner_where +
                                 ": GET requests are not allowed inside a change set");
      if (op.content_id && !content_ids.insert(*op.content_id).second)
        throw batch_format_error(inner_where + ": Content-ID '" + *op.content_id +
                                 "' is repeated in the change set");
      changeset.operations.push_back(std::move(op));
    }
    if (changeset.operations.empty())
      throw batch_format_error(where + ": the change set has no operations");
    out.push_back(std::move(changeset));
  }
  return out;
}

// ---- running ----

/// Content-IDs declared so far in the current change set → the entity URL of their result
/// (nullopt when the result named no entity).
using reference_context = std::vector<std::pair<std::string, std::optional<std::string>>>;

struct reference_match {
  std::string name;       ///< `$<n>`
  std::string_view rest;  ///< what follows it (`/…`, `?…` or nothing)
};

/// `$<digits>` at the start of `text`, followed by nothing, `/` or `?`.
std::optional<reference_match> match_reference(std::string_view text) {
  if (text.size() < 2 || text[0] != '$' || !is_digit(text[1])) return std::nullopt;
  std::size_t end = 1;
  while (end < text.size() && is_digit(text[end])) ++end;
  if (end < text.size() && text[end] != '/' && text[end] != '?') return std::nullopt;
  return reference_match{std::string(text.substr(0, end)), text.substr(end)};
}

struct undeclared_reference {
  std::string name;
};

/// The entity URL `ref` stands for; throws undeclared_reference when there is none.
const std::string& lookup_reference(const reference_match& ref, const reference_context* context) {
  if (context) {
    const std::string_view id = std::string_view(ref.name).substr(1);
    for (const auto& [declared, url] : *context)
      if (declared == id && url) return *url;
  }
  throw undeclared_reference{ref.name};
}

/// Rewrites `$n` values of top-level `…@odata.bind` members; leaves the text alone unless
/// one was replaced (and when it is not JSON: the executor reports that).
void resolve_bind_references(std::string& body, const reference_context* context) {
  if (body.find("@odata.bind") == std::string::npos || body.find("\"$") == std::string::npos)
    return;
  json::value doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error&) {
    return;
  }
  if (!doc.is_object()) return;
  bool changed = false;
  const auto resolve = [&](const json::value& v) -> json::value {
    const auto ref = v.is_string() ? match_reference(v.as_string()) : std::nullopt;
    if (!ref) return v;
    changed = true;
    return json::value(lookup_reference(*ref, context) + std::string(ref->rest));
  };
  // Rebuilt through the const accessors: the document is small and order is kept.
  json::object rewritten;
  for (const auto& [key, v] : std::as_const(doc).as_object()) {
    if (!std::string_view(key).ends_with("@odata.bind")) {
      rewritten.emplace_back(key, v);
    } else if (v.is_array()) {
      json::array items;
      for (const auto& item : v.as_array()) items.push_back(resolve(item));
      rewritten.emplace_back(key, json::value(std::move(items)));
    } else {
      rewritten.emplace_back(key, resolve(v));
    }
  }
  if (changed) body = json::write_compact(json::value(std::move(rewritten)));
}

/// The URL a later `$n` stands for: `OData-EntityId`, else `Location`, else the request's
/// own URL when it addresses one entity (`…(<key>)`, e.g. a PATCH or DELETE).
std::optional<std::string> entity_url_of(const operation_result& result,
                                         std::string_view request_url) {
  if (const auto id = find_header(result.headers, "OData-EntityId"); id && !id->empty())
    return std::string(*id);
  if (const auto loc = find_header(result.headers, "Location"); loc && !loc->empty())
    return std::string(*loc);
  const auto path = request_url.substr(0, request_url.find('?'));
  if (!path.empty() && path.back() == ')') return std::string(path);
  return std::nullopt;
}

bool failed(const operation_result& r) {
  return r.status >= 400;
}

void append_operation_part(std::string& out, std::string_view boundary, const operation_result& r,
                           const std::optional<std::string>& content_id) {
  out.append("--").append(boundary).append(crlf);
  out.append("Content-Type: application/http").append(crlf);
  out.append("Content-Transfer-Encoding: binary").append(crlf);
  if (content_id) out.append("Content-ID: ").append(*content_id).append(crlf);
  out.append(crlf);
  out.append("HTTP/1.1 ")
      .append(std::to_string(r.status))
      .append(" ")
      .append(reason_phrase(r.status))
      .append(crlf);
  for (const auto& [name, value] : r.headers)
    out.append(name).append(": ").append(value).append(crlf);
  out.append(crlf);
  out.append(r.body);
  out.append(crlf);  // belongs to the next delimiter
}

void append_close(std::string& out, std::string_view boundary) {
  out.append("--").append(boundary).append("--").append(crlf);
}

class batch_runner {
 public:
  batch_runner(bool continue_on_error, const batch_executor& exec)
      : continue_on_error_(continue_on_error),
        exec_(exec),
        boundary_("batchresponse_" + exec.new_boundary_id()) {}

  batch_response run(const std::vector<batch_part>& parts) {
    for (const auto& part : parts) {
      const bool keep_going = part.is_changeset ? run_changeset(part) : run_single(part);
      if (!keep_going) return *stopped_;
    }
    append_close(body_, boundary_);
    return {200, content_type(), std::move(body_)};
  }

 private:
  std::string content_type() const { return "multipart/mixed; boundary=" + boundary_; }

  struct executed {
    operation_result result;
    std::string url;  ///< the URL it ran with, references resolved
  };

  /// Runs one operation, with its references resolved against `context`.
  executed execute(const batch_operation& op, const reference_context* context) {
    const auto index = next_index_++;
    batch_operation resolved = op;
    try {
      if (const auto ref = match_reference(resolved.url))
        resolved.url = lookup_reference(*ref, context) + std::string(ref->rest);
      resolve_bind_references(resolved.body, context);
    } catch (const undeclared_reference& u) {
      return {error_result(bad_request("Content-ID Reference: '" + u.name +
                                       "' does not exist in the batch context.")),
              op.url};
    }
    try {
      return {exec_.execute(resolved, index), std::move(resolved.url)};
    } catch (const web_error& e) {
      return {error_result(e), std::move(resolved.url)};
    }
  }

  /// Ends the batch with one failure part; returns false for the caller to stop.
  bool stop(const operation_result& r, const std::optional<std::string>& content_id) {
    std::string body;
    append_operation_part(body, boundary_, r, content_id);
    append_close(body, boundary_);
    stopped_ = batch_response{r.status, content_type(), std::move(body)};
    return false;
  }

  bool run_single(const batch_part& part) {
    for (const auto& op : part.operations) {
      const auto result = execute(op, nullptr).result;
      if (failed(result) && !continue_on_error_) return stop(result, op.content_id);
      append_operation_part(body_, boundary_, result, op.content_id);
    }
    return true;
  }

  bool run_changeset(const batch_part& part) {
    if (exec_.begin_changeset) exec_.begin_changeset();
    reference_context context;
    std::vector<operation_result> results;
    std::optional<std::size_t> failed_at;
    try {
      for (std::size_t i = 0; i < part.operations.size(); ++i) {
        const auto& op = part.operations[i];
        auto [result, url] = execute(op, &context);
        if (failed(result)) {
          failed_at = i;
          results.push_back(std::move(result));
          break;
        }
        if (op.content_id) context.emplace_back(*op.content_id, entity_url_of(result, url));
        results.push_back(std::move(result));
      }
    } catch (...) {
      if (exec_.rollback_changeset) exec_.rollback_changeset();
      throw;
    }

    if (failed_at) {
      if (exec_.rollback_changeset) exec_.rollback_changeset();
      next_index_ += part.operations.size() - *failed_at - 1;  // skipped ones keep their positions
      const auto& op = part.operations[*failed_at];
      if (!continue_on_error_) return stop(results.back(), op.content_id);
      append_operation_part(body_, boundary_, results.back(), op.content_id);
      return true;
    }

    if (exec_.commit_changeset) exec_.commit_changeset();
    const auto inner = "changesetresponse_" + exec_.new_boundary_id();
    body_.append("--").append(boundary_).append(crlf);
    body_.append("Content-Type: multipart/mixed; boundary=").append(inner).append(crlf);
    body_.append(crlf);
    for (std::size_t i = 0; i < results.size(); ++i)
      append_operation_part(body_, inner, results[i], part.operations[i].content_id);
    append_close(body_, inner);
    return true;
  }

  bool continue_on_error_;
  const batch_executor& exec_;
  std::string boundary_;
  std::string body_;
  std::size_t next_index_ = 0;
  std::optional<batch_response> stopped_;
};

// ---- client side ----

void parse_response_parts(std::string_view content, std::string_view boundary, int depth,
                          std::vector<parsed_batch_response_part>& out) {
  const auto parts = split_multipart(content, boundary);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto where = "response part " + std::to_string(out.size() + 1);
    const auto part = split_part_headers(parts[i], where);
    const auto type = part_media_type(part, where);
    if (type.type == "multipart/mixed" && depth == 0) {
      const auto inner = type.param("boundary");
      if (!inner || !is_valid_boundary(*inner))
        throw batch_format_error(where + ": change set without a valid boundary");
      parse_response_parts(part.content, *inner, depth + 1, out);
      continue;
    }
    if (type.type != "application/http")
      throw batch_format_error(where + ": unsupported part Content-Type '" + type.type + "'");

    line_reader lines(part.content);
    auto status_line = lines.next();
    while (status_line && status_line->empty()) status_line = lines.next();
    if (!status_line || !status_line->starts_with("HTTP/"))
      throw batch_format_error(where + ": no HTTP status line");
    const auto sp = status_line->find(' ');
    const auto code =
        sp == std::string_view::npos ? std::string_view{} : status_line->substr(sp + 1, 3);
    const bool code_ok = code.size() == 3 && std::all_of(code.begin(), code.end(), is_digit) &&
                         (status_line->size() == sp + 4 || (*status_line)[sp + 4] == ' ');
    if (!code_ok)
      throw batch_format_error(where + ": malformed status line '" +
                               std::string(status_line->substr(0, 80)) + "'");

    parsed_batch_response_part parsed;
    parsed.status = std::stoi(std::string(code));
    read_message_headers_and_body(lines, parsed.headers, parsed.body, where);
    if (const auto id = find_header(part.headers, "Content-ID"))
      parsed.content_id = std::string(*id);
    out.push_back(std::move(parsed));
  }
}

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

}  // namespace

std::vector<batch_part> parse_batch(std::string_view content_type, std::string_view body) {
  try {
    return parse_batch_text(content_type, body);
  } catch (const batch_format_error& e) {
    throw bad_request(e.what());
  }
}

operation_result error_result(const web_error& error) {
  const json::value doc(
      json::object{{"error", json::value(json::object{{"code", json::value(error.code)},
                                                      {"message", json::value(error.what())}})}});
  return operation_result{
      error.status,
      {{"Content-Type", "application/json; odata.metadata=minimal"}, {"OData-Version", "4.0"}},
      json::write_compact(doc)};
}

batch_response run_batch(const std::vector<batch_part>& parts, bool continue_on_error,
                         const batch_executor& exec) {
  return batch_runner(continue_on_error, exec).run(parts);
}

std::string_view reason_phrase(int status) {
  // The RFC 7231/6585 wording, as Beast writes it for top-level responses.
  static constexpr std::array<std::pair<int, std::string_view>, 27> phrases{{
      {200, "OK"},
      {201, "Created"},
      {202, "Accepted"},
      {204, "No Content"},
      {206, "Partial Content"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {304, "Not Modified"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {406, "Not Acceptable"},
      {408, "Request Timeout"},
      {409, "Conflict"},
      {410, "Gone"},
      {411, "Length Required"},
      {412, "Precondition Failed"},
      {413, "Payload Too Large"},
      {415, "Unsupported Media Type"},
      {429, "Too Many Requests"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
  }};
  for (const auto& [code, phrase] : phrases)
    if (code == status) return phrase;
  return "Unknown";
}

bool prefers_continue_on_error(std::string_view prefer_header) {
  std::size_t pos = 0;
  while (pos <= prefer_header.size()) {
    const auto comma = std::min(prefer_header.find(',', pos), prefer_header.size());
    auto pref = trim(prefer_header.substr(pos, comma - pos));
    pref = trim(pref.substr(0, pref.find(';')));  // preference parameters do not matter here
    const auto eq = pref.find('=');
    const auto name = trim(pref.substr(0, eq));
    if (iequals(name, "odata.continue-on-error") || iequals(name, "continue-on-error")) {
      if (eq == std::string_view::npos) return true;
      auto value = trim(pref.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      return iequals(value, "true");
    }
    pos = comma + 1;
  }
  return false;
}

std::optional<std::string> service_relative_url(std::string_view url) {
  std::string_view path = url;
  const auto scheme = url.find("://");
  const bool absolute =
      scheme != std::string_view::npos && scheme > 0 &&
      std::all_of(url.begin(), url.begin() + static_cast<std::ptrdiff_t>(scheme), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      });
  if (absolute) {
    const auto slash = url.find('/', scheme + 3);
    path = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
  }
  if (!path.starts_with('/')) return std::string(path);
  if (path.starts_with(service_root_path))
    return std::string(path.substr(service_root_path.size()));
  if (path == service_root_path.substr(0, service_root_path.size() - 1)) return std::string();
  return std::nullopt;
}

std::vector<parsed_batch_response_part> parse_batch_response(std::string_view content_type,
                                                             std::string_view body) {
  std::vector<parsed_batch_response_part> out;
  parse_response_parts(body, multipart_boundary(content_type), 0, out);
  return out;
}

std::string build_changeset_batch(std::string_view batch_boundary,
                                  std::string_view changeset_boundary,
                                  const std::vector<batch_operation>& ops) {
  if (ops.empty()) throw batch_format_error("a change set needs at least one operation");
  if (!is_valid_boundary(batch_boundary) || !is_valid_boundary(changeset_boundary) ||
      batch_boundary == changeset_boundary)
    throw batch_format_error("invalid $batch boundaries '" + std::string(batch_boundary) + "', '" +
                             std::string(changeset_boundary) + "'");
  const std::string batch_delim = "--" + std::string(batch_boundary);
  const std::string cs_delim = "--" + std::string(changeset_boundary);

  std::string out;
  out.append(batch_delim).append(crlf);
  out.append("Content-Type: multipart/mixed; boundary=").append(changeset_boundary).append(crlf);
  out.append(crlf);
  for (const auto& op : ops) {
    bool headers_ok = !has_line_break(op.method) && !has_line_break(op.url) &&
                      (!op.content_id || !has_line_break(*op.content_id));
    for (const auto& [name, value] : op.headers)
      headers_ok = headers_ok && is_token(name) && !has_line_break(value);
    if (!headers_ok)
      throw batch_format_error(
          "a $batch operation has a line break in its request line or headers");
    if (op.body.find(batch_delim) != std::string::npos ||
        op.body.find(cs_delim) != std::string::npos)
      throw batch_format_error("a $batch operation body contains a multipart delimiter");

    out.append(cs_delim).append(crlf);
    out.append("Content-Type: application/http").append(crlf);
    out.append("Content-Transfer-Encoding: binary").append(crlf);
    if (op.content_id) out.append("Content-ID: ").append(*op.content_id).append(crlf);
    out.append(crlf);
    out.append(op.method).append(" ").append(op.url).append(" HTTP/1.1").append(crlf);
    for (const auto& [name, value] : op.headers)
      out.append(name).append(": ").append(value).append(crlf);
    out.append(crlf);
    out.append(op.body).append(crlf);
  }
  out.append(cs_delim).append("--").append(crlf);
  out.append(batch_delim).append("--").append(crlf);
  return out;
}

}  // namespace opencloser::emulator
