#pragma once
// The Entra ID client-credentials token endpoint and bearer-token checks (emulator.md §1).
// Not thread-safe: the emulator serialises access.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "emulator/http_types.hpp"
#include "emulator/seed.hpp"

namespace opencloser::emulator {

/// `application/x-www-form-urlencoded` → pairs (`+` = space, `%XX`); nullopt when malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> decode_form(std::string_view body);

class token_registry {
 public:
  using clock = std::chrono::steady_clock;

  explicit token_registry(const seed_data& seed, std::uint64_t rng_seed);

  /// POST /<tenant>/oauth2/v2.0/token. `accepted_scopes` are the emulator origins the scope
  /// may name (`<origin>/.default`). On success `client_id` is set.
  http_response issue(std::string_view tenant, std::string_view form_body,
                      const std::vector<std::string>& accepted_scopes, clock::time_point now,
                      std::string& client_id);

  /// The client id of a live token from an `Authorization: Bearer …` header.
  std::optional<std::string> client_of(std::optional<std::string_view> authorization,
                                       clock::time_point now) const;

  void expire_all() { tokens_.clear(); }
  std::uint64_t issued() const { return issued_; }

 private:
  std::string tenant_id_;
  std::int64_t lifetime_s_;
  std::vector<seed_client> clients_;
  std::unordered_map<std::string, std::pair<std::string, clock::time_point>> tokens_;
  std::uint64_t issued_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace opencloser::emulator
