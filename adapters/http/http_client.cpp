// The product's HTTP(S) client over Boost.Beast (dataverse.md §1). The only file of the product
// with Beast, Asio or OpenSSL-stream includes. Structure after Beast's http_client_async_ssl
// example: one chain of on_* steps per request, an early `return fail(...)` on every error.
//
// Threading: every piece of mutable state (queue, pool, exchanges, sockets) is touched only on
// one strand of the client's own io_context, so the io threads never race and callers only
// ever post. Each request has one deadline timer covering resolve, connect, handshake, write
// and read; when it fires the request completes at once with `timeout` and its connection is
// closed (a resolver stuck in getaddrinfo cannot delay the callback).

#include <utility>  // before Asio (Boost 1.74 awaitable.hpp needs std::exchange)

#include "adapters/http/http_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <deque>
#include <future>
#include <map>
#include <thread>

namespace opencloser {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using strand_type = asio::strand<asio::io_context::executor_type>;

// Response headers of Dataverse are small; 64 KiB leaves room without inviting abuse.
constexpr std::uint32_t max_response_header_bytes = 64 * 1024;

char lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = lower_ascii(c);
  return out;
}

/// An absolute URL split into what the connection and the request line need.
struct target_url {
  bool tls = false;
  std::string host;  ///< lower-case; an IPv6 literal without brackets
  std::uint16_t port = 0;
  std::string host_header;  ///< `host[:port]` as sent in `Host` (port only when not default)
  std::string target;       ///< path and query, at least "/"
  /// Pool key: scheme, host and port.
  std::string origin() const {
    return (tls ? "https://" : "http://") + host_header + ':' + std::to_string(port);
  }
};

bool is_loopback_host(std::string_view host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::optional<target_url> parse_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  target_url out;
  const auto scheme = lowered(url.substr(0, scheme_end));
  if (scheme == "https")
    out.tls = true;
  else if (scheme != "http")
    return std::nullopt;
  auto rest = url.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?#");
  const auto authority = rest.substr(0, path_start);
  std::string target(path_start == std::string_view::npos ? std::string_view{}
                                                          : rest.substr(path_start));
  if (const auto hash = target.find('#'); hash != std::string::npos) target.erase(hash);
  if (target.empty() || target.front() != '/') target.insert(target.begin(), '/');
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;

  std::string_view host, port_text;
  bool bracketed = false;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return std::nullopt;
    if (!after.empty()) port_text = after.substr(1);
    bracketed = true;
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  for (const char c : host)
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '\\' ||
        static_cast<unsigned char>(c) >= 0x7f)
      return std::nullopt;
  out.host = lowered(host);
  const std::uint16_t default_port = out.tls ? 443 : 80;
  out.port = default_port;
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535)
      return std::nullopt;
    out.port = static_cast<std::uint16_t>(value);
  }
  out.host_header = bracketed ? '[' + out.host + ']' : out.host;
  if (out.port != default_port) out.host_header += ':' + std::to_string(out.port);
  out.target = std::move(target);
  return out;
}

/// A TCP or TLS connection to one origin, kept in the pool between requests.
class connection {
 public:
  connection(const strand_type& strand, ssl::context* tls_context, std::string origin)
      : origin_(std::move(origin)), resolver_(strand) {
    if (tls_context)
      secure_.emplace(strand, *tls_context);
    else
      plain_.emplace(strand);
  }

  beast::tcp_stream& lowest() { return secure_ ? beast::get_lowest_layer(*secure_) : *plain_; }
  bool is_tls() const { return secure_.has_value(); }
  beast::ssl_stream<beast::tcp_stream>& secure() { return *secure_; }
  tcp::resolver& resolver() { return resolver_; }
  beast::flat_buffer& buffer() { return buffer_; }
  const std::string& origin() const { return origin_; }
  bool is_open() { return lowest().socket().is_open(); }

  template <class F>
  void with_stream(F&& f) {
    if (secure_)
      f(*secure_);
    else
      f(*plain_);
  }

  /// Retires the connection: pending operations complete with operation_aborted.
  void close() {
    resolver_.cancel();
    beast::error_code ignored;
    lowest().socket().close(ignored);
  }

 private:
  std::string origin_;
  tcp::resolver resolver_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;
  beast::flat_buffer buffer_;  // one per connection: it may hold the start of the next message
};

/// One request from submit() to its callback.
struct exchange {
  http_call call;
  http_client::callback done;
  target_url url;
  http::request<http::string_body> request;
  std::unique_ptr<http::response_parser<http::string_body>> parser;
  std::shared_ptr<connection> conn;
  std::unique_ptr<asio::steady_timer> deadline;
  bool reused = false;        ///< conn came from the pool
  bool resent_stale = false;  ///< the one stale keep-alive resend was used
  bool finished = false;
};

