// The test client's socket side: the only test translation unit that includes Beast/Asio.
// Every blocking operation is an async operation run on a private io_context with the
// stream's expiry set, so a server that never answers fails the test instead of hanging it.

#include "tests/emulator/http_test_client.hpp"

#include "actors/common/ids.hpp"

#include <utility>  // before Asio (Boost 1.74 awaitable.hpp needs std::exchange)

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <thread>

namespace opencloser::emulator::http_testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

/// Errors that mean "the peer closed or reset the connection".
bool is_closed(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == asio::error::not_connected;
}

}  // namespace

std::optional<std::string> http_reply::header(std::string_view name) const {
  if (const auto v = find_header(headers, name)) return std::string(*v);
  return std::nullopt;
}

json::value http_reply::json() const {
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    throw std::runtime_error("HTTP " + std::to_string(status) + " body is not JSON (" + e.what() +
                             "): " + body.substr(0, 400));
  }
}

namespace {

std::string error_field(const http_reply& reply, std::string_view field) {
  try {
    const auto body = json::parse(reply.body);
    const auto* error = body.find("error");
    const auto* v = error ? error->find(field) : nullptr;
    return v && v->is_string() ? v->as_string() : std::string();
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace

std::string http_reply::error_code() const {
  return error_field(*this, "code");
}
std::string http_reply::error_message() const {
  return error_field(*this, "message");
}

struct http_connection::impl {
  impl(std::string host, std::uint16_t port, int timeout_s)
      : host(std::move(host)), port(port), timeout(timeout_s) {}

  /// Runs one async operation to completion within the timeout.
  template <class Start>
  beast::error_code run(Start start) {
    beast::error_code result = asio::error::would_block;
    stream.expires_after(timeout);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    if (result == beast::error::timeout)
      throw std::runtime_error("the emulator did not answer within " +
                               std::to_string(timeout.count()) + " s");
    return result;
  }

  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::string host;
  std::uint16_t port;
  std::chrono::seconds timeout;
};

http_connection::http_connection(std::uint16_t port, std::string host, int timeout_s)
    : impl_(std::make_unique<impl>(std::move(host), port, timeout_s)) {
  const tcp::endpoint endpoint(asio::ip::make_address(impl_->host), port);
  const auto ec = impl_->run([&](auto handler) { impl_->stream.async_connect(endpoint, handler); });
  if (ec)
    throw std::runtime_error("cannot connect to the emulator on port " + std::to_string(port) +
                             ": " + ec.message());
}

http_connection::~http_connection() = default;
http_connection::http_connection(http_connection&&) noexcept = default;
http_connection& http_connection::operator=(http_connection&&) noexcept = default;

std::string http_connection::serialize_request(std::string_view method, std::string_view target,
                                               const header_list& headers,
                                               std::string_view body) const {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!find_header(headers, "Host"))
    out.append("Host: ")
        .append(impl_->host)
        .append(":")
        .append(std::to_string(impl_->port))
        .append("\r\n");
  for (const auto& [name, value] : headers)
    if (!find_header({{name, ""}}, "Content-Length"))
      out.append(name).append(": ").append(value).append("\r\n");
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  return out;
}

bool http_connection::send_raw(std::string_view bytes) {
  const auto ec = impl_->run([&](auto handler) {
    asio::async_write(impl_->stream, asio::buffer(bytes.data(), bytes.size()), handler);
  });
  if (is_closed(ec)) return false;
  if (ec) throw std::runtime_error("writing to the emulator failed: " + ec.message());
  return true;
}

void http_connection::send_request(std::string_view method, std::string_view target,
                                   const header_list& headers, std::string_view body) {
  if (!send_raw(serialize_request(method, target, headers, body)))
    throw connection_dropped("the emulator closed the connection before the request was sent");
}

std::optional<http_reply> http_connection::read_reply() {
  http::response_parser<http::string_body> parser;
  parser.body_limit(512 * 1024 * 1024);
  parser.header_limit(1024 * 1024);
  const auto ec = impl_->run(
      [&](auto handler) { http::async_read(impl_->stream, impl_->buffer, parser, handler); });
  if (ec && is_closed(ec) && !parser.got_some()) return std::nullopt;
  if (ec) throw std::runtime_error("reading the emulator's response failed: " + ec.message());
  auto message = parser.release();
  http_reply reply;
  reply.status = static_cast<int>(message.result_int());
  for (const auto& field : message)
    reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  reply.body = std::move(message.body());
  return reply;
}

std::string http_connection::read_until_closed() {
  std::string out = beast::buffers_to_string(impl_->buffer.data());
  impl_->buffer.consume(impl_->buffer.size());
  char chunk[4096];
  while (true) {
    std::size_t got = 0;
    const auto ec = impl_->run([&](auto handler) {
      impl_->stream.async_read_some(asio::buffer(chunk),
                                    [&got, handler](beast::error_code e, std::size_t n) mutable {
                                      got = n;
                                      handler(e);
                                    });
    });
    out.append(chunk, got);
    if (is_closed(ec)) return out;
    if (ec) throw std::runtime_error("reading from the emulator failed: " + ec.message());
  }
}

std::optional<http_reply> http_connection::try_request(std::string_view method,
                                                       std::string_view target,
                                                       const header_list& headers,
                                                       std::string_view body) {
  if (!send_raw(serialize_request(method, target, headers, body))) return std::nullopt;
  return read_reply();
}

http_reply http_connection::request(std::string_view method, std::string_view target,
                                    const header_list& headers, std::string_view body) {
  auto reply = try_request(method, target, headers, body);
  if (!reply)
    throw connection_dropped("the emulator closed the connection without answering " +
                             std::string(method) + " " + std::string(target));
  return std::move(*reply);
}

// ---------------------------------------------------------------------------------------------

std::string form_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out.push_back('&');
    out += form_encode(k) + "=" + form_encode(v);
  }
  return out;
}

