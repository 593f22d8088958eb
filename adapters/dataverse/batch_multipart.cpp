#include "adapters/dataverse/batch_multipart.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace opencloser::dataverse {

namespace {

constexpr std::string_view crlf = "\r\n";

// std::tolower would consult the locale; MIME and HTTP words are ASCII.
char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = ascii_lower(c);
  return out;
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

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
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

  /// The first non-empty line (extra blank lines before a start line are tolerated).
  std::optional<std::string_view> next_non_empty() {
    auto line = next();
    while (line && line->empty()) line = next();
    return line;
  }

  std::string_view rest() const {
    return pos_ >= text_.size() ? std::string_view{} : text_.substr(pos_);
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::pair<std::string, std::string> parse_header_line(std::string_view line,
                                                      const std::string& where) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
    throw batch_format_error(where + ": malformed header line '" + std::string(line.substr(0, 80)) +
                             "'");
  return {std::string(line.substr(0, colon)), std::string(trim_blanks(line.substr(colon + 1)))};
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

void parse_response_parts(std::string_view content, std::string_view boundary, int depth,
                          std::vector<parsed_batch_response_part>& out) {
  const auto parts = split_multipart(content, boundary);
  for (const auto& text : parts) {
    const auto where = "response part " + std::to_string(out.size() + 1);
    const auto part = split_part_headers(text, where);
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
    auto parsed = read_status_message(part.content, where);
    if (const auto id = find_header(part.headers, "Content-ID"))
      parsed.content_id = std::string(*id);
    out.push_back(std::move(parsed));
  }
}

}  // namespace

// ---- small helpers --------------------------------------------------------------------------

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ---- MIME framing (RFC 2046 §5.1) -----------------------------------------------------------

std::optional<std::string_view> media_type::param(std::string_view name) const {
  for (const auto& [n, v] : params)
    if (n == name) return std::string_view(v);
  return std::nullopt;
}

media_type parse_media_type(std::string_view text) {
  const auto malformed = [&] {
    return batch_format_error("malformed Content-Type parameter in '" + std::string(text) + "'");
  };
  const auto skip_blanks = [&](std::size_t& pos) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  };
  media_type out;
  const auto semi = text.find(';');
  out.type = lower(trim_blanks(text.substr(0, semi)));
  if (out.type.empty()) throw batch_format_error("empty Content-Type");
  std::size_t pos = semi == std::string_view::npos ? text.size() : semi + 1;
  while (pos < text.size()) {
    skip_blanks(pos);
    if (pos >= text.size()) break;
    const auto eq = text.find('=', pos);
    if (eq == std::string_view::npos) throw malformed();
    const auto name = trim_blanks(text.substr(pos, eq - pos));
    if (!is_token(name)) throw malformed();
    pos = eq + 1;
    skip_blanks(pos);
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
      skip_blanks(pos);
      if (pos < text.size() && text[pos] != ';') throw malformed();
    } else {
      const auto end = std::min(text.find(';', pos), text.size());
      value = std::string(trim_blanks(text.substr(pos, end - pos)));
      pos = end;
    }
    if (pos < text.size() && text[pos] == ';') ++pos;
    out.params.emplace_back(lower(name), std::move(value));
  }
  return out;
}

bool is_multipart_mixed(std::string_view content_type) {
  try {
    return parse_media_type(content_type).type == "multipart/mixed";
  } catch (const batch_format_error&) {
    return false;
  }
}

