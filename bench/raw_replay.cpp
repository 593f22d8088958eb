// The only Beast file of the bench harness: the raw-HTTP replay client and a one-shot fetch.
// Client code after Beast's http_client_async example, as in emulator_throughput.cpp.

#include <utility>  // before Asio (Boost 1.74 awaitable.hpp needs std::exchange)

#include "bench/raw_replay.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <unordered_map>

namespace opencloser::bench {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::uint64_t body_limit = 256ull * 1024 * 1024;

http::request<http::string_body> to_beast(
    const std::string& host_header, const std::string& token, const std::string& method,
    const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& body) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, host_header);
  for (const auto& [name, value] : headers) req.insert(name, value);
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  req.keep_alive(true);
  req.body() = body;
  req.prepare_payload();
  return req;
}

class connection;

/// Shared by every connection of one replay; one io thread, so no synchronisation.
struct replay_state {
  const std::vector<http::request<http::string_body>>* requests = nullptr;
  const std::vector<replay_request>* recorded = nullptr;
  std::size_t next = 0;
  std::vector<char> answered;
  /// Connections holding a request until the one it depends on is answered, by that index.
  std::unordered_map<std::size_t, std::vector<std::shared_ptr<connection>>> waiting;
  tcp::resolver::results_type endpoints;
  replay_result result;
  std::chrono::steady_clock::time_point last_answer;
};

/// One keep-alive connection: sends the next unsent request whenever its last answer is in.
class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(asio::io_context& ioc, replay_state& state) : stream_(ioc), state_(state) {}

  void start() { connect(); }

 private:
  void connect() {
    stream_.async_connect(state_.endpoints,
                          [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                            if (ec) return self->fail();
                            self->stream_.socket().set_option(tcp::no_delay(true));
                            self->send_next();
                          });
  }

  void send_next() {
    if (state_.next >= state_.requests->size()) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return;
    }
    current_ = state_.next++;
    const auto after = (*state_.recorded)[current_].after;
    if (after >= 0 && !state_.answered[static_cast<std::size_t>(after)]) {
      state_.waiting[static_cast<std::size_t>(after)].push_back(shared_from_this());
      return;
    }
    send_current();
  }

 public:
  void send_current() {
    http::async_write(stream_, (*state_.requests)[current_],
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->fail();
                        self->parser_.emplace();
                        self->parser_->body_limit(body_limit);
                        http::async_read(
                            self->stream_, self->buffer_, *self->parser_,
                            [self](beast::error_code ec, std::size_t) { self->on_read(ec); });
                      });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec) return fail();
    const auto& res = parser_->get();
    state_.answered[current_] = 1;
    if (auto it = state_.waiting.find(current_); it != state_.waiting.end()) {
      const auto held = std::move(it->second);
      state_.waiting.erase(it);
      for (const auto& c : held) c->send_current();
    }
    ++state_.result.requests;
    ++state_.result.statuses[static_cast<int>(res.result_int())];
    state_.last_answer = std::chrono::steady_clock::now();
    if (!res.keep_alive()) {
      // The server closed: reconnect, as a client pool would.
      beast::error_code ignored;
      stream_.socket().close(ignored);
      buffer_.clear();
      return connect();
    }
    send_next();
  }

  void fail() {
    ++state_.result.transport_failures;
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::size_t current_ = 0;
  replay_state& state_;
};

}  // namespace

replay_result replay(const std::string& host, std::uint16_t port, const std::string& token,
                     const std::vector<replay_request>& requests, int connections) {
  const std::string host_header = host + ":" + std::to_string(port);
  // Every request is built before the clock starts: only the socket work is measured.
  std::vector<http::request<http::string_body>> built;
  built.reserve(requests.size());
  for (const auto& r : requests)
    built.push_back(to_beast(host_header, token, r.method, r.target, r.headers, r.body));

  asio::io_context ioc;
  replay_state state;
  state.requests = &built;
  state.recorded = &requests;
  state.answered.assign(requests.size(), 0);
  state.endpoints = tcp::resolver(ioc).resolve(host, std::to_string(port));
  const auto started = std::chrono::steady_clock::now();
  state.last_answer = started;
  for (int c = 0; c < std::max(connections, 1); ++c)
    std::make_shared<connection>(ioc, state)->start();
  ioc.run();
  auto result = state.result;
  result.seconds = std::chrono::duration<double>(state.last_answer - started).count();
  result.requests_per_second =
      result.seconds > 0 ? static_cast<double>(result.requests) / result.seconds : 0.0;
  return result;
}

simple_response fetch(const std::string& host, std::uint16_t port, const std::string& method,
                      const std::string& target,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::resolver(ioc).resolve(host, std::to_string(port)));
  auto req = to_beast(host + ":" + std::to_string(port), "", method, target, headers, body);
  req.keep_alive(false);
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(body_limit);
  http::read(stream, buffer, parser);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return {static_cast<int>(parser.get().result_int()), parser.get().body()};
}

}  // namespace opencloser::bench
