#include "bench/cell_figures.hpp"

#include <cmath>
#include <cstdio>

namespace opencloser::bench {

json::value at(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (const auto key : path) {
    cur = cur->find(key);
    if (!cur) return {};
  }
  return *cur;
}

double number(const json::value& v, std::initializer_list<std::string_view> path) {
  const auto n = at(v, path);
  return n.is_number() ? n.as_double() : std::nan("");
}

json::value figure(double v) {
  return std::isfinite(v) ? json::value(v) : json::value();
}

json::value usage_json(const child_usage& u) {
  json::value v;
  v.set("wall_s", u.wall_s);
  v.set("user_s", u.user_s);
  v.set("sys_s", u.sys_s);
  // CPU cores kept busy on average: near the core count means the process was CPU-bound.
  v.set("cpu_cores_busy", u.wall_s > 0 ? (u.user_s + u.sys_s) / u.wall_s : 0.0);
  v.set("max_rss_kb", static_cast<std::int64_t>(u.max_rss_kb));
  v.set("spawner_rss_kb", static_cast<std::int64_t>(u.spawner_rss_kb));
  v.set("polled_hwm_kb", static_cast<std::int64_t>(u.polled_hwm_kb));
  v.set("voluntary_context_switches", static_cast<std::int64_t>(u.voluntary_switches));
  v.set("involuntary_context_switches", static_cast<std::int64_t>(u.involuntary_switches));
  v.set("exit_code", u.exit_code);
  v.set("signal", u.signal);
  return v;
}

json::value report_figures(const json::value& report) {
  json::value v;
  for (const auto* key : {"exit_status", "block_reason", "message", "run_mode", "writeback_mode",
                          "warnings", "totals", "throughput", "latency_ms", "http", "concurrency"})
    v.set(key, at(report, {key}));
  return v;
}

void add_drain_figures(json::value& cell, const drain_outcome& d) {
  const auto& r = d.report;
  cell.set("exit_code", d.usage.exit_code);
  cell.set("exit_status", at(r, {"exit_status"}));
  cell.set("timed_out", d.timed_out);
  cell.set("processed", at(r, {"totals", "processed"}));
  cell.set("wall_s", d.usage.wall_s);
  cell.set("peak_rss_mb", static_cast<double>(d.usage.max_rss_kb) / 1024.0);
  // Only then is ru_maxrss the drain's own (child_usage::max_rss_kb).
  cell.set("peak_rss_is_the_drains", d.usage.max_rss_kb > d.usage.spawner_rss_kb);
  cell.set("sessions_per_second", figure(number(r, {"throughput", "sessions_per_second"})));
  cell.set("requests_per_second", figure(number(r, {"throughput", "requests_per_second"})));
  cell.set("session_p50_ms", figure(number(r, {"latency_ms", "session_p50"})));
  cell.set("session_p99_ms", figure(number(r, {"latency_ms", "session_p99"})));
  cell.set("drain_process", usage_json(d.usage));
  cell.set("report", report_figures(r));
  if (r.is_null() || d.usage.exit_code != 0) cell.set("drain_stderr_tail", d.stderr_tail);
}

void print_drain_line(const std::string& id, const json::value& cell) {
  const auto n = [&](std::string_view key) {
    const auto* v = cell.find(key);
    return v && v->is_number() ? v->as_double() : std::nan("");
  };
  std::printf(
      "  %-8s exit %-3.0f wall %8.2f s  %9.1f sessions/s  %9.1f requests/s  "
      "p50 %6.1f ms  p99 %7.1f ms  peak RSS %7.1f MB\n",
      id.c_str(), n("exit_code"), n("wall_s"), n("sessions_per_second"), n("requests_per_second"),
      n("session_p50_ms"), n("session_p99_ms"), n("peak_rss_mb"));
  std::fflush(stdout);
}

}  // namespace opencloser::bench