std::string api_target(std::string_view relative) {
  if (relative.starts_with("/")) return std::string(relative);
  return "/api/data/v9.2/" + std::string(relative);
}

std::string encode_target(std::string_view target) {
  static constexpr char hex[] = "0123456789ABCDEF";
  static constexpr std::string_view kept = "-._~$'(),:@/?&=%";
  std::string out;
  for (const unsigned char c : target) {
    if (std::isalnum(c) || kept.find(static_cast<char>(c)) != std::string_view::npos) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string target_of_url(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const auto slash = url.find('/', scheme + 3);
  return slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
}

http_reply request_token(http_connection& connection, std::string_view origin,
                         const client_credentials& c) {
  const auto body = form_body({{"grant_type", "client_credentials"},
                               {"client_id", c.client_id},
                               {"client_secret", c.client_secret},
                               {"scope", std::string(origin) + "/.default"}});
  return connection.request(
      "POST", "/" + c.tenant_id + "/oauth2/v2.0/token",
      {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}},
      body);
}

// ---------------------------------------------------------------------------------------------

dataverse_client::dataverse_client(std::uint16_t port, std::string origin,
                                   client_credentials credentials)
    : port_(port), origin_(std::move(origin)), connection_(port) {
  const auto reply = request_token(connection_, origin_, credentials);
  if (reply.status != 200)
    throw std::runtime_error("token request failed: HTTP " + std::to_string(reply.status) + " " +
                             reply.body);
  token_ = reply.json().find("access_token")->as_string();
}

header_list dataverse_client::headers_for(std::string_view method, bool has_body,
                                          const header_list& extra) const {
  header_list h{{"Authorization", "Bearer " + token_},
                {"Accept", "application/json"},
                {"OData-MaxVersion", "4.0"},
                {"OData-Version", "4.0"},
                {"User-Agent", "opencloser-http-tests"}};
  if (method == "GET") h.emplace_back("If-None-Match", "null");
  if (has_body) h.emplace_back("Content-Type", "application/json; charset=utf-8");
  for (const auto& [name, value] : extra) {
    bool replaced = false;
    for (auto& [n, v] : h)
      if (find_header({{n, ""}}, name)) {
        v = value;
        replaced = true;
      }
    if (!replaced) h.emplace_back(name, value);
  }
  return h;
}

std::optional<http_reply> dataverse_client::try_send(std::string_view method,
                                                     std::string_view target, std::string_view body,
                                                     const header_list& extra) {
  return connection_.try_request(method, encode_target(api_target(target)),
                                 headers_for(method, !body.empty(), extra), body);
}

http_reply dataverse_client::send(std::string_view method, std::string_view target,
                                  std::string_view body, const header_list& extra) {
  return connection_.request(method, encode_target(api_target(target)),
                             headers_for(method, !body.empty(), extra), body);
}

http_reply dataverse_client::get(std::string_view target, const header_list& extra) {
  return send("GET", target, {}, extra);
}

http_reply dataverse_client::post(std::string_view target, const json::value& body,
                                  const header_list& extra) {
  return send("POST", target, json::write_compact(body), extra);
}

http_reply dataverse_client::patch(std::string_view target, const json::value& body,
                                   const header_list& extra) {
  return send("PATCH", target, json::write_compact(body), extra);
}

http_reply dataverse_client::del(std::string_view target, const header_list& extra) {
  return send("DELETE", target, {}, extra);
}

void dataverse_client::reconnect() {
  connection_ = http_connection(port_);
}

// ---------------------------------------------------------------------------------------------

std::optional<std::string> non_loopback_ipv4() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (auto* i = list; i && !found; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    char text[INET_ADDRSTRLEN];
    if (!::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text)) continue;
    if (!std::string_view(text).starts_with("127.")) found = text;
  }
  ::freeifaddrs(list);
  return found;
}

