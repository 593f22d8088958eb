#include "emulator/token_registry.hpp"

#include <algorithm>
#include <cstdio>

#include "adapters/json/json.hpp"
#include "emulator/odata_query.hpp"

namespace opencloser::emulator {

namespace {

/// Form decoding: `+` is a space, then the ordinary %XX escapes.
std::optional<std::string> form_decode(std::string_view s) {
  std::string spaced(s);
  std::replace(spaced.begin(), spaced.end(), '+', ' ');
  try {
    return percent_decode(spaced);
  } catch (const web_error&) {
    return std::nullopt;
  }
}

/// The OAuth error shape of Entra ID: `{"error": …, "error_description": …}`.
http_response oauth_error(int status, std::string_view error, std::string_view description) {
  json::object body{{"error", std::string(error)}};
  if (!description.empty()) body.emplace_back("error_description", std::string(description));
  http_response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  r.body = json::write_compact(json::value(std::move(body)));
  return r;
}

}  // namespace

std::optional<std::vector<std::pair<std::string, std::string>>> decode_form(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const auto pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = form_decode(pair.substr(0, eq));
    auto value = form_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!key || !value) return std::nullopt;
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

token_registry::token_registry(const seed_data& seed, std::uint64_t rng_seed)
    : tenant_id_(seed.tenant_id),
      lifetime_s_(seed.token_lifetime_s),
      clients_(seed.clients),
      rng_(rng_seed ^ 0x746f6b656eULL) {}

http_response token_registry::issue(std::string_view tenant, std::string_view form_body,
                                    const std::vector<std::string>& accepted_scopes,
                                    clock::time_point now, std::string& client_id) {
  const auto form = decode_form(form_body);
  if (!form)
    return oauth_error(400, "invalid_request", "AADSTS900144: The request body is malformed.");
  const auto field = [&](std::string_view key) -> std::optional<std::string> {
    for (const auto& [k, v] : *form)
      if (k == key) return v;
    return std::nullopt;
  };
  if (field("grant_type") != "client_credentials")
    return oauth_error(400, "unsupported_grant_type",
                       "AADSTS70003: The app requested an unsupported grant type.");
  if (tenant != tenant_id_)
    return oauth_error(400, "invalid_request",
                       "AADSTS90002: Tenant not found. Check the tenant id in the authority URL.");
  const auto id = field("client_id"), secret = field("client_secret");
  const seed_client* client = nullptr;
  for (const auto& c : clients_)
    if (id && secret && c.client_id == *id && c.client_secret == *secret) client = &c;
  if (!client)
    return oauth_error(401, "invalid_client",
                       "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                       "sent in the request is the client secret value, not the client secret ID.");
  const auto scope = field("scope");
  bool scope_ok = false;
  for (const auto& origin : accepted_scopes) scope_ok |= scope == origin + "/.default";
  if (!scope_ok)
    return oauth_error(400, "invalid_scope",
                       "AADSTS70011: The provided request must include a 'scope' input parameter "
                       "naming the resource followed by '/.default'.");
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(rng_()),
                static_cast<unsigned long long>(rng_()));
  std::string token = "emu_" + std::string(hex);
  tokens_[token] = {client->client_id, now + std::chrono::seconds(lifetime_s_)};
  ++issued_;
  client_id = client->client_id;
  http_response r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  r.body = json::write_compact(json::object{{"token_type", "Bearer"},
                                            {"expires_in", lifetime_s_},
                                            {"ext_expires_in", lifetime_s_},
                                            {"access_token", std::move(token)}});
  return r;
}

std::optional<std::string> token_registry::client_of(std::optional<std::string_view> authorization,
                                                     clock::time_point now) const {
  constexpr std::string_view scheme = "Bearer ";
  if (!authorization || !authorization->starts_with(scheme)) return std::nullopt;
  const auto it = tokens_.find(std::string(authorization->substr(scheme.size())));
  if (it == tokens_.end() || it->second.second <= now) return std::nullopt;
  return it->second.first;
}

}  // namespace opencloser::emulator
