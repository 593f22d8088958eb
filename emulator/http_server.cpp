// The only translation unit that includes Beast and Asio on the emulator side (build time:
// shared/notes/caf-0.17.md §8). Structure after Beast's http_server_async example: a listener
// accepting onto a strand per connection, and a `session` per connection with a chain of
// on_* handlers, each starting with its error check.

#include "emulator/http_server.hpp"

#include <utility>  // before Asio (Boost 1.74 awaitable.hpp needs std::exchange)

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace opencloser::emulator {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

/// Largest request head (request line + headers) the server reads.
constexpr std::uint32_t header_limit = 64 * 1024;

/// Idle keep-alive connections are closed after this long without a request.
constexpr auto idle_timeout = std::chrono::seconds(300);

class session;

/// Requests held by `barrier` faults, per rule id, released together in arrival order.
class barrier_board {
 public:
  void hold(asio::io_context& ioc, const std::string& id, std::int64_t count, std::int64_t hold_ms,
            std::shared_ptr<session> s);
  void clear();

 private:
  struct group {
    std::vector<std::shared_ptr<session>> held;
    std::shared_ptr<asio::steady_timer> timer;
  };
  void release(const std::string& id);

  std::mutex mutex_;
  std::map<std::string, group> groups_;
};

struct server_state {
  emulator_core& core;
  const emulator_options& options;
  asio::io_context& ioc;
  barrier_board& barriers;
};

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, server_state& server)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), server_(server) {}

  void run() {
    beast::error_code ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);
    const auto peer = stream_.socket().remote_endpoint(ec);
    loopback_peer_ = !ec && peer.address().is_loopback();
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  /// Runs step 2 for a released barrier request on the releasing thread (so released requests
  /// execute in arrival order), then answers on this connection's strand.
  void execute_now() {
    auto outcome = server_.core.execute(ticket_);
    asio::post(stream_.get_executor(),
               [self = shared_from_this(), outcome = std::move(outcome)]() mutable {
                 self->after_execute(std::move(outcome));
               });
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(header_limit);
    parser_->body_limit(server_.options.max_body_bytes);
    stream_.expires_after(idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof)
      return close(false);
    if (ec) return refuse(ec);
    auto message = parser_->release();
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    ticket_ = request_ticket{};
    auto& r = ticket_.request;
    r.method = std::string(message.method_string());
    r.target = std::string(message.target());
    for (const auto& field : message)
      r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    r.body = std::move(message.body());
    r.peer_is_loopback = loopback_peer_;
    on_admitted(server_.core.admit(ticket_));
  }

  /// A request Beast could not parse (oversized body, bad header): a Dataverse-style 400,
  /// then the connection closes because the byte stream can no longer be trusted.
  void refuse(beast::error_code ec) {
    keep_alive_ = false;
    version_ = 11;
    std::string message = "Malformed HTTP request: " + ec.message() + ".";
    if (ec == http::error::body_limit)
      message = "The request is larger than the emulator accepts (" +
                std::to_string(server_.options.max_body_bytes) + " bytes of body).";
    else if (ec == http::error::header_limit)
      message = "The request headers are larger than the emulator accepts (" +
                std::to_string(header_limit) + " bytes).";
    send(error_response(400, "0x80060888", message));
  }

  void on_admitted(admission a) {
    switch (a.step) {
      case next_step::respond:
        return send(std::move(a.response));
      case next_step::drop:
        return drop(true);
      case next_step::barrier:
        return server_.barriers.hold(server_.ioc, a.barrier_id, a.barrier_count, a.barrier_hold_ms,
                                     shared_from_this());
      case next_step::execute:
        if (a.delay_ms <= 0) return after_execute(server_.core.execute(ticket_));
        timer_.expires_after(std::chrono::milliseconds(a.delay_ms));
        return timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
          if (ec) return self->drop(false);
          self->after_execute(self->server_.core.execute(self->ticket_));
        });
    }
  }

  void after_execute(execution outcome) {
    if (outcome.drop_connection) return drop(false);
    if (outcome.extra_delay_ms <= 0) return send(std::move(outcome.response));
    timer_.expires_after(std::chrono::milliseconds(outcome.extra_delay_ms));
    timer_.async_wait(
        [self = shared_from_this(), r = std::move(outcome.response)](beast::error_code ec) mutable {
          if (ec) return self->drop(false);
          self->send(std::move(r));
        });
  }

  void send(http_response r) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version_);
    for (auto& [name, value] : r.headers) res->set(name, value);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    stream_.expires_after(idle_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        self->on_write(ec);
                      });
  }

  void on_write(beast::error_code ec) {
    server_.core.finish(ticket_);
    if (ec) return close(false);
    if (!keep_alive_) return close(false);
    do_read();
  }

  /// Closes without an answer; `reset` sends a TCP RST (linger 0) like a dropped connection.
  void drop(bool reset) {
    server_.core.finish(ticket_);
    close(reset);
  }

  void close(bool reset) {
    beast::error_code ec;
    auto& socket = stream_.socket();
    if (reset)
      socket.set_option(asio::socket_base::linger(true, 0), ec);
    else
      socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  asio::steady_timer timer_;
  server_state& server_;
  request_ticket ticket_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  bool loopback_peer_ = false;
};

