#pragma once
// The HTTP request and response as the emulator's handlers see them: plain strings, no Beast.
// The server (http_server.cpp) converts to and from Beast messages; everything else, and the
// unit tests, work on these.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/http/http_headers.hpp"

namespace opencloser::emulator {

using header_list = http_headers;
using opencloser::find_header;  // case-insensitive (adapters/http/http_headers.hpp)

/// Every value of a repeatable header joined with ',' (as HTTP allows), e.g. `Prefer`.
std::string joined_header(const header_list& headers, std::string_view name);

struct http_request {
  std::string method;
  std::string target;  ///< origin-form: path[?query], still percent-encoded
  header_list headers;
  std::string body;
  bool peer_is_loopback = true;

  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

struct http_response {
  int status = 200;
  header_list headers;
  std::string body;

  void set_header(std::string name, std::string value);
  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

/// `application/json; odata.metadata=minimal` response with `body`.
http_response json_response(int status, std::string body);
/// Dataverse error shape `{"error": {"code": …, "message": …}}`.
http_response error_response(int status, std::string_view code, std::string_view message);

}  // namespace opencloser::emulator
