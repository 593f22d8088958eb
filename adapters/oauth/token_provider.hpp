#pragma once
// OAuth2 client-credentials tokens for the Dataverse Web API (dataverse.md §8): the token
// request and its form encoding, validation of the token response, one cache per process
// with single-flight refresh ahead of expiry, and secret-free error messages. Transport goes
// through http_client, so callbacks run on its io thread and must only hand results on.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "actors/dataverse_emitter/retry_policy.hpp"
#include "adapters/http/http_client.hpp"

namespace opencloser {

inline constexpr std::string_view default_authority_host = "https://login.microsoftonline.com";

struct oauth_credentials {
  std::string tenant_id;      ///< DATAVERSE_TENANT_ID
  std::string client_id;      ///< DATAVERSE_CLIENT_ID
  std::string client_secret;  ///< DATAVERSE_CLIENT_SECRET
  std::string env_url;        ///< DATAVERSE_ENV_URL; the scope is `<env url without "/">/.default`
  /// `[dataverse].authority_host`; http:// only on loopback (the client refuses the rest).
  std::string authority_host{default_authority_host};
};

struct token_provider_options {
  std::chrono::milliseconds timeout{30'000};
  std::string user_agent;  ///< sent when not empty (`opencloser/<version>`)
  /// The monotonic clock deciding when a cached token is refreshed; tests inject their own.
  std::function<std::chrono::steady_clock::time_point()> now;
};

/// Why no token could be had; never holds the tenant, secret, token or response body.
struct token_failure {
  outcome_class kind = outcome_class::permanent;  ///< transient, throttled or permanent (§5)
  int status = 0;                                 ///< HTTP status, 0 without a response
  transport_failure failure = transport_failure::none;
  std::optional<double> retry_after_seconds;
  /// `Dataverse token request failed: HTTP <status>
  /// (<authority>/<redacted-tenant>/oauth2/v2.0/token)`, `… transport failure: <kind> (…)` or `…
  /// invalid token response: <reason> (…)`.
  std::string message;
};

struct token_result {
  std::string access_token;  ///< set on success
  std::optional<token_failure> error;
  bool ok() const { return !error.has_value(); }
};

/// `application/x-www-form-urlencoded` value: bytes outside `A-Za-z0-9*-._` as `%XX`
/// (upper-case hex), space as `+`.
std::string form_encode(std::string_view value);
/// `grant_type=client_credentials&client_id=…&client_secret=…&scope=…`, values form-encoded.
std::string token_request_body(const oauth_credentials& credentials);
/// `<authority>/<tenant>/oauth2/v2.0/token` (the URL requested; holds the tenant).
std::string token_endpoint(const oauth_credentials& credentials);
/// The same with the tenant replaced by `<redacted-tenant>` (the only form used in messages).
std::string redacted_token_endpoint(std::string_view authority_host);

struct token_grant {
  std::string access_token;
  double lifetime_seconds = 3600;
};
/// Validates a 2xx token response body: a non-empty string `access_token`; `expires_in` a
/// number or numeric string, finite and > 0, 3600 when absent. The error alternative is a
/// fixed reason text that never quotes the body.
std::variant<token_grant, std::string> parse_token_response(std::string_view body);

/// Seconds after acquisition at which a token of that lifetime is refreshed:
/// lifetime − min(60, lifetime / 2).
double refresh_after_seconds(double lifetime_seconds);

class token_provider {
 public:
  using callback = std::function<void(token_result)>;

  /// `client` must outlive every request the provider issues (destroy the client after the
  /// provider, or accept that its shutdown answers pending waiters with `cancelled`).
  token_provider(http_client& client, oauth_credentials credentials,
                 token_provider_options options = {});
  ~token_provider();
  token_provider(const token_provider&) = delete;
  token_provider& operator=(const token_provider&) = delete;

  /// Thread-safe. A fresh cached token is handed to `done` at once on the calling thread;
  /// otherwise `done` runs on the http io thread when the one in-flight token request
  /// (shared by every concurrent caller) completes. `done` runs exactly once.
  void get_token(callback done);
  /// Blocking helper (never from an http io-thread callback).
  token_result get_token_blocking();
  /// Forces the next get_token to fetch a new token (after a Web API 401). With a token
  /// given, only that token is dropped, so callers rejected with the same old token cause
  /// a single refresh.
  void invalidate(std::string_view rejected_token = {});

  /// Token endpoint requests issued so far (`http.token_requests` in run reports).
  std::size_t token_requests() const;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace opencloser
