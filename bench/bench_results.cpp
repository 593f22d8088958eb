#include "bench/bench_results.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "bench/svg_plot.hpp"

namespace opencloser::bench {

namespace {

double num(const json::value& cell, std::string_view key) {
  const auto* v = cell.find(key);
  return v && v->is_number() ? v->as_double() : std::nan("");
}

std::string str(const json::value& cell, std::string_view key) {
  const auto* v = cell.find(key);
  return v && v->is_string() ? v->as_string() : std::string();
}

std::vector<const json::value*> cells_of(const json::array& cells, std::string_view kind) {
  std::vector<const json::value*> out;
  for (const auto& c : cells)
    if (str(c, "cell") == kind) out.push_back(&c);
  return out;
}

json::value target(std::string id, std::string what, double value, std::string comparison,
                   double threshold) {
  json::value t;
  t.set("target", std::move(id));
  t.set("description", std::move(what));
  t.set("value", std::isfinite(value) ? json::value(value) : json::value());
  t.set("comparison", comparison);
  t.set("threshold", threshold);
  const bool met =
      std::isfinite(value) && (comparison == "<=" ? value <= threshold : value >= threshold);
  t.set("met", met);
  return t;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

/// Logarithmic bounds with a little room around the data.
std::pair<double, double> log_bounds(double lo, double hi) {
  lo = std::max(lo, 1e-3);
  hi = std::max(hi, lo * 1.01);
  return {std::pow(10.0, std::floor(std::log10(lo))), std::pow(10.0, std::ceil(std::log10(hi)))};
}

std::optional<plot> throughput_plot(const json::value& doc) {
  const auto& cells = doc.find("cells")->as_array();
  plot_series sessions{"drain sessions/s", "#1f77b4", false, true, {}};
  plot_series requests{"drain requests/s", "#d62728", false, true, {}};
  plot_series raw{"raw-HTTP limit, requests/s", "#555555", true, true, {}};
  for (const auto* c : cells_of(cells, "b")) {
    const double n = num(*c, "concurrency");
    if (std::isfinite(num(*c, "sessions_per_second")))
      sessions.points.emplace_back(n, num(*c, "sessions_per_second"));
    if (std::isfinite(num(*c, "requests_per_second")))
      requests.points.emplace_back(n, num(*c, "requests_per_second"));
  }
  for (const auto* c : cells_of(cells, "c"))
    raw.points.emplace_back(num(*c, "concurrency"), num(*c, "requests_per_second"));
  if (sessions.points.empty() && raw.points.empty()) return std::nullopt;
  double lo = 1e300, hi = 0, xlo = 1e300, xhi = 0;
  std::vector<double> xs;
  for (const auto* s : {&sessions, &requests, &raw})
    for (const auto& [x, y] : s->points) {
      lo = std::min(lo, y);
      hi = std::max(hi, y);
      xlo = std::min(xlo, x);
      xhi = std::max(xhi, x);
      if (std::find(xs.begin(), xs.end(), x) == xs.end()) xs.push_back(x);
    }
  std::sort(xs.begin(), xs.end());
  plot p;
  p.title = "Drain throughput vs concurrency (b) and the raw-HTTP limit (c)";
  const auto b_cells = cells_of(cells, "b");
  const std::string rows =
      b_cells.empty() ? "?" : std::to_string(static_cast<long long>(num(*b_cells.front(), "rows")));
  const std::string mode = b_cells.empty() ? "" : str(*b_cells.front(), "writeback_mode");
  p.subtitle = str(doc, "name") + " — write drain of " + rows + " rows (" + mode +
               " write-back), " + str(*doc.find("machine"), "cpu_model") + ", " +
               std::to_string(static_cast<long long>(num(*doc.find("machine"), "cores"))) +
               " cores";
  p.x = {"concurrency (sessions = keep-alive connections)", true, xlo / 1.5, xhi * 1.5, xs};
  const auto [ylo, yhi] = log_bounds(lo, hi);
  p.y = {"per second (log scale)", true, ylo, yhi, decade_ticks(ylo, yhi)};
  p.series = {sessions, requests, raw};
  return p;
}

std::optional<plot> rss_plot(const json::value& doc) {
  const auto& cells = doc.find("cells")->as_array();
  plot_series rss{"drain peak RSS", "#2ca02c", false, true, {}};
  std::vector<double> xs;
  double hi = 0;
  for (const auto* c : cells_of(cells, "a")) {
    rss.points.emplace_back(num(*c, "rows"), num(*c, "peak_rss_mb"));
    xs.push_back(num(*c, "rows"));
    hi = std::max(hi, num(*c, "peak_rss_mb"));
  }
  if (rss.points.empty()) return std::nullopt;
  std::sort(rss.points.begin(), rss.points.end());
  std::sort(xs.begin(), xs.end());
  plot p;
  p.title = "Drain peak RSS vs queue size (a, dry-run)";
  p.subtitle = str(doc, "name") + " — ru_maxrss of the drain process; target ≤ 200 MB";
  p.x = {"queue rows (log scale)", true, xs.front() / 2, xs.back() * 2, xs};
  const double ymax = std::ceil(std::max(hi, 200.0) * 1.2 / 50.0) * 50.0;
  std::vector<double> yticks;
  for (double t = 0; t <= ymax; t += 50) yticks.push_back(t);
  p.y = {"peak RSS (MB)", false, 0, ymax, yticks};
  p.series = {rss};
  p.rules = {{200, "target 200 MB", "#d62728"}};
  return p;
}

}  // namespace

json::value evaluate_targets(const json::array& cells) {
  json::array targets;
  for (const auto* c : cells_of(cells, "c"))
    targets.push_back(target("efficiency_" + str(*c, "replays"),
                             "write drain requests/s ÷ raw-HTTP requests/s at concurrency " +
                                 std::to_string(static_cast<long long>(num(*c, "concurrency"))),
                             num(*c, "efficiency"), ">=", 0.90));
  const auto a = cells_of(cells, "a");
  for (const auto* c : a) {
    const auto rows = std::to_string(static_cast<long long>(num(*c, "rows")));
    if (num(*c, "rows") == 100000)
      targets.push_back(target("dry_run_100k_wall_s",
                               "dry-run drain of 100,000 rows, wall time (s)", num(*c, "wall_s"),
                               "<=", 60));
    targets.push_back(target("peak_rss_mb_" + rows,
                             "dry-run drain of " + rows + " rows, peak RSS (MB)",
                             num(*c, "peak_rss_mb"), "<=", 200));
  }
  if (a.size() >= 2) {
    const auto by_rows = [](const json::value* x, const json::value* y) {
      return num(*x, "rows") < num(*y, "rows");
    };
    const auto* small = *std::min_element(a.begin(), a.end(), by_rows);
    const auto* large = *std::max_element(a.begin(), a.end(), by_rows);
    const auto label = std::to_string(static_cast<long long>(num(*large, "rows"))) + "/" +
                       std::to_string(static_cast<long long>(num(*small, "rows")));
    targets.push_back(target("rss_ratio_" + label, "peak RSS(" + label + " rows) ratio",
                             num(*large, "peak_rss_mb") / num(*small, "peak_rss_mb"), "<=", 1.15));
  }
  for (const auto* c : cells_of(cells, "d")) {
    targets.push_back(target("throttled_rate", "achieved ÷ permitted request rate under the budget",
                             num(*c, "achieved_over_permitted"), ">=", 0.95));
    const auto* failed = c->find("failed_sessions");
    targets.push_back(target("throttled_failed_sessions", "failed sessions under the budget",
                             failed && failed->is_number() ? failed->as_double() : std::nan(""),
                             "<=", 0));
  }
  return targets;
}

json::value results_document(const bench_settings& settings, const run_facts& facts,
                             const json::array& cells) {
  json::value doc;
  doc.set("schema_version", results_schema);
  doc.set("name", settings.name);
  doc.set("started_at", facts.started_at);
  doc.set("ended_at", utc_timestamp());
  doc.set("command", settings.command_line);
  json::value machine;
  machine.set("hostname", facts.machine.hostname);
  machine.set("cpu_model", facts.machine.cpu_model);
  machine.set("cores", static_cast<std::int64_t>(facts.machine.cores));
  machine.set("memory_bytes", facts.machine.memory_bytes);
  machine.set("memory_gib",
              static_cast<double>(facts.machine.memory_bytes) / (1024.0 * 1024 * 1024));
  machine.set("kernel", facts.machine.kernel);
  doc.set("machine", std::move(machine));
  doc.set("commit", facts.commit.commit.empty() ? json::value() : json::value(facts.commit.commit));
  doc.set("commit_dirty", facts.commit.dirty);
  doc.set("opencloser_version", facts.opencloser_version);
  json::value work;
  work.set("path", settings.work_dir.string());
  work.set("filesystem", facts.work_filesystem);
  doc.set("work_dir", std::move(work));
  json::value params;
  params.set("writeback_mode", settings.writeback_mode);
  json::array rows_a;
  for (const auto r : settings.rows_a) rows_a.emplace_back(r);
  params.set("rows_a", std::move(rows_a));
  params.set("rows_b", settings.rows_b);
  json::array conc;
  for (const auto c : settings.concurrency) conc.emplace_back(c);
  params.set("concurrency", std::move(conc));
  params.set("rows_d", settings.rows_d);
  params.set("throttle_requests", settings.throttle_requests);
  params.set("throttle_window_s", settings.throttle_window_s);
  params.set("quick", settings.quick);
  doc.set("parameters", std::move(params));
  doc.set("cells", cells);
  doc.set("targets", evaluate_targets(cells));
  return doc;
}

namespace {

void write_plots(const std::string& stem, const json::value& document) {
  if (const auto p = throughput_plot(document))
    write_text(stem + "-throughput.svg", render_svg(*p));
  if (const auto p = rss_plot(document)) write_text(stem + "-rss.svg", render_svg(*p));
}

}  // namespace

void write_results(const bench_settings& settings, const json::value& document) {
  std::filesystem::create_directories(settings.results_dir);
  const auto stem = settings.results_dir / settings.name;
  write_text(stem.string() + ".json", json::write_artifact(document));
  write_plots(stem.string(), document);
}

void replot(const std::filesystem::path& results_json) {
  std::ifstream in(results_json, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + results_json.string());
  std::ostringstream text;
  text << in.rdbuf();
  const auto document = json::parse(text.str());
  const auto* schema = document.find("schema_version");
  if (!schema || !schema->is_string() || schema->as_string() != results_schema)
    throw std::runtime_error(results_json.string() + " is not an " + results_schema + " file");
  auto stem = results_json;
  stem.replace_extension();
  write_plots(stem.string(), document);
}

}  // namespace opencloser::bench