http_result failure_result(transport_failure failure) {
  http_result out;
  out.failure = failure;
  return out;
}

bool is_idempotent(const http_call& call) {
  return call.method == "GET" || call.method == "HEAD";
}

transport_failure io_failure(const beast::error_code& ec) {
  if (ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == ssl::error::stream_truncated || ec == http::error::partial_message)
    return transport_failure::eof;
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::connection_aborted)
    return transport_failure::reset;
  if (ec.category() == http::make_error_code(http::error::body_limit).category())
    return transport_failure::malformed;
  if (ec.category() == asio::error::get_ssl_category()) return transport_failure::tls;
  return transport_failure::reset;
}

transport_failure handshake_failure(const beast::error_code& ec, SSL* ssl_handle) {
  if (SSL_get_verify_result(ssl_handle) != X509_V_OK) return transport_failure::tls_certificate;
  if (ec.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED)
    return transport_failure::tls_certificate;
  if (ec == asio::error::eof || ec == ssl::error::stream_truncated) return transport_failure::eof;
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe)
    return transport_failure::reset;
  return transport_failure::tls;
}

}  // namespace

std::string_view transport_failure_name(transport_failure failure) {
  switch (failure) {
    case transport_failure::none:
      return "none";
    case transport_failure::dns:
      return "dns";
    case transport_failure::connect:
      return "connect";
    case transport_failure::timeout:
      return "timeout";
    case transport_failure::reset:
      return "reset";
    case transport_failure::eof:
      return "eof";
    case transport_failure::tls_certificate:
      return "tls_certificate";
    case transport_failure::tls:
      return "tls";
    case transport_failure::malformed:
      return "malformed";
    case transport_failure::invalid_url:
      return "invalid_url";
    case transport_failure::cancelled:
      return "cancelled";
  }
  return "unknown";
}

std::optional<std::string_view> http_result::header(std::string_view name) const {
  return find_header(headers, name);
}

struct http_client::impl {
  // Declared before the io_context so it outlives every TLS stream the context destroys.
  ssl::context tls_context{ssl::context::tls_client};
  // Declared before the state below so it is destroyed after it: sockets and timers need its
  // services.
  asio::io_context ioc;
  strand_type strand{asio::make_strand(ioc)};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  http_client_options options;
  std::atomic<std::size_t> opened{0};
  std::atomic<std::size_t> peak_active{0};  ///< most requests on the wire at once
  std::vector<std::thread> threads;

  // Strand-only state.
  std::deque<std::shared_ptr<exchange>> waiting;
  std::vector<std::shared_ptr<exchange>> active;
  std::map<std::string, std::vector<std::shared_ptr<connection>>> idle;
  bool stopping = false;

  explicit impl(http_client_options opts) : options(std::move(opts)) {
    if (options.max_in_flight == 0) options.max_in_flight = 1;
    // The default trust store honours SSL_CERT_FILE / SSL_CERT_DIR (dataverse.md §1).
    tls_context.set_default_verify_paths();
    if (!options.extra_ca_file.empty()) tls_context.load_verify_file(options.extra_ca_file);
    tls_context.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_min_proto_version(tls_context.native_handle(), TLS1_2_VERSION);
    const int thread_count = std::max(1, options.io_threads);
    for (int i = 0; i < thread_count; ++i) threads.emplace_back([this] { ioc.run(); });
  }

  void shutdown() {
    std::promise<void> drained;
    asio::post(strand, [this, &drained] {
      stopping = true;
      auto queued = std::move(waiting);
      for (auto& x : queued) finish(x, failure_result(transport_failure::cancelled));
      auto running = active;
      for (auto& x : running) {
        abort_connection(*x);
        finish(x, failure_result(transport_failure::cancelled));
      }
      for (auto& [origin, pool] : idle)
        for (auto& c : pool) c->close();
      idle.clear();
      drained.set_value();
    });
    drained.get_future().wait();
    work.reset();
    ioc.stop();
    for (auto& t : threads) t.join();
  }

  // --- queueing -------------------------------------------------------------------------

  void enqueue(const std::shared_ptr<exchange>& x) {
    if (stopping) return finish(x, failure_result(transport_failure::cancelled));
    auto url = parse_url(x->call.url);
    // Plaintext only to loopback: a remote http:// URL is refused before any connection.
    if (!url || (!url->tls && !is_loopback_host(url->host)) || x->call.method.empty())
      return finish(x, failure_result(transport_failure::invalid_url));
    x->url = std::move(*url);
    build_request(*x);
    if (active.size() < options.max_in_flight)
      start(x);
    else
      waiting.push_back(x);
  }

