#pragma once
// A small synchronous HTTP/1.1 client for the emulator's HTTP-level tests, over real loopback
// sockets: one keep-alive connection per object, plus a raw-bytes mode (pipelining, garbage,
// oversized messages) and detection of a connection closed or reset without an answer.
// Also the harness the tests share: an emulator started on port 0 and a Dataverse-style
// client that fetches a token and sends the headers the product sends (dataverse.md §1).
// Beast and Asio stay inside http_test_client.cpp (build time).

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/json/json.hpp"
#include "emulator/dataverse_emulator.hpp"
#include "emulator/emulator_options.hpp"
#include "emulator/http_types.hpp"

namespace opencloser::emulator::http_testing {

/// Rows of tests/fixtures/emulator/demo_seed.json the tests address directly.
inline const std::string queue_row = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11";
inline const std::string account_row = "5a1e0c6d-1111-4a2b-9c3d-000000000001";
inline const std::string user_row = "3f0c0000-0000-4000-8000-0000000000b1";
inline const std::string team_row = "3f0c0000-0000-4000-8000-0000000000b2";
/// A GUID no seed row has.
inline const std::string missing_row = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0aff";

/// One HTTP response as received.
struct http_reply {
  int status = 0;
  header_list headers;
  std::string body;

  /// First header of that name, compared case-insensitively; nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
  /// The body parsed as JSON; throws std::runtime_error naming the status and body otherwise.
  json::value json() const;
  /// `error.code` / `error.message` of a Dataverse error body; "" when absent.
  std::string error_code() const;
  std::string error_message() const;
};

/// The server closed or reset the connection without sending (all of) a response.
struct connection_dropped : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One TCP connection to the emulator. Every operation gives up after `timeout_s` (a test
/// must fail, not hang, when the server never answers) and then throws std::runtime_error.
class http_connection {
 public:
  explicit http_connection(std::uint16_t port, std::string host = "127.0.0.1", int timeout_s = 30);
  ~http_connection();
  http_connection(http_connection&&) noexcept;
  http_connection& operator=(http_connection&&) noexcept;

  /// Sends one request and reads its response. `Host` is added unless given; `Content-Length`
  /// is always set. Throws connection_dropped when the server closes without answering.
  http_reply request(std::string_view method, std::string_view target,
                     const header_list& headers = {}, std::string_view body = {});
  /// The same, with nullopt instead of connection_dropped.
  std::optional<http_reply> try_request(std::string_view method, std::string_view target,
                                        const header_list& headers = {},
                                        std::string_view body = {});

  /// Writes one request without reading (concurrent requests held by the server; read the
  /// answer later with read_reply()).
  void send_request(std::string_view method, std::string_view target,
                    const header_list& headers = {}, std::string_view body = {});
  /// Writes bytes as they are (pipelined requests, garbage, oversized messages); false when
  /// the server closed or reset the connection before everything was written.
  bool send_raw(std::string_view bytes);
  /// Reads the next response; nullopt when the server closed or reset the connection before
  /// sending one.
  std::optional<http_reply> read_reply();
  /// Everything the server still sends until it closes the connection (or resets it).
  std::string read_until_closed();

  /// The request bytes send_request would write (for pipelining several in one write).
  std::string serialize_request(std::string_view method, std::string_view target,
                                const header_list& headers = {}, std::string_view body = {}) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// `application/x-www-form-urlencoded` value encoding: unreserved bytes as they are, every
/// other byte `%XX` (so `+`, `/`, `=`, `%` and space are all escaped).
std::string form_encode(std::string_view text);
/// `k1=v1&k2=v2` with both sides form-encoded.
std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields);

/// `/api/data/v9.2/<relative>`; a target already starting with '/' is kept.
std::string api_target(std::string_view relative);
/// A target as the product writes it (dataverse.md §1): every byte outside
/// `A-Za-z0-9-._~$'(),:@/` and the query's own `?&=` (and an existing `%XX`) percent-encoded
/// with upper-case hex, so `$filter=a eq 'x y'` travels as `$filter=a%20eq%20'x%20y'`.
std::string encode_target(std::string_view target);
/// The path and query of an absolute URL (`http://h:p/x?y` → `/x?y`).
std::string target_of_url(std::string_view url);

struct client_credentials {
  std::string tenant_id;
  std::string client_id;
  std::string client_secret;
};

/// POSTs the client-credentials form to `/<tenant>/oauth2/v2.0/token` with scope
/// `<origin>/.default` and returns the raw reply.
http_reply request_token(http_connection& connection, std::string_view origin,
                         const client_credentials& credentials);

/// A client that authenticates once and then sends the headers the product sends on every
/// Web API request: Authorization, Accept, OData-MaxVersion, OData-Version, `If-None-Match:
/// null` on GET, `Content-Type: application/json; charset=utf-8` with a body. `extra` headers
/// are added after them (a name given in `extra` replaces the standard one).
class dataverse_client {
 public:
  /// Connects and fetches a token; throws std::runtime_error when the token request fails.
  dataverse_client(std::uint16_t port, std::string origin, client_credentials credentials);

  http_reply get(std::string_view target, const header_list& extra = {});
  http_reply post(std::string_view target, const json::value& body, const header_list& extra = {});
  http_reply patch(std::string_view target, const json::value& body, const header_list& extra = {});
  http_reply del(std::string_view target, const header_list& extra = {});
  /// Any method with a raw body; `target` relative to the service root unless it starts
  /// with '/', sent through encode_target.
  http_reply send(std::string_view method, std::string_view target, std::string_view body,
                  const header_list& extra = {});
  std::optional<http_reply> try_send(std::string_view method, std::string_view target,
                                     std::string_view body, const header_list& extra = {});
  /// The headers send() would use.
  header_list headers_for(std::string_view method, bool has_body, const header_list& extra) const;

  /// A fresh connection (after the server dropped the old one); the token is kept.
  void reconnect();
  http_connection& connection() { return connection_; }
  const std::string& token() const { return token_; }

 private:
  std::uint16_t port_;
  std::string origin_;
  http_connection connection_;
  std::string token_;
};

/// The seeds most tests use: demo_seed.json plus http/http_seed.json (extra clients, among
/// them one whose secret needs form encoding, and a global option set).
emulator_options default_options();

/// An IPv4 address of this machine outside 127/8 (to reach the emulator as a non-loopback
/// peer); nullopt when the machine has none.
std::optional<std::string> non_loopback_ipv4();

/// Seed client indexes under default_options(): demo_seed.json's client, then
/// http_seed.json's: one whose secret is `p+s/w=r~d%41 x`, and a plain second client.
inline constexpr std::size_t demo_client = 0, awkward_secret_client = 1, second_client = 2;

/// An emulator serving on a loopback ephemeral port for the duration of a test.
class running_emulator {
 public:
  explicit running_emulator(emulator_options options = default_options());
  ~running_emulator();

  dataverse_emulator emu;
  std::uint16_t port = 0;
  std::string origin;

  /// The seed's tenant and its first client.
  client_credentials credentials() const;
  /// A seed client by index (auth.clients order after merging).
  client_credentials credentials(std::size_t client_index) const;
  dataverse_client client() const { return dataverse_client(port, origin, credentials()); }
  dataverse_client client(std::size_t client_index) const {
    return dataverse_client(port, origin, credentials(client_index));
  }
  http_connection connect() const { return http_connection(port); }

  /// An admin API request (`/_emulator/<path>`) on a fresh connection.
  http_reply admin(std::string_view method, std::string_view path,
                   std::string_view body = {}) const;
  /// The state dump's `tables` object, read over HTTP.
  json::value tables() const;
  /// One row from the state dump (nullptr-like null value when absent).
  json::value dumped_row(std::string_view table, std::string_view id) const;
  /// The request log over HTTP.
  json::array log(std::uint64_t since = 0) const;
  /// Polls GET /_emulator/state until counters.max_in_flight reaches `n` (requests held by
  /// the server); throws after a generous deadline. Not a timing assertion: it only waits.
  void wait_for_max_in_flight(std::int64_t n) const;
};

}  // namespace opencloser::emulator::http_testing
