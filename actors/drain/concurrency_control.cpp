// cli.md §5.2 as a small state machine; see concurrency_control.hpp.

#include "actors/drain/concurrency_control.hpp"

#include <algorithm>
#include <cmath>

namespace opencloser {

concurrency_controller::concurrency_controller(const concurrency_limits& limits,
                                               std::optional<std::int64_t> dop_hint)
    : limits_(limits) {
  // Settings were validated (>= 1) by the config loader; the clamps only keep the invariants
  // 1 <= target <= ceiling if a caller passes something odd.
  limits_.increase_after = std::max<std::int64_t>(1, limits_.increase_after);
  ceiling_ = std::max<std::int64_t>(1, limits_.max_concurrency);
  if (dop_hint && *dop_hint >= 1) {
    report_.dop_hint = *dop_hint;
    if (limits_.respect_dop_hint) ceiling_ = std::min(ceiling_, *dop_hint);
  }
  target_ = std::clamp<std::int64_t>(limits_.initial, 1, ceiling_);
  report_.initial = report_.final = report_.min = report_.max = target_;
}

void concurrency_controller::set_target(std::int64_t value) {
  target_ = value;
  report_.final = value;
  report_.min = std::min(report_.min, value);
  report_.max = std::max(report_.max, value);
}

void concurrency_controller::on_dop_hint(std::int64_t hint) {
  if (hint < 1) return;
  report_.dop_hint = hint;
  if (!limits_.respect_dop_hint || hint >= ceiling_) return;
  ceiling_ = hint;
  if (target_ > ceiling_) set_target(ceiling_);
}

void concurrency_controller::on_throttled(std::int64_t now_ms,
                                          std::optional<std::int64_t> retry_after_ms) {
  ++throttled_count_;
  last_throttled_ = now_ms;
  // A 429 says the service is at its limit right now: clean sessions counted before it must
  // not earn an increase right after it.
  clean_streak_ = 0;
  const std::int64_t wait =
      std::max<std::int64_t>(0, retry_after_ms.value_or(default_throttle_pause_ms));
  // Up to and including the end of the pause, a 429 belongs to the burst that started it
  // (a request already in flight, or a late observation from a worker).
  const bool inside_window = paused_until_ && now_ms <= *paused_until_;
  if (!inside_window) {
    const std::int64_t halved = std::max<std::int64_t>(1, target_ / 2);
    if (halved < target_) {
      set_target(halved);
      ++report_.decreases;
    }
  }
  paused_until_ = std::max(paused_until_.value_or(now_ms + wait), now_ms + wait);
}

void concurrency_controller::on_session_finished(bool saw_429) {
  if (saw_429) {
    clean_streak_ = 0;
    return;
  }
  if (++clean_streak_ < limits_.increase_after) return;
  clean_streak_ = 0;
  if (target_ < ceiling_) {
    set_target(target_ + 1);
    ++report_.increases;
  }
}

bool concurrency_controller::may_start(std::int64_t in_flight, std::int64_t now_ms,
                                       bool paused_by_user) const {
  return !paused_by_user && !throttle_paused(now_ms) && in_flight < target_;
}

void concurrency_controller::set_concurrency(std::int64_t n) {
  ceiling_ = std::max<std::int64_t>(1, n);
  clean_streak_ = 0;
  set_target(ceiling_);
}

concurrency_report concurrency_controller::report() const {
  return report_;
}

request_pacer::request_pacer(double requests_per_second, std::int64_t start_ms)
    : last_ms_(start_ms) {
  if (!(requests_per_second > 0)) return;  // also rejects NaN
  rate_per_ms_ = requests_per_second / 1000.0;
  // Below one request per second a bucket of one second's worth would never hold a whole
  // token; one token keeps the first request immediate and the spacing at 1/rate.
  capacity_ = std::max(1.0, requests_per_second);
  tokens_ = capacity_;
}

std::int64_t request_pacer::delay_for_next(std::int64_t now_ms) {
  if (!enabled()) return 0;
  if (now_ms > last_ms_) {
    tokens_ = std::min(capacity_, tokens_ + static_cast<double>(now_ms - last_ms_) * rate_per_ms_);
    last_ms_ = now_ms;
  }
  // Reserve: the balance may go negative; the deficit is the queue of promised slots.
  const double before = tokens_;
  tokens_ -= 1.0;
  if (before >= 1.0) return 0;
  // Tiny epsilon: 1 - 0.9999999 must not round a 0 ms wait up to a whole millisecond.
  return static_cast<std::int64_t>(std::ceil((1.0 - before) / rate_per_ms_ - 1e-9));
}

}  // namespace opencloser
