#include "emulator/http_types.hpp"

#include "adapters/json/json.hpp"

namespace opencloser::emulator {

std::string joined_header(const header_list& headers, std::string_view name) {
  std::string joined;
  for (const auto& [key, value] : headers)
    if (ascii_iequals(key, name)) joined += (joined.empty() ? "" : ",") + value;
  return joined;
}

void http_response::set_header(std::string name, std::string value) {
  for (auto& [key, old] : headers)
    if (ascii_iequals(key, name)) {
      old = std::move(value);
      return;
    }
  headers.emplace_back(std::move(name), std::move(value));
}

http_response json_response(int status, std::string body) {
  http_response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json; odata.metadata=minimal");
  r.body = std::move(body);
  return r;
}

http_response error_response(int status, std::string_view code, std::string_view message) {
  std::string body = "{\"error\":{\"code\":";
  json::append_escaped(body, code);
  body += ",\"message\":";
  json::append_escaped(body, message);
  body += "}}";
  return json_response(status, std::move(body));
}

}  // namespace opencloser::emulator
