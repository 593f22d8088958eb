#include "bench/drain_process.hpp"

#include <signal.h>

#include <fstream>
#include <sstream>

#include "bench/bench_seed.hpp"

namespace opencloser::bench {

namespace {

std::string last_lines(const std::string& text, std::size_t count) {
  // Skips the trailing newline, then walks back `count` line breaks.
  std::size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  std::size_t start = end;
  for (std::size_t n = 0; n < count && start > 0; ++n) {
    const auto nl = text.rfind('\n', start - 1);
    if (nl == std::string::npos) return text;
    start = nl;
  }
  return start == 0 ? text : text.substr(start + 1);
}

/// The only drain report under `<artifacts>/drains/` (one drain per fresh artifacts dir).
std::optional<std::filesystem::path> find_report(const std::filesystem::path& artifacts) {
  std::error_code ec;
  const auto drains = artifacts / "drains";
  for (const auto& entry : std::filesystem::directory_iterator(drains, ec)) {
    const auto report = entry.path() / "drain-report.json";
    if (std::filesystem::is_regular_file(report, ec)) return report;
  }
  return std::nullopt;
}

}  // namespace

std::string without_items(const std::string& report_text) {
  static constexpr std::string_view open = "\n  \"items\": [";
  const auto at = report_text.find(open);
  if (at == std::string::npos) return report_text;
  const auto after = at + open.size();
  if (report_text.compare(after, 1, "]") == 0) return report_text;  // already empty
  // The array closes at the first `]` back at the report's own indentation.
  const auto close = report_text.find("\n  ]", after);
  if (close == std::string::npos) return report_text;
  return report_text.substr(0, after) + report_text.substr(close + 3);
}

drain_outcome run_drain(const drain_launch& launch) {
  const auto artifacts = launch.dir / "artifacts";
  child_spec spec;
  spec.argv = {launch.opencloser.string(),
               "drain",
               "--campaign",
               std::string(bench_campaign),
               "--fixture-plan",
               (launch.source_dir / "config" / "fixture-plan.json").string(),
               "--listen",
               "none",
               "--no-progress",
               "--artifacts-dir",
               artifacts.string(),
               "--state-db",
               (launch.dir / "state.db").string()};
  if (launch.write) spec.argv.push_back("--write");
  spec.env = clean_environment();
  for (const auto& [k, v] : launch.emulator_env) spec.env[k] = v;
  spec.env["DATAVERSE_CLIENT_SECRET"] = std::string(bench_client_secret);
  spec.env["OPENCLOSER_CLOCK_NOW"] = bench_clock_now;
  spec.env["OPENCLOSER_WRITEBACK_MODE"] = launch.writeback_mode;
  if (launch.concurrency) {
    const auto n = std::to_string(*launch.concurrency);
    spec.argv.insert(spec.argv.end(), {"--concurrency", n, "--max-concurrency", n});
    spec.env["OPENCLOSER_HTTP_MAX_IN_FLIGHT"] = n;
  }
  spec.cwd = launch.source_dir;
  spec.stdout_file = launch.dir / "drain.stdout";
  spec.stderr_file = launch.dir / "drain.stderr";

  drain_outcome out;
  // The drain's ru_maxrss includes the bench's resident size at fork (child_usage): the
  // bench gives back what the previous cell freed before forking it.
  release_free_memory();
  child_process drain(spec);
  if (auto usage = drain.wait(launch.timeout)) {
    out.usage = *usage;
  } else {
    out.timed_out = true;
    drain.signal(SIGINT);  // cli.md §1: the first interrupt cancels and writes the report
    out.usage = drain.wait(std::chrono::seconds(120)).value_or(child_usage{});
  }
  out.stdout_text = read_text(spec.stdout_file);
  out.stderr_tail = last_lines(read_text(spec.stderr_file), 20);
  if (const auto report = find_report(artifacts))
    out.report = json::parse(without_items(read_text(*report)));
  return out;
}

}  // namespace opencloser::bench
