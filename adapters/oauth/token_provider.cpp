// OAuth2 client credentials (dataverse.md §8); see token_provider.hpp.

#include "adapters/oauth/token_provider.hpp"

#include <charconv>
#include <cmath>
#include <future>
#include <mutex>
#include <utility>
#include <vector>

#include "adapters/json/json.hpp"

namespace opencloser {

namespace {

std::string without_trailing_slashes(std::string_view text) {
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  return std::string(text);
}

void append_percent(std::string& out, unsigned char byte) {
  static constexpr char hex[] = "0123456789ABCDEF";
  out += '%';
  out += hex[byte >> 4];
  out += hex[byte & 0x0f];
}

/// A path segment: RFC 3986 unreserved bytes as they are, the rest `%XX` (a tenant is a GUID
/// or a domain name, but nothing it holds may change the URL's shape).
std::string encode_path_segment(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
        (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~')
      out += c;
    else
      append_percent(out, byte);
  }
  return out;
}

/// A whole-string number ("3599", "3599.5"); nullopt for anything else.
std::optional<double> numeric_string(const std::string& text) {
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || stop != end) return std::nullopt;
  return value;
}

token_failure failure_with(outcome_class kind, std::string detail, std::string_view authority) {
  token_failure f;
  f.kind = kind;
  f.message = "Dataverse token request failed: " + std::move(detail) + " (" +
              redacted_token_endpoint(authority) + ")";
  return f;
}

}  // namespace

std::string form_encode(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
        (byte >= '0' && byte <= '9') || c == '*' || c == '-' || c == '.' || c == '_')
      out += c;
    else if (c == ' ')
      out += '+';
    else
      append_percent(out, byte);
  }
  return out;
}

std::string token_request_body(const oauth_credentials& credentials) {
  return "grant_type=client_credentials&client_id=" + form_encode(credentials.client_id) +
         "&client_secret=" + form_encode(credentials.client_secret) +
         "&scope=" + form_encode(without_trailing_slashes(credentials.env_url) + "/.default");
}

std::string token_endpoint(const oauth_credentials& credentials) {
  return without_trailing_slashes(credentials.authority_host) + '/' +
         encode_path_segment(credentials.tenant_id) + "/oauth2/v2.0/token";
}

std::string redacted_token_endpoint(std::string_view authority_host) {
  return without_trailing_slashes(authority_host) + "/<redacted-tenant>/oauth2/v2.0/token";
}

std::variant<token_grant, std::string> parse_token_response(std::string_view body) {
  json::value doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error&) {
    return std::string("the body is not JSON");
  }
  if (!doc.is_object()) return std::string("the body is not a JSON object");
  token_grant grant;
  const auto* token = doc.find("access_token");
  if (!token || !token->is_string() || token->as_string().empty())
    return std::string("access_token is missing or not a non-empty string");
  grant.access_token = token->as_string();
  if (const auto* expires = doc.find("expires_in")) {
    std::optional<double> seconds;
    if (expires->is_number())
      seconds = expires->as_double();
    else if (expires->is_string())
      seconds = numeric_string(expires->as_string());
    if (!seconds || !std::isfinite(*seconds) || *seconds <= 0)
      return std::string("expires_in is not a finite number greater than 0");
    grant.lifetime_seconds = *seconds;
  }
  return grant;
}

double refresh_after_seconds(double lifetime_seconds) {
  return lifetime_seconds - std::min(60.0, lifetime_seconds / 2);
}

/// Shared with the in-flight HTTP callback, so destroying the provider mid-request is safe.
struct token_provider::state {
  http_client& client;
  oauth_credentials credentials;
  token_provider_options options;

  std::mutex mutex;
  std::string token;  ///< empty: none cached
  std::chrono::steady_clock::time_point acquired;
  double refresh_after = 0;
  bool in_flight = false;
  std::vector<callback> waiters;
  std::size_t requests = 0;

  state(http_client& c, oauth_credentials creds, token_provider_options opts)
      : client(c), credentials(std::move(creds)), options(std::move(opts)) {
    if (!options.now) options.now = [] { return std::chrono::steady_clock::now(); };
  }

  bool fresh(std::chrono::steady_clock::time_point now) const {
    return !token.empty() && std::chrono::duration<double>(now - acquired).count() < refresh_after;
  }

  /// The waiters' result; `lifetime_seconds` is set on success.
  token_result evaluate(const http_result& response, double& lifetime_seconds) const {
    token_result out;
    const auto& authority = credentials.authority_host;
    if (response.failure != transport_failure::none) {
      out.error = failure_with(
          classify_failure(response.failure),
          "transport failure: " + std::string(transport_failure_name(response.failure)), authority);
      out.error->failure = response.failure;
      return out;
    }
    if (response.status < 200 || response.status >= 300) {
      out.error = failure_with(classify_status(response.status),
                               "HTTP " + std::to_string(response.status), authority);
      out.error->status = response.status;
      out.error->retry_after_seconds = retry_after_of(response);
      return out;
    }
    auto parsed = parse_token_response(response.body);
    if (auto* reason = std::get_if<std::string>(&parsed)) {
      out.error =
          failure_with(outcome_class::permanent, "invalid token response: " + *reason, authority);
      out.error->status = response.status;
      return out;
    }
    auto& grant = std::get<token_grant>(parsed);
    out.access_token = std::move(grant.access_token);
    lifetime_seconds = grant.lifetime_seconds;
    return out;
  }
};

token_provider::token_provider(http_client& client, oauth_credentials credentials,
                               token_provider_options options)
    : state_(std::make_shared<state>(client, std::move(credentials), std::move(options))) {}

token_provider::~token_provider() = default;

void token_provider::get_token(callback done) {
  auto s = state_;
  std::unique_lock lock(s->mutex);
  const auto now = s->options.now();
  if (s->fresh(now)) {
    token_result cached;
    cached.access_token = s->token;
    lock.unlock();
    done(std::move(cached));
    return;
  }
  s->waiters.push_back(std::move(done));
  if (s->in_flight) return;  // single flight: wait for the request already under way
  s->in_flight = true;
  ++s->requests;
  lock.unlock();

  http_call call;
  call.method = "POST";
  call.url = token_endpoint(s->credentials);
  call.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Accept", "application/json"}};
  if (!s->options.user_agent.empty())
    call.headers.emplace_back("User-Agent", s->options.user_agent);
  call.body = token_request_body(s->credentials);
  call.timeout = s->options.timeout;
  // Acquisition time = when the request left, so the refresh point errs on the early side.
  s->client.submit(std::move(call), [s, sent = now](http_result response) {
    double lifetime_seconds = 0;
    auto result = s->evaluate(response, lifetime_seconds);
    std::vector<callback> waiting;
    {
      std::lock_guard guard(s->mutex);
      if (result.ok()) {
        s->token = result.access_token;
        s->acquired = sent;
        s->refresh_after = refresh_after_seconds(lifetime_seconds);
      }
      s->in_flight = false;
      waiting.swap(s->waiters);
    }
    for (auto& waiter : waiting) waiter(result);
  });
}

token_result token_provider::get_token_blocking() {
  std::promise<token_result> promise;
  auto future = promise.get_future();
  get_token([&promise](token_result result) { promise.set_value(std::move(result)); });
  return future.get();
}

void token_provider::invalidate(std::string_view rejected_token) {
  std::lock_guard guard(state_->mutex);
  if (rejected_token.empty() || rejected_token == state_->token) state_->token.clear();
}

std::size_t token_provider::token_requests() const {
  std::lock_guard guard(state_->mutex);
  return state_->requests;
}

}  // namespace opencloser
