#pragma once
// Service-protection limits of the emulator (emulator.md §5): per client id, a sliding-window
// request count, a concurrency limit and a combined execution-time budget. Pure logic: the
// caller passes the time in (tests drive a fake clock) and turns a refusal into the 429.
//
// Thread safety: none. The emulator serialises every call on a throttle under one mutex.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "emulator/seed.hpp"

namespace opencloser::emulator {

/// allowed, or the 429's Retry-After seconds and Dataverse error code/message.
struct throttle_verdict {
  bool allowed = true;
  std::int64_t retry_after_s = 0;
  std::string code;
  std::string message;
};

class throttle {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  /// `fixed_retry_after_s` (--retry-after-s) replaces the computed Retry-After of request-count
  /// and execution-time refusals (a concurrency refusal always says 1). Throws
  /// std::invalid_argument for a negative limit or a fixed Retry-After below 1.
  explicit throttle(throttling_limits limits,
                    std::optional<std::int64_t> fixed_retry_after_s = std::nullopt);

  /// New limits from the next enter() on; the recorded windows are kept. Same checks as the
  /// constructor. A limit of 0 switches its check off; window_s 0 switches off both
  /// window-based checks (request count and execution time).
  void set_limits(throttling_limits limits);
  const throttling_limits& limits() const { return limits_; }

  /// A Web API request arrives (a $batch is one request). It is counted in flight first (so
  /// high-water marks include refused requests), then checked in this order:
  /// - concurrency: more than `concurrency` in flight for this client → Retry-After 1, code
  ///   0x80072326, "Number of concurrent requests exceeded the limit of <N>.";
  /// - request count: `requests` already admitted within the last `window_s` → code
  ///   0x80072322, "Number of requests exceeded the limit of <N> over time window of <W>
  ///   seconds.", Retry-After = whole seconds (rounded up, ≥ 1) until the oldest of them
  ///   leaves the window;
  /// - execution time: the execution ms recorded within the window already above `exec_ms` →
  ///   code 0x80072321, "Combined execution time of incoming requests exceeded limit of <X>
  ///   milliseconds over time window of <W> seconds.", Retry-After = whole seconds (≥ 1)
  ///   until enough of it has left the window to be within the limit.
  /// An entry recorded at t counts while now < t + window_s. Only admitted requests are
  /// recorded in the window. `now` is expected not to go backwards between calls.
  throttle_verdict enter(std::string_view client_id, time_point now);

  /// Every enter() is matched by exactly one leave(), admitted or not.
  void leave(std::string_view client_id);

  /// Simulated execution time of an admitted request (its injected latency; a $batch = the
  /// sum of its operations), counted in the window from `now`. Ignored when ms ≤ 0 or the
  /// execution-time check is off (exec_ms or window_s 0).
  void add_execution_time(std::string_view client_id, std::int64_t ms, time_point now);

  /// High-water mark of requests in flight over all clients (refused ones included).
  std::int64_t max_in_flight() const { return max_in_flight_; }
  /// The same per client id.
  std::map<std::string, std::int64_t> max_in_flight_by_client() const;
  std::uint64_t throttled_total() const { return throttled_total_; }

  /// Requests the client may still make in the current window (for
  /// x-ms-ratelimit-burst-remaining-xrm-requests), ≥ 0; -1 when the request-count check is off.
  std::int64_t remaining_in_window(std::string_view client_id, time_point now) const;

  /// Forgets every window, in-flight count, high-water mark and counter (POST
  /// /_emulator/reset); the limits stay. Call it only with no request in flight.
  void reset();

 private:
  struct execution {
    time_point at;
    std::int64_t ms;
  };
  struct client_state {
    std::int64_t in_flight = 0;
    std::int64_t max_in_flight = 0;
    std::deque<time_point> admitted;   // oldest first
    std::deque<execution> executions;  // oldest first
    std::int64_t execution_ms = 0;     // sum over `executions`
  };

  client_state& state_of(std::string_view client_id);
  std::chrono::steady_clock::duration window() const;
  void prune(client_state& state, time_point now) const;
  std::int64_t retry_after(time_point leaves_window, time_point now) const;
  throttle_verdict refuse(std::int64_t retry_after_s, std::string_view code, std::string message);

  throttling_limits limits_;
  std::optional<std::int64_t> fixed_retry_after_s_;
  std::map<std::string, client_state, std::less<>> clients_;
  std::int64_t in_flight_ = 0;
  std::int64_t max_in_flight_ = 0;
  std::uint64_t throttled_total_ = 0;
};

}  // namespace opencloser::emulator
