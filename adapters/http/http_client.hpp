#pragma once
// The product's HTTP client (dataverse.md §1): one client speaks plain HTTP to the loopback
// emulator and TLS (OpenSSL, SNI, hostname verification, default trust store, SSL_CERT_FILE)
// to a real Dataverse org. Pooled keep-alive connections per origin, at most `max_in_flight`
// requests in flight, a timeout per request, no cookies. Completion callbacks run on the
// client's own io thread and must only hand the result on (e.g. caf::anon_send); they never
// block. Beast and Asio stay inside adapters/http/http_client.cpp.
//
// The client never resends a request on its own, with one exception: an idempotent GET/HEAD
// that fails on a reused keep-alive connection before any response byte arrived (the server
// had closed the idle connection) is sent once more on a fresh connection. Every other retry
// decision belongs to the caller (dataverse.md §5, actors/dataverse_emitter/retry_policy.hpp).

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/http/http_headers.hpp"

namespace opencloser {

/// One request. `url` is absolute (`https://host[:port]/path?query`), already percent-encoded.
/// `http://` is accepted only for the loopback hosts 127.0.0.1, ::1 and localhost.
struct http_call {
  std::string method;
  std::string url;
  http_headers headers;  ///< sent as given (User-Agent included); Host and Content-Length are added
  std::string body;
  std::chrono::milliseconds timeout{30'000};  ///< whole request, queueing excluded
};

/// Why no complete response arrived (dataverse.md §5 classes: tls_certificate, malformed and
/// invalid_url are permanent, the rest transient).
enum class transport_failure {
  none,
  dns,              ///< name resolution failed
  connect,          ///< connection refused / unreachable
  timeout,          ///< no complete response within the timeout
  reset,            ///< connection reset by the peer
  eof,              ///< connection closed before a full response (e.g. a lost response)
  tls_certificate,  ///< peer verification or hostname check failed
  tls,              ///< other TLS handshake failure
  malformed,        ///< the bytes were not an HTTP response, or it exceeded the size limits
  invalid_url,      ///< unusable URL, or plaintext http:// to a non-loopback host: nothing sent
  cancelled,        ///< the client was destroyed first; whether the server saw it is unknown
};

/// The short, secret-free name of a failure kind (`timeout`, `reset`, …) for messages like
/// `Dataverse transport failure: <kind>`.
std::string_view transport_failure_name(transport_failure failure);

struct http_result {
  transport_failure failure = transport_failure::none;
  int status = 0;  ///< 0 when failure != none
  http_headers headers;
  std::string body;

  bool ok() const { return failure == transport_failure::none && status >= 200 && status < 300; }
  /// Case-insensitive header lookup (the first of that name).
  std::optional<std::string_view> header(std::string_view name) const;
};

struct http_client_options {
  std::size_t max_in_flight = 8;  ///< `[http].max_in_flight`; excess requests queue FIFO
  std::size_t max_response_bytes = 256u << 20;  ///< larger bodies → transport_failure::malformed
  int io_threads = 1;
  /// A PEM file of extra trust anchors added to the default trust store (tests; the
  /// `SSL_CERT_FILE` / `SSL_CERT_DIR` environment variables work too). Empty: none.
  std::string extra_ca_file;
};

class http_client {
 public:
  using callback = std::function<void(http_result)>;

  /// Throws std::system_error when `extra_ca_file` cannot be loaded.
  explicit http_client(http_client_options options = {});
  /// Stops and joins the io thread(s); every pending callback still runs exactly once
  /// (unfinished requests with transport_failure::cancelled).
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Thread-safe. Queues the call; `done` runs exactly once on the io thread.
  void submit(http_call call, callback done);
  /// Blocking convenience for tools and tests (never call it from an io-thread callback).
  http_result send(http_call call);

  /// Counters for reports and the bench: TCP connections opened so far.
  std::size_t connections_opened() const;
  /// The most requests that were on the wire at once (never above max_in_flight).
  std::size_t max_in_flight_seen() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace opencloser
