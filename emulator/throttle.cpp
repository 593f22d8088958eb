#include "emulator/throttle.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace opencloser::emulator {

namespace {

void check_limits(const throttling_limits& l) {
  if (l.requests < 0 || l.window_s < 0 || l.concurrency < 0 || l.exec_ms < 0)
    throw std::invalid_argument("throttling limits must be ≥ 0 (0 switches a check off)");
}

}  // namespace

throttle::throttle(throttling_limits limits, std::optional<std::int64_t> fixed_retry_after_s)
    : limits_(limits), fixed_retry_after_s_(fixed_retry_after_s) {
  check_limits(limits);
  if (fixed_retry_after_s && *fixed_retry_after_s < 1)
    throw std::invalid_argument("a fixed Retry-After must be ≥ 1 second");
}

void throttle::set_limits(throttling_limits limits) {
  check_limits(limits);
  limits_ = limits;
}

throttle::client_state& throttle::state_of(std::string_view client_id) {
  // Heterogeneous find: no allocation once the client is known.
  auto it = clients_.find(client_id);
  if (it == clients_.end()) it = clients_.emplace(std::string(client_id), client_state{}).first;
  return it->second;
}

std::chrono::steady_clock::duration throttle::window() const {
  return std::chrono::seconds(limits_.window_s);
}

void throttle::prune(client_state& state, time_point now) const {
  const auto w = window();
  while (!state.admitted.empty() && state.admitted.front() + w <= now) state.admitted.pop_front();
  while (!state.executions.empty() && state.executions.front().at + w <= now) {
    state.execution_ms -= state.executions.front().ms;
    state.executions.pop_front();
  }
}

std::int64_t throttle::retry_after(time_point leaves_window, time_point now) const {
  if (fixed_retry_after_s_) return *fixed_retry_after_s_;
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(leaves_window - now).count();
  return std::max<std::int64_t>(1, seconds);
}

throttle_verdict throttle::refuse(std::int64_t retry_after_s, std::string_view code,
                                  std::string message) {
  ++throttled_total_;
  return throttle_verdict{false, retry_after_s, std::string(code), std::move(message)};
}

throttle_verdict throttle::enter(std::string_view client_id, time_point now) {
  auto& state = state_of(client_id);
  ++state.in_flight;
  ++in_flight_;
  state.max_in_flight = std::max(state.max_in_flight, state.in_flight);
  max_in_flight_ = std::max(max_in_flight_, in_flight_);

  if (limits_.concurrency > 0 && state.in_flight > limits_.concurrency) {
    return refuse(1, "0x80072326",
                  "Number of concurrent requests exceeded the limit of " +
                      std::to_string(limits_.concurrency) + ".");
  }
  if (limits_.window_s == 0) return {};
  prune(state, now);
  const auto w = window();
  // Messages are built only on refusal: an admitted request allocates nothing here.
  const auto window_text = [&] {
    return " over time window of " + std::to_string(limits_.window_s) + " seconds.";
  };
  if (limits_.requests > 0 &&
      static_cast<std::int64_t>(state.admitted.size()) >= limits_.requests) {
    // The oldest admitted request is the next to leave and free a slot.
    return refuse(retry_after(state.admitted.front() + w, now), "0x80072322",
                  "Number of requests exceeded the limit of " + std::to_string(limits_.requests) +
                      window_text());
  }
  if (limits_.exec_ms > 0 && state.execution_ms > limits_.exec_ms) {
    // Within the limit again once enough of the oldest execution time has left the window.
    auto excess = state.execution_ms - limits_.exec_ms;
    auto leaves = now;
    for (const auto& e : state.executions) {
      excess -= e.ms;
      leaves = e.at + w;
      if (excess <= 0) break;
    }
    return refuse(retry_after(leaves, now), "0x80072321",
                  "Combined execution time of incoming requests exceeded limit of " +
                      std::to_string(limits_.exec_ms) + " milliseconds" + window_text());
  }
  if (limits_.requests > 0) state.admitted.push_back(now);
  return {};
}

void throttle::leave(std::string_view client_id) {
  const auto it = clients_.find(client_id);
  if (it == clients_.end() || it->second.in_flight == 0) return;  // unmatched: ignore
  --it->second.in_flight;
  --in_flight_;
}

void throttle::add_execution_time(std::string_view client_id, std::int64_t ms, time_point now) {
  // Nothing to record while the check is off: the deque would only grow.
  if (ms <= 0 || limits_.exec_ms == 0 || limits_.window_s == 0) return;
  auto& state = state_of(client_id);
  state.executions.push_back(execution{now, ms});
  state.execution_ms += ms;
}

std::map<std::string, std::int64_t> throttle::max_in_flight_by_client() const {
  std::map<std::string, std::int64_t> out;
  for (const auto& [client, state] : clients_) out.emplace(client, state.max_in_flight);
  return out;
}

std::int64_t throttle::remaining_in_window(std::string_view client_id, time_point now) const {
  if (limits_.requests == 0 || limits_.window_s == 0) return -1;
  const auto it = clients_.find(client_id);
  if (it == clients_.end()) return limits_.requests;
  // const: count the entries still inside the window without pruning (the deque is sorted).
  const auto& admitted = it->second.admitted;
  const auto cutoff = now - window();
  const auto first_inside = std::upper_bound(admitted.begin(), admitted.end(), cutoff);
  const auto inside = static_cast<std::int64_t>(admitted.end() - first_inside);
  return std::max<std::int64_t>(0, limits_.requests - inside);
}

void throttle::reset() {
  clients_.clear();
  in_flight_ = 0;
  max_in_flight_ = 0;
  throttled_total_ = 0;
}

}  // namespace opencloser::emulator
