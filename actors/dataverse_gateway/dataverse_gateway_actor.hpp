#pragma once
// The Dataverse gateway actor (actors/actors.hpp): Web API calls in, settled replies out.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "actors/actors.hpp"
#include "actors/dataverse_emitter/retry_policy.hpp"
#include "actors/drain/concurrency_control.hpp"
#include "actors/drain/latency_histogram.hpp"
#include "messages/settings.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

namespace opencloser {

class http_client;
class token_provider;

struct dataverse_gateway_config {
  http_client* http = nullptr;       ///< outlives the actor
  token_provider* tokens = nullptr;  ///< outlives the actor
  std::string env_url;               ///< DATAVERSE_ENV_URL without a trailing '/'
  retry_settings retry;
  std::chrono::milliseconds timeout{30'000};
  /// `[drain].max_requests_per_second` (0: off): one token bucket over every Web API request
  /// of this process (cli.md §5.2; token requests excluded).
  double max_requests_per_second = 0;
};

struct dataverse_gateway_state {
  struct pending_call {
    dataverse_call call;
    retry_state retry;
    caf::typed_response_promise<dataverse_reply> promise;
    http_counters counters;
    std::string token;
    std::chrono::steady_clock::time_point sent_at{};  ///< of the request on the wire
    bool paced = false;  ///< its pacer slot is taken (the next send goes out at once)
  };
  dataverse_gateway_config config;
  std::unordered_map<std::uint64_t, pending_call> pending;
  /// No request starts before this (set by every 429: its Retry-After, else 5 s).
  std::chrono::steady_clock::time_point paused_until{};
  caf::actor observer;  ///< hears throttled_atom / dop_hint_atom; may be null
  std::int64_t last_dop_hint = 0;
  latency_histogram request_ms;          ///< every answered request, in milliseconds
  std::unique_ptr<request_pacer> pacer;  ///< null when max_requests_per_second is 0
  std::int64_t in_flight = 0;
  std::int64_t max_in_flight = 0;
  std::uint64_t next_id = 0;
  static inline const char* name = "dataverse_gateway";
};

dataverse_gateway_actor::behavior_type dataverse_gateway(
    dataverse_gateway_actor::stateful_pointer<dataverse_gateway_state> self,
    dataverse_gateway_config config);

}  // namespace opencloser
