#pragma once
// Tiny loopback servers for the adapter tests, for what the emulator cannot serve: a TLS
// server with a certificate generated at test time (OpenSSL's C API), which records the SNI
// name each handshake carried, and a plain HTTP server answering canned token responses.
// Both answer one request per connection (`Connection: close`), so the product's client
// never keeps them busy. Beast and OpenSSL stay inside local_servers.cpp.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace opencloser::adapter_testing {

/// A self-signed certificate (EC P-256, SAN `DNS:<dns_name>`, valid from an hour ago for a day).
struct test_certificate {
  std::string cert_pem;
  std::string key_pem;
};
test_certificate make_self_signed_certificate(std::string_view dns_name);

/// What a canned server answers; `content_type` empty → no Content-Type header.
struct canned_reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string retry_after;  ///< sent as Retry-After when not empty
};

inline canned_reply json_reply(std::string body, int status = 200) {
  return {status, std::move(body), "application/json", ""};
}

/// A server on 127.0.0.1 (ephemeral port) with its own thread; plain HTTP, or TLS when given
/// a certificate. Every request gets the current canned reply.
class local_server {
 public:
  explicit local_server(canned_reply reply);
  local_server(canned_reply reply, const test_certificate& certificate);
  ~local_server();
  local_server(const local_server&) = delete;
  local_server& operator=(const local_server&) = delete;

  std::uint16_t port() const;
  void set_reply(canned_reply reply);
  std::size_t requests() const;
  std::vector<std::string> request_bodies() const;
  std::vector<std::string> request_targets() const;
  /// TLS: the SNI host name of every ClientHello that carried one.
  std::vector<std::string> server_names() const;
  /// Waits (generously; not a timing assertion) until `n` ClientHellos were seen; false if not.
  bool wait_for_client_hellos(std::size_t n) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace opencloser::adapter_testing