  static void build_request(exchange& x) {
    auto& req = x.request;
    req.version(11);
    const auto verb = http::string_to_verb(x.call.method);
    if (verb == http::verb::unknown)
      req.method_string(x.call.method);
    else
      req.method(verb);
    req.target(x.url.target);
    req.set(http::field::host, x.url.host_header);
    req.keep_alive(true);  // before the caller's headers: an explicit `Connection: close` wins
    for (const auto& [name, value] : x.call.headers) {
      if (ascii_iequals(name, "host"))
        req.set(http::field::host, value);
      else
        req.insert(name, value);
    }
    req.body() = std::move(x.call.body);
    req.prepare_payload();
  }

  void pump() {
    while (!stopping && active.size() < options.max_in_flight && !waiting.empty()) {
      auto next = std::move(waiting.front());
      waiting.pop_front();
      start(next);
    }
  }

  void start(const std::shared_ptr<exchange>& x) {
    active.push_back(x);
    if (active.size() > peak_active.load()) peak_active.store(active.size());
    // A day bounds "no timeout" values so the deadline arithmetic cannot overflow.
    const auto timeout = std::clamp(x->call.timeout, std::chrono::milliseconds(0),
                                    std::chrono::milliseconds(std::chrono::hours(24)));
    x->deadline = std::make_unique<asio::steady_timer>(strand, timeout);
    x->deadline->async_wait([this, x](const beast::error_code& ec) {
      if (ec || x->finished) return;
      abort_connection(*x);
      finish(x, failure_result(transport_failure::timeout));
    });
    acquire_connection(x, /*allow_reuse=*/true);
  }

  /// Runs the callback exactly once, frees the in-flight slot and starts the next request.
  void finish(const std::shared_ptr<exchange>& x, http_result result) {
    if (x->finished) return;
    x->finished = true;
    if (x->deadline) x->deadline->cancel();
    if (const auto it = std::find(active.begin(), active.end(), x); it != active.end())
      active.erase(it);
    auto done = std::move(x->done);
    x->parser.reset();
    pump();
    try {
      if (done) done(std::move(result));
    } catch (...) {
      // A throwing callback must not take the io thread (and every other request) down.
    }
  }

  void abort_connection(exchange& x) {
    if (!x.conn) return;
    x.conn->close();
    x.conn.reset();
  }

  // --- one request's steps --------------------------------------------------------------

  void acquire_connection(const std::shared_ptr<exchange>& x, bool allow_reuse) {
    const auto origin = x->url.origin();
    if (allow_reuse) {
      auto& pool = idle[origin];
      while (!pool.empty()) {
        auto c = std::move(pool.back());
        pool.pop_back();
        if (!c->is_open()) continue;
        x->conn = std::move(c);
        x->reused = true;
        return write_request(x);
      }
    }
    auto c = std::make_shared<connection>(strand, x->url.tls ? &tls_context : nullptr, origin);
    ++opened;
    x->conn = c;
    x->reused = false;
    c->resolver().async_resolve(
        x->url.host, std::to_string(x->url.port),
        [this, x, c](const beast::error_code& ec, tcp::resolver::results_type results) {
          on_resolve(x, c, ec, std::move(results));
        });
  }

  bool stale(const exchange& x, const std::shared_ptr<connection>& c) const {
    return x.finished || x.conn != c;
  }

  /// Ends the request with `failure`, except for the one allowed resend of an idempotent
  /// request whose reused keep-alive connection turned out to be closed by the server.
  void fail(const std::shared_ptr<exchange>& x, transport_failure failure) {
    const bool nothing_received =
        (!x->parser || !x->parser->got_some()) && (!x->conn || x->conn->buffer().size() == 0);
    const bool stale_keep_alive =
        x->reused && nothing_received &&
        (failure == transport_failure::eof || failure == transport_failure::reset);
    abort_connection(*x);
    if (stale_keep_alive && !x->resent_stale && is_idempotent(x->call) && !stopping) {
      x->resent_stale = true;
      return acquire_connection(x, /*allow_reuse=*/false);
    }
    finish(x, failure_result(failure));
  }

  void on_resolve(const std::shared_ptr<exchange>& x, const std::shared_ptr<connection>& c,
                  const beast::error_code& ec, const tcp::resolver::results_type& results) {
    if (stale(*x, c)) return;
    if (ec) return fail(x, transport_failure::dns);
    c->lowest().async_connect(results,
                              [this, x, c](const beast::error_code& error, const tcp::endpoint&) {
                                on_connect(x, c, error);
                              });
  }

