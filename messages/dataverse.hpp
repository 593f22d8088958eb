#pragma once
// Dataverse Web API requests as messages: what an actor asks the gateway to send, and what
// comes back. No HTTP types here: the gateway (actors/dataverse_gateway) turns a call into an
// http_call and back, with the token, the standard headers and the retry policy.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "messages/report.hpp"

namespace opencloser {

/// One Web API request, relative to `<env>/api/data/v9.2/`.
struct dataverse_call {
  std::string step;          ///< http-plan step name or a label (`verify`, `load`, …)
  std::string method;        ///< GET, POST, PATCH, DELETE
  std::string relative_url;  ///< percent-encoded as sent
  std::vector<std::pair<std::string, std::string>> headers;  ///< beyond the standard ones
  std::string body;
  /// GET and (conditional) PATCH are resent on transient failures; POST and `$batch` never
  /// blindly (dataverse.md §5): the caller re-queries by key first.
  bool resend_on_transient = true;
  bool operator==(const dataverse_call&) const = default;
};

enum class dataverse_outcome : std::uint8_t {
  success,              ///< 2xx
  transient,            ///< transient and not resent (resend_on_transient = false)
  transient_exhausted,  ///< retries or the throttle budget used up
  permanent,            ///< other non-2xx, certificate failure, malformed answer
};

struct dataverse_reply {
  dataverse_outcome outcome = dataverse_outcome::success;
  int status = 0;  ///< 0 without a response
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// Secret-free: `Dataverse returned HTTP <status> for <METHOD> <env><path>` or
  /// `Dataverse transport failure: <kind>` or the token provider's message.
  std::string message;
  double wait_seconds = 0;  ///< outcome transient: the §5 delay before the caller's next try
  http_counters counters;   ///< this call's requests, retries, 429s, token requests, writes
  bool operator==(const dataverse_reply&) const = default;
};

}  // namespace opencloser
