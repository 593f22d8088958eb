#pragma once
// The drain's adaptive concurrency (cli.md §5.2) and its request pacer, as pure logic: the
// actors feed observations (429s, dop hints, finished sessions, ctl commands) with the time in
// milliseconds of their own monotonic clock, and ask whether a session or request may start.
// No clock is read here, so every rule is testable with plain numbers.

#include <cstdint>
#include <optional>

namespace opencloser {

/// The `concurrency` object of the drain report.
struct concurrency_report {
  std::optional<std::int64_t> dop_hint;  ///< the last `x-ms-dop-hint` seen, none before any
  std::int64_t initial = 0;              ///< target when the drain started
  std::int64_t final = 0;                ///< target now / at the end
  std::int64_t min = 0;                  ///< lowest target ever in force
  std::int64_t max = 0;                  ///< highest target ever in force
  std::int64_t increases = 0;            ///< +1 steps after clean streaks
  std::int64_t decreases = 0;            ///< halvings after 429s
  bool operator==(const concurrency_report&) const = default;
};

struct concurrency_limits {
  std::int64_t initial = 4;           ///< `--concurrency` / `[drain].concurrency`
  std::int64_t max_concurrency = 16;  ///< `--max-concurrency` / `[drain].max_concurrency`
  std::int64_t increase_after = 20;   ///< clean sessions per +1 step
  bool respect_dop_hint = true;
};

/// A 429 without a usable `Retry-After` pauses this long (dataverse.md §5).
inline constexpr std::int64_t default_throttle_pause_ms = 5000;

class concurrency_controller {
 public:
  /// `dop_hint`: the hint of the readiness responses when the drain is set up after them, so
  /// the report's initial/min/max never show a target the service had already ruled out.
  explicit concurrency_controller(const concurrency_limits& limits,
                                  std::optional<std::int64_t> dop_hint = std::nullopt);

  /// An `x-ms-dop-hint` observation. With `respect_dop_hint` it lowers the ceiling (never
  /// raises it: the hint is the service's upper bound, the configured maximum is ours) and the
  /// target with it. Values < 1 are ignored as malformed.
  void on_dop_hint(std::int64_t hint);

  /// A 429 anywhere at `now_ms`. The first 429 of a pause window halves the target; later ones
  /// up to the end of the window (requests that were already in flight) only extend the pause,
  /// so one burst of throttling costs one halving. Every 429 also restarts the clean-session
  /// count of on_session_finished.
  void on_throttled(std::int64_t now_ms, std::optional<std::int64_t> retry_after_ms);

  /// A session whose run report is written. `increase_after` clean sessions in a row raise the
  /// target by one, up to the ceiling; a session that saw a 429 restarts the count.
  void on_session_finished(bool saw_429);

  /// May one more session start now? Only while in flight < target, the drain is not paused
  /// by the user (`ctl pause`) and no throttle pause is active.
  bool may_start(std::int64_t in_flight, std::int64_t now_ms, bool paused_by_user) const;

  /// `ctl set-concurrency N`: target = ceiling = N (the caller validated 1–1024). An explicit
  /// operator choice, so it is neither an increase nor a decrease; a later dop hint still
  /// lowers it.
  void set_concurrency(std::int64_t n);

  bool throttle_paused(std::int64_t now_ms) const {
    return paused_until_ && now_ms < *paused_until_;
  }
  std::int64_t target() const { return target_; }
  std::int64_t ceiling() const { return ceiling_; }
  /// End of the current throttle pause (may lie in the past); none before the first 429.
  std::optional<std::int64_t> paused_until_ms() const { return paused_until_; }
  std::optional<std::int64_t> last_throttled_ms() const { return last_throttled_; }
  std::int64_t throttled_count() const { return throttled_count_; }

  concurrency_report report() const;

 private:
  void set_target(std::int64_t value);

  concurrency_limits limits_;
  std::int64_t ceiling_ = 1;
  std::int64_t target_ = 1;
  std::int64_t clean_streak_ = 0;
  std::optional<std::int64_t> paused_until_;
  std::optional<std::int64_t> last_throttled_;
  std::int64_t throttled_count_ = 0;
  concurrency_report report_;
};

/// The per-node token bucket of `max_requests_per_second` (cli.md §5.2): capacity one
/// second's worth of requests (at least one), refilled continuously, full at the start.
/// Each call reserves the next request's slot, so concurrent callers are spread one after the
/// other instead of all waking at the same refill instant.
class request_pacer {
 public:
  /// `requests_per_second` <= 0 disables pacing.
  explicit request_pacer(double requests_per_second, std::int64_t start_ms = 0);

  /// Takes a token for one request at `now_ms` and returns how many milliseconds the caller
  /// must wait before sending it: 0 = send now. Time going backwards refills nothing.
  std::int64_t delay_for_next(std::int64_t now_ms);

  bool enabled() const { return rate_per_ms_ > 0; }

 private:
  double rate_per_ms_ = 0;
  double capacity_ = 0;
  double tokens_ = 0;  ///< negative = slots already promised to waiting callers
  std::int64_t last_ms_ = 0;
};

}  // namespace opencloser
