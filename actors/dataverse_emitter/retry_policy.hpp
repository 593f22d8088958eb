#pragma once
// The retry policy of every Dataverse request (dataverse.md §5), as pure logic: which results
// are transient, throttled or permanent, how long to wait before a resend, and when to give
// up. A `retry_state` per logical request is fed each attempt's result and answers what to do
// next, so an actor can drive it with timers and the tests can drive it with plain sequences.
// No clock, no sleeping, no I/O here.

#include <cstdint>
#include <optional>
#include <string_view>

#include "adapters/http/http_client.hpp"  // http_result / transport_failure (plain structs)
#include "messages/settings.hpp"

namespace opencloser {

enum class outcome_class { success, transient, throttled, permanent };

/// Transient: connect/DNS failure, timeout, reset, end of stream, other TLS failures, HTTP 408,
/// 500–599 except 501 and 505. Throttled: 429. Permanent: every other non-2xx, TLS
/// certificate failures, malformed responses, refused URLs.
outcome_class classify(const http_result& result);
outcome_class classify_failure(transport_failure failure);
outcome_class classify_status(int status);

/// A `Retry-After` value in delta-seconds form (non-negative integer or decimal, optional
/// surrounding blanks); nullopt for the HTTP-date form or anything else.
std::optional<double> parse_retry_after(std::string_view value);

/// The first `Retry-After` header of a result, parsed as above.
std::optional<double> retry_after_of(const http_result& result);

enum class retry_action {
  send_now,                   ///< (first attempt) send the request
  wait_then_resend,           ///< wait `wait_seconds` (may be 0), then send again
  refresh_token_then_resend,  ///< a first 401: refresh the token, resend at once (not counted)
  succeeded,                  ///< 2xx: done
  give_up,                    ///< see `reason`
};

enum class give_up_reason { none, transient_exhausted, permanent };

struct retry_decision {
  retry_action action = retry_action::send_now;
  double wait_seconds = 0;
  give_up_reason reason = give_up_reason::none;
  bool operator==(const retry_decision&) const = default;
};

/// Seconds a 429 without a usable delta-seconds Retry-After waits.
inline constexpr double default_throttle_wait_seconds = 5;

class retry_state {
 public:
  explicit retry_state(retry_settings settings);

  /// The decision in force: send_now before any result, then the last one returned.
  const retry_decision& decision() const { return decision_; }
  bool finished() const {
    return decision_.action == retry_action::succeeded || decision_.action == retry_action::give_up;
  }

  /// One Web API attempt's result (a 401 triggers the one token refresh, a second is permanent).
  retry_decision on_result(const http_result& result);
  /// An already classified outcome, e.g. a failed token acquisition inside the loop, with the
  /// parsed Retry-After (parse_retry_after) when there was a usable one.
  retry_decision on_outcome(outcome_class outcome, std::optional<double> retry_after_seconds);

  std::int64_t attempts() const { return attempts_; }  ///< results fed so far
  std::int64_t retries() const {
    return retries_;
  }  ///< transient resends (count against max_retries)
  std::int64_t throttled() const { return throttled_; }            ///< 429s seen
  double throttle_wait_seconds() const { return throttle_wait_; }  ///< cumulative 429 wait granted

 private:
  retry_decision transient(std::optional<double> retry_after_seconds);
  retry_decision throttle(std::optional<double> retry_after_seconds);
  retry_decision decide(retry_decision d);

  retry_settings settings_;
  retry_decision decision_;
  std::int64_t attempts_ = 0;
  std::int64_t retries_ = 0;
  std::int64_t throttled_ = 0;
  std::int64_t unauthorized_ = 0;
  double throttle_wait_ = 0;
};

}  // namespace opencloser