  void on_connect(const std::shared_ptr<exchange>& x, const std::shared_ptr<connection>& c,
                  const beast::error_code& ec) {
    if (stale(*x, c)) return;
    if (ec) return fail(x, transport_failure::connect);
    beast::error_code ignored;
    c->lowest().socket().set_option(tcp::no_delay(true), ignored);
    if (!c->is_tls()) return write_request(x);

    SSL* handle = c->secure().native_handle();
    const auto& host = x->url.host;
    const bool ip = is_ip_literal(host);
    // SNI names a host, never an address (RFC 6066 §3).
    if (!ip && !SSL_set_tlsext_host_name(handle, host.c_str()))
      return fail(x, transport_failure::tls);
    // Hostname (or address) verification by OpenSSL itself, so a mismatch is reported as a
    // verification error (X509_V_ERR_HOSTNAME_MISMATCH) like any other certificate failure.
    X509_VERIFY_PARAM* param = SSL_get0_param(handle);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                       : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    if (set != 1) return fail(x, transport_failure::tls);
    c->secure().set_verify_mode(ssl::verify_peer);
    c->secure().async_handshake(
        ssl::stream_base::client,
        [this, x, c](const beast::error_code& error) { on_handshake(x, c, error); });
  }

  void on_handshake(const std::shared_ptr<exchange>& x, const std::shared_ptr<connection>& c,
                    const beast::error_code& ec) {
    if (stale(*x, c)) return;
    if (ec) return fail(x, handshake_failure(ec, c->secure().native_handle()));
    write_request(x);
  }

  void write_request(const std::shared_ptr<exchange>& x) {
    auto c = x->conn;
    x->parser = std::make_unique<http::response_parser<http::string_body>>();
    x->parser->body_limit(options.max_response_bytes);
    x->parser->header_limit(max_response_header_bytes);
    if (x->call.method == "HEAD") x->parser->skip(true);
    c->with_stream([&](auto& stream) {
      http::async_write(stream, x->request, [this, x, c](const beast::error_code& ec, std::size_t) {
        on_write(x, c, ec);
      });
    });
  }

  void on_write(const std::shared_ptr<exchange>& x, const std::shared_ptr<connection>& c,
                const beast::error_code& ec) {
    if (stale(*x, c)) return;
    if (ec) return fail(x, io_failure(ec));
    // Header first: Beast 1.74 loses the body_limit error when the header and a too-large
    // Content-Length body arrive in one read in eager mode (http::async_read's mode), and a
    // string body reserves Content-Length bytes up front.
    c->with_stream([&](auto& stream) {
      http::async_read_header(
          stream, c->buffer(), *x->parser,
          [this, x, c](const beast::error_code& error, std::size_t) { on_header(x, c, error); });
    });
  }

  void on_header(const std::shared_ptr<exchange>& x, const std::shared_ptr<connection>& c,
                 const beast::error_code& ec) {
    if (stale(*x, c)) return;
    if (ec) return fail(x, io_failure(ec));
    if (const auto length = x->parser->content_length();
        length && *length > options.max_response_bytes)
      return fail(x, transport_failure::malformed);
    c->with_stream([&](auto& stream) {
      http::async_read(
          stream, c->buffer(), *x->parser,
          [this, x, c](const beast::error_code& error, std::size_t) { on_read(x, c, error); });
    });
  }

  void on_read(const std::shared_ptr<exchange>& x, const std::shared_ptr<connection>& c,
               const beast::error_code& ec) {
    if (stale(*x, c)) return;
    if (ec) return fail(x, io_failure(ec));
    auto& message = x->parser->get();
    http_result result;
    result.status = static_cast<int>(message.result_int());
    for (const auto& field : message)
      result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    result.body = std::move(message.body());
    // `Connection: close` (or a body delimited by the close) retires the connection.
    const bool reusable = message.keep_alive() && !x->parser->need_eof() && !stopping;
    x->conn.reset();
    if (reusable)
      idle[c->origin()].push_back(c);
    else
      c->close();
    finish(x, std::move(result));
  }
};

http_client::http_client(http_client_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

http_client::~http_client() {
  impl_->shutdown();
}

void http_client::submit(http_call call, callback done) {
  auto x = std::make_shared<exchange>();
  x->call = std::move(call);
  x->done = std::move(done);
  asio::post(impl_->strand, [self = impl_.get(), x] { self->enqueue(x); });
}

http_result http_client::send(http_call call) {
  std::promise<http_result> promise;
  auto future = promise.get_future();
  submit(std::move(call), [&promise](http_result result) { promise.set_value(std::move(result)); });
  return future.get();
}

std::size_t http_client::connections_opened() const {
  return impl_->opened.load();
}

std::size_t http_client::max_in_flight_seen() const {
  return impl_->peak_active.load();
}

}  // namespace opencloser