bool is_valid_boundary(std::string_view boundary) {
  constexpr std::string_view extra = "'()+_,-./:=? ";
  if (boundary.empty() || boundary.size() > 70 || boundary.back() == ' ') return false;
  return std::all_of(boundary.begin(), boundary.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

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
    line = trim_blanks(line);  // transport padding after a delimiter is allowed
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

media_type part_media_type(const mime_part& part, const std::string& where) {
  const auto ct = find_header(part.headers, "Content-Type");
  if (!ct) throw batch_format_error(where + ": no Content-Type header");
  try {
    return parse_media_type(*ct);
  } catch (const batch_format_error& e) {
    throw batch_format_error(where + ": " + e.what());
  }
}

void check_transfer_encoding(const mime_part& part, const std::string& where) {
  const auto enc = find_header(part.headers, "Content-Transfer-Encoding");
  if (enc && !ascii_iequals(*enc, "binary") && !ascii_iequals(*enc, "8bit") &&
      !ascii_iequals(*enc, "7bit"))
    throw batch_format_error(where + ": unsupported Content-Transfer-Encoding '" +
                             std::string(*enc) + "'");
}

// ---- application/http messages ---------------------------------------------------------------

batch_operation read_request_message(std::string_view content, const std::string& where) {
  line_reader lines(content);
  const auto request_line = lines.next_non_empty();
  if (!request_line) throw batch_format_error(where + ": no request line");
  const auto malformed = [&] {
    return batch_format_error(where + ": malformed request line '" +
                              std::string(request_line->substr(0, 80)) +
                              "' (expected '<METHOD> <URL> HTTP/1.1')");
  };

  const auto sp1 = request_line->find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : request_line->find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || request_line->find(' ', sp2 + 1) != std::string_view::npos)
    throw malformed();
  batch_operation op;
  op.method = std::string(request_line->substr(0, sp1));
  op.url = std::string(request_line->substr(sp1 + 1, sp2 - sp1 - 1));
  const auto version = request_line->substr(sp2 + 1);
  const bool method_ok =
      !op.method.empty() &&
      std::all_of(op.method.begin(), op.method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!method_ok || op.url.empty() || !version.starts_with("HTTP/")) throw malformed();

  read_message_headers_and_body(lines, op.headers, op.body, where);
  return op;
}

parsed_batch_response_part read_status_message(std::string_view content, const std::string& where) {
  line_reader lines(content);
  const auto status_line = lines.next_non_empty();
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
  return parsed;
}

// ---- writing ---------------------------------------------------------------------------------

void append_http_part(std::string& out, std::string_view boundary,
                      const std::optional<std::string>& content_id, std::string_view start_line,
                      const header_list& headers, std::string_view body) {
  out.append("--").append(boundary).append(crlf);
  out.append("Content-Type: application/http").append(crlf);
  out.append("Content-Transfer-Encoding: binary").append(crlf);
  if (content_id) out.append("Content-ID: ").append(*content_id).append(crlf);
  out.append(crlf);
  out.append(start_line).append(crlf);
  for (const auto& [name, value] : headers)
    out.append(name).append(": ").append(value).append(crlf);
  out.append(crlf);
  out.append(body).append(crlf);  // the CRLF belongs to the next delimiter
}

void append_changeset_open(std::string& out, std::string_view boundary,
                           std::string_view inner_boundary) {
  out.append("--").append(boundary).append(crlf);
  out.append("Content-Type: multipart/mixed; boundary=").append(inner_boundary).append(crlf);
  out.append(crlf);
}

void append_close_delimiter(std::string& out, std::string_view boundary) {
  out.append("--").append(boundary).append("--").append(crlf);
}

// ---- client side -----------------------------------------------------------------------------

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
  append_changeset_open(out, batch_boundary, changeset_boundary);
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
    append_http_part(out, changeset_boundary, op.content_id, op.method + " " + op.url + " HTTP/1.1",
                     op.headers, op.body);
  }
  append_close_delimiter(out, changeset_boundary);
  append_close_delimiter(out, batch_boundary);
  return out;
}

std::vector<parsed_batch_response_part> parse_batch_response(std::string_view content_type,
                                                             std::string_view body) {
  std::vector<parsed_batch_response_part> out;
  parse_response_parts(body, multipart_boundary(content_type), 0, out);
  return out;
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

}  // namespace opencloser::dataverse
