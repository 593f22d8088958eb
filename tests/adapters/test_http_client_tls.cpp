// TLS in the product's HTTP client against a local Beast TLS server whose certificate is
// generated at test time: the default trust store rejects it, an added trust anchor
// (options or SSL_CERT_FILE) accepts it, a certificate for another name is rejected by the
// hostname check, and the client sends SNI.

#include <cstdlib>

#include "adapters/http/http_client.hpp"
#include "tests/adapters/local_servers.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser;
using namespace opencloser::adapter_testing;
using namespace std::chrono_literals;

namespace {

http_call get(const local_server& server, std::string host = "localhost") {
  http_call c;
  c.method = "GET";
  c.url = "https://" + host + ":" + std::to_string(server.port()) + "/hello?x=1";
  c.timeout = 20s;
  return c;
}

canned_reply hello() {
  return {200, "hello over tls", "text/plain", ""};
}

}  // namespace

TEST_CASE("TLS: a certificate the default trust store does not know → tls_certificate",
          "[http_client][tls]") {
  const auto cert = make_self_signed_certificate("localhost");
  local_server server(hello(), cert);
  http_client client;
  const auto r = client.send(get(server));
  INFO(transport_failure_name(r.failure));
  CHECK(r.failure == transport_failure::tls_certificate);
  CHECK(server.requests() == 0);  // nothing was sent over the unverified connection
}

TEST_CASE("TLS: a trusted certificate for the host → the response over https, with SNI",
          "[http_client][tls]") {
  const auto cert = make_self_signed_certificate("localhost");
  opencloser::testing::temp_dir dir;
  const auto ca_file = dir.write("ca.pem", cert.cert_pem);
  local_server server(hello(), cert);
  http_client_options options;
  options.extra_ca_file = ca_file;
  http_client client(options);
  const auto r = client.send(get(server));
  INFO(transport_failure_name(r.failure));
  REQUIRE(r.failure == transport_failure::none);
  CHECK(r.status == 200);
  CHECK(r.body == "hello over tls");
  REQUIRE(server.request_targets().size() == 1);
  CHECK(server.request_targets()[0] == "/hello?x=1");
  REQUIRE(server.wait_for_client_hellos(1));
  CHECK(server.server_names()[0] == "localhost");
}

TEST_CASE("TLS: SSL_CERT_FILE names the trust store", "[http_client][tls]") {
  const auto cert = make_self_signed_certificate("localhost");
  opencloser::testing::temp_dir dir;
  const auto ca_file = dir.write("ca.pem", cert.cert_pem);
  local_server server(hello(), cert);
  // Read once, when the client builds its TLS context; restored right after.
  const char* previous = std::getenv("SSL_CERT_FILE");
  const std::string saved = previous ? previous : "";
  ::setenv("SSL_CERT_FILE", ca_file.c_str(), 1);
  http_client client;
  if (previous)
    ::setenv("SSL_CERT_FILE", saved.c_str(), 1);
  else
    ::unsetenv("SSL_CERT_FILE");
  const auto r = client.send(get(server));
  INFO(transport_failure_name(r.failure));
  CHECK(r.status == 200);
}

TEST_CASE("TLS: a trusted certificate for another name → tls_certificate (hostname check)",
          "[http_client][tls]") {
  const auto cert = make_self_signed_certificate("other.example");
  opencloser::testing::temp_dir dir;
  const auto ca_file = dir.write("ca.pem", cert.cert_pem);
  local_server server(hello(), cert);
  http_client_options options;
  options.extra_ca_file = ca_file;
  http_client client(options);
  const auto r = client.send(get(server));
  INFO(transport_failure_name(r.failure));
  CHECK(r.failure == transport_failure::tls_certificate);
  CHECK(server.requests() == 0);
  REQUIRE(server.wait_for_client_hellos(1));
  CHECK(server.server_names()[0] == "localhost");  // SNI names the host asked for
}

TEST_CASE("TLS: an unreadable extra trust file is an error at construction", "[http_client][tls]") {
  http_client_options options;
  options.extra_ca_file = "/nonexistent/opencloser/ca.pem";
  CHECK_THROWS(http_client(options));
}
