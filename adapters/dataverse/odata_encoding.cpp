#include "adapters/dataverse/odata_encoding.hpp"

#include "actors/common/ids.hpp"

namespace opencloser::dataverse {

void require_guid(std::string_view value, std::string_view what) {
  if (!is_guid(value))
    throw guid_error(std::string(what) + " '" + std::string(value) + "' is not a GUID");
}

namespace {

bool is_unreserved(unsigned char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case '$':
    case '\'':
    case '(':
    case ')':
    case ',':
    case ':':
    case '@':
    case '/':
      return true;
    default:
      return false;
  }
}

void append_query(std::string& out, std::string_view name, std::string_view value, bool encode) {
  out += out.find('?') == std::string::npos ? '?' : '&';
  out.append(name).append("=");
  out += encode ? percent_encode(value) : std::string(value);
}

std::string assemble(std::string_view path, const query_options& q, bool encode) {
  std::string out(path);
  if (q.filter) append_query(out, "$filter", *q.filter, encode);
  if (q.select) append_query(out, "$select", *q.select, encode);
  if (q.expand) append_query(out, "$expand", *q.expand, encode);
  if (q.orderby) append_query(out, "$orderby", *q.orderby, encode);
  if (q.top) append_query(out, "$top", std::to_string(*q.top), encode);
  return out;
}

}  // namespace

std::string percent_encode(std::string_view value) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0x0F];
    }
  }
  return out;
}

std::string string_literal(std::string_view value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

relative_url make_url(std::string_view path, const query_options& query) {
  return {assemble(path, query, true), assemble(path, query, false)};
}

}  // namespace opencloser::dataverse
