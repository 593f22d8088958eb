// Progress text of cli.md §5.3; see progress_line.hpp.

#include "actors/drain/progress_line.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace opencloser {

namespace {

constexpr std::size_t min_bar_cells = 10;

std::string two_digits(std::int64_t v) {
  return (v < 10 ? "0" : "") + std::to_string(v);
}

}  // namespace

double sessions_per_second(const progress_snapshot& s) {
  if (s.elapsed_ms <= 0) return 0;
  return static_cast<double>(s.totals.processed) * 1000.0 / static_cast<double>(s.elapsed_ms);
}

std::int64_t eta_seconds(const progress_snapshot& s) {
  const std::int64_t done = s.totals.done();
  if (s.pages_remain || done <= 0 || s.elapsed_ms <= 0) return -1;
  const std::int64_t remaining = std::max<std::int64_t>(0, s.totals.seen - done);
  const double rows_per_ms = static_cast<double>(done) / static_cast<double>(s.elapsed_ms);
  return static_cast<std::int64_t>(
      std::ceil(static_cast<double>(remaining) / rows_per_ms / 1000.0));
}

std::string format_duration(std::int64_t seconds) {
  seconds = std::max<std::int64_t>(0, seconds);
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m" + two_digits(seconds % 60) + "s";
  return std::to_string(seconds / 3600) + "h" + two_digits(seconds / 60 % 60) + "m";
}

std::string progress_figures(const progress_snapshot& s) {
  const drain_totals& t = s.totals;
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.1f", sessions_per_second(s));
  std::string out = std::to_string(t.done()) + "/" + std::to_string(t.seen) +
                    (s.pages_remain ? "+" : "") + " ok " + std::to_string(t.completed) +
                    " blocked " + std::to_string(t.blocked_eligibility + t.blocked_other) +
                    " conflict " + std::to_string(t.blocked_conflict) + " resume " +
                    std::to_string(t.resume_needed) + " failed " + std::to_string(t.failed) +
                    " | " + rate + " sessions/s | in-flight " + std::to_string(s.in_flight) + "/" +
                    std::to_string(s.target) + " | 429 " + std::to_string(s.throttled);
  if (const auto eta = eta_seconds(s); eta >= 0) out += " | eta " + format_duration(eta);
  return out;
}

std::string progress_bar_line(const progress_snapshot& s, std::size_t width) {
  std::string figures = progress_figures(s);
  // "[" + cells + "] " around the figures.
  if (width < figures.size() + min_bar_cells + 3) {
    figures.resize(std::min(figures.size(), width));
    return figures;
  }
  const std::size_t cells = width - figures.size() - 3;
  const std::int64_t done = s.totals.done();
  const std::int64_t seen = s.totals.seen;
  const std::size_t filled =
      seen > 0 ? static_cast<std::size_t>(static_cast<double>(cells) *
                                          static_cast<double>(std::min(done, seen)) /
                                          static_cast<double>(seen))
               : 0;
  return "[" + std::string(filled, '#') + std::string(cells - filled, '-') + "] " + figures;
}

std::string progress_plain_line(const progress_snapshot& s) {
  return "progress: " + progress_figures(s) + " | elapsed " +
         format_duration(std::max<std::int64_t>(0, s.elapsed_ms) / 1000);
}

}  // namespace opencloser
