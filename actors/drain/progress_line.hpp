#pragma once
// The drain's progress text on stderr (cli.md §5.3), as pure functions of a snapshot: the
// actor decides when to print (progress_interval_ms) and where, these decide what.

#include <cstdint>
#include <string>

#include "actors/drain/drain_totals.hpp"

namespace opencloser {

struct progress_snapshot {
  drain_totals totals;
  bool pages_remain = false;    ///< the pager has not reached the last page: `seen` may grow
  std::int64_t in_flight = 0;   ///< sessions holding a credit
  std::int64_t target = 0;      ///< concurrency target
  std::int64_t throttled = 0;   ///< 429s seen so far
  std::int64_t elapsed_ms = 0;  ///< monotonic time since the drain started
};

/// Sessions finished per second so far (processed / elapsed); 0 before any time has passed.
double sessions_per_second(const progress_snapshot& s);

/// Seconds until every seen row is done at the pace so far; -1 while unknown (pages remain,
/// or nothing done yet). Deferred rows count as done rows: they belong to the same total.
std::int64_t eta_seconds(const progress_snapshot& s);

/// `42s`, `3m05s`, `1h02m`.
std::string format_duration(std::int64_t seconds);

/// The figures both forms share, e.g.
/// `412/500+ ok 380 blocked 20 conflict 2 resume 0 failed 10 | 12.3 sessions/s |
/// in-flight 8/16 | 429 3 | eta 1m12s` (`+` while pages remain, eta only when known).
/// `blocked` is eligibility + other; conflicts have their own figure.
std::string progress_figures(const progress_snapshot& s);

/// The TTY line, at most `width` characters (it is redrawn with `\r`, so it must not wrap):
/// a `[###---]` bar of done/seen filling what the figures leave, dropped below 10 columns;
/// the figures cut at `width` when even they do not fit.
std::string progress_bar_line(const progress_snapshot& s, std::size_t width);

/// The line printed without a TTY: `progress: <figures> | elapsed 1m40s`.
std::string progress_plain_line(const progress_snapshot& s);

/// Minimum time between two progress outputs: ≤ 10 updates/s on a TTY, every 10 s without.
constexpr std::int64_t progress_interval_ms(bool tty) {
  return tty ? 100 : 10000;
}

}  // namespace opencloser