void barrier_board::hold(asio::io_context& ioc, const std::string& id, std::int64_t count,
                         std::int64_t hold_ms, std::shared_ptr<session> s) {
  bool full = false;
  {
    std::lock_guard lock(mutex_);
    auto& g = groups_[id];
    g.held.push_back(std::move(s));
    full = static_cast<std::int64_t>(g.held.size()) >= count;
    if (!full && !g.timer) {
      g.timer = std::make_shared<asio::steady_timer>(ioc, std::chrono::milliseconds(hold_ms));
      g.timer->async_wait([this, id, t = g.timer](beast::error_code ec) {
        if (!ec) release(id);
      });
    }
  }
  if (full) release(id);
}

void barrier_board::release(const std::string& id) {
  std::vector<std::shared_ptr<session>> held;
  {
    std::lock_guard lock(mutex_);
    const auto it = groups_.find(id);
    if (it == groups_.end()) return;
    held = std::move(it->second.held);
    if (it->second.timer) it->second.timer->cancel();
    groups_.erase(it);
  }
  for (auto& s : held) s->execute_now();
}

void barrier_board::clear() {
  std::lock_guard lock(mutex_);
  for (auto& [id, g] : groups_)
    if (g.timer) g.timer->cancel();
  groups_.clear();
}

}  // namespace

struct http_server::impl {
  impl(emulator_core& core, const emulator_options& options)
      : ioc(std::max(1, options.io_threads)), acceptor(ioc), state{core, options, ioc, barriers} {}

  void accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) std::make_shared<session>(std::move(socket), state)->run();
      accept();
    });
  }

  asio::io_context ioc;
  tcp::acceptor acceptor;
  barrier_board barriers;
  server_state state;
  std::vector<std::thread> threads;
  bool running = false;
};

http_server::http_server(emulator_core& core, const emulator_options& options)
    : impl_(std::make_unique<impl>(core, options)) {}

http_server::~http_server() {
  stop();
}

std::uint16_t http_server::start() {
  auto& i = *impl_;
  const auto& o = i.state.options;
  beast::error_code ec;
  const auto address = asio::ip::make_address(o.host, ec);
  if (ec) throw std::runtime_error("emulator host '" + o.host + "' is not an IP address");
  if (!address.is_loopback() && !o.allow_remote)
    throw std::runtime_error("emulator host '" + o.host +
                             "' is not a loopback address; pass --allow-remote to serve it");
  const tcp::endpoint endpoint(address, o.port);
  i.acceptor.open(endpoint.protocol(), ec);
  if (!ec) i.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) i.acceptor.bind(endpoint, ec);
  if (!ec) i.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("emulator cannot listen on " + o.host + ":" + std::to_string(o.port) +
                             ": " + ec.message());
  const auto port = i.acceptor.local_endpoint().port();
  const auto host = address.is_v6() ? "[" + o.host + "]" : o.host;
  i.state.core.set_origin("http://" + host + ":" + std::to_string(port));
  i.accept();
  i.running = true;
  for (int n = 0; n < std::max(1, o.io_threads); ++n) i.threads.emplace_back([&i] { i.ioc.run(); });
  return port;
}

void http_server::stop() {
  auto& i = *impl_;
  if (!i.running) return;
  i.running = false;
  asio::post(i.ioc, [&i] {
    beast::error_code ec;
    i.acceptor.close(ec);
  });
  i.barriers.clear();
  i.ioc.stop();
  for (auto& t : i.threads) t.join();
  i.threads.clear();
}

}  // namespace opencloser::emulator
