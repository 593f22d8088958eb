// The admin API (emulator.md §7): `/_emulator/…` requests mapped onto the C++ API of
// emulator_core. No authentication; refused to any peer that is not on loopback.

#include <charconv>

#include "emulator/emulator_core.hpp"

namespace opencloser::emulator {

namespace {

http_response admin_json(int status, const json::value& body) {
  http_response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = json::write_compact(body);
  return r;
}

json::value body_json(const http_request& request) {
  try {
    return json::parse(request.body);
  } catch (const json::parse_error& e) {
    throw bad_request(std::string("The request body is not valid JSON (") + e.what() + ").");
  }
}

std::vector<std::string_view> segments_of(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

http_response emulator_core::handle_admin(request_ticket& t) {
  if (!t.request.peer_is_loopback)
    return error_response(403, "0x80040220", "The admin API answers loopback peers only.");
  const auto& method = t.request.method;
  const auto segments = segments_of(t.path);
  const auto route = segments.empty() ? std::string_view() : segments[0];
  if (route == "requests" && method == "GET") {
    std::uint64_t since = 0;
    for (const auto& [k, v] : t.params)
      if (k == "since") {
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), since);
        if (ec != std::errc() || end != v.data() + v.size())
          throw bad_request("'since' must be a sequence number.");
      }
    return admin_json(200, requests(since));
  }
  if (route == "state" && method == "GET") return admin_json(200, state());
  if (route == "faults" && segments.size() == 1) {
    if (method == "GET") return admin_json(200, faults());
    if (method == "DELETE") {
      clear_faults();
      return admin_json(200, json::object{{"cleared", true}});
    }
    if (method == "POST") {
      try {
        json::array ids;
        for (auto& id : add_faults(body_json(t.request))) ids.emplace_back(std::move(id));
        return admin_json(200, json::object{{"ids", std::move(ids)}});
      } catch (const fault_error& e) {
        throw bad_request(e.what());
      }
    }
  }
  if (route == "rows" && segments.size() == 2 && method == "POST")
    return admin_json(201, insert_row(segments[1], body_json(t.request)));
  if (route == "rows" && segments.size() == 3) {
    if (method == "PATCH")
      return admin_json(200, edit_row(segments[1], segments[2], body_json(t.request)));
    if (method == "DELETE") {
      if (!delete_row(segments[1], segments[2]))
        throw web_error(404, "0x80040217",
                        std::string(segments[1]) + " With Id = " + std::string(segments[2]) +
                            " Does Not Exist");
      return admin_json(200, json::object{{"deleted", true}});
    }
  }
  if (t.path == "tokens/expire" && method == "POST") {
    expire_tokens();
    return admin_json(200, json::object{{"expired", true}});
  }
  if (route == "config" && method == "PUT") {
    configure(body_json(t.request));
    return admin_json(200, json::object{{"configured", true}});
  }
  if (route == "reset" && method == "POST") {
    reset();
    return admin_json(200, json::object{{"reset", true}});
  }
  return error_response(404, "0x80060888",
                        "Unknown admin request " + method + " /_emulator/" + t.path);
}

}  // namespace opencloser::emulator