emulator_options default_options() {
  const std::filesystem::path fixtures(OPENCLOSER_TEST_FIXTURES);
  emulator_options o;
  o.seeds = {fixtures / "emulator/demo_seed.json", fixtures / "emulator/http/http_seed.json"};
  return o;
}

running_emulator::running_emulator(emulator_options options) {
  port = emu.start(std::move(options));
  origin = emu.origin();
}

running_emulator::~running_emulator() {
  emu.stop();
}

client_credentials running_emulator::credentials() const {
  return credentials(0);
}

client_credentials running_emulator::credentials(std::size_t client_index) const {
  const auto& seed = emu.seed();
  const auto& c = seed.clients.at(client_index);
  return {seed.tenant_id, c.client_id, c.client_secret};
}

http_reply running_emulator::admin(std::string_view method, std::string_view path,
                                   std::string_view body) const {
  http_connection c(port);
  header_list headers;
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  return c.request(method, "/_emulator/" + std::string(path), headers, body);
}

json::value running_emulator::tables() const {
  const auto reply = admin("GET", "state");
  if (reply.status != 200)
    throw std::runtime_error("GET /_emulator/state: HTTP " + std::to_string(reply.status));
  return *reply.json().find("tables");
}

json::value running_emulator::dumped_row(std::string_view table, std::string_view id) const {
  const auto all = tables();
  const auto* rows = all.find(table);
  if (!rows) return {};
  const auto* def = emu.seed().tables.by_logical_name(table);
  if (!def) return {};
  const auto key = canonical_guid(id);
  for (const auto& r : rows->as_array())
    if (const auto* v = r.find(def->primary_id); v && v->is_string() && v->as_string() == key)
      return r;
  return {};
}

json::array running_emulator::log(std::uint64_t since) const {
  const auto reply = admin("GET", "requests?since=" + std::to_string(since));
  if (reply.status != 200)
    throw std::runtime_error("GET /_emulator/requests: HTTP " + std::to_string(reply.status));
  return reply.json().as_array();
}

void running_emulator::wait_for_max_in_flight(std::int64_t n) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto state = admin("GET", "state").json();
    if (state.find("counters")->find("max_in_flight")->as_int() >= n) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("the emulator never held " + std::to_string(n) + " requests in flight");
}

}  // namespace opencloser::emulator::http_testing
