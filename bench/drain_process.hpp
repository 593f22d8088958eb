#pragma once
// One `opencloser drain` as a child process against a running emulator (cli.md §5, §10):
// its wall time and peak RSS from wait4, its figures from its drain report.

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "adapters/json/json.hpp"
#include "bench/child_process.hpp"

namespace opencloser::bench {

struct drain_launch {
  std::filesystem::path opencloser;
  std::filesystem::path source_dir;  ///< cwd: config/*.toml and the fixture plan resolve here
  std::filesystem::path dir;         ///< fresh: artifacts, state database, stdout/stderr
  std::map<std::string, std::string> emulator_env;
  bool write = false;
  /// --concurrency, --max-concurrency and [http].max_in_flight; nullopt: the config's.
  std::optional<int> concurrency;
  std::string writeback_mode = "sequential";
  std::chrono::seconds timeout{3600};
};

struct drain_outcome {
  child_usage usage;
  bool timed_out = false;
  /// The drain report without its `items` (100,000 of them would only cost the harness
  /// memory); null when no report was written.
  json::value report;
  std::string stdout_text;
  std::string stderr_tail;  ///< the last lines, for a failed drain
};

drain_outcome run_drain(const drain_launch& launch);

/// The report text with its `items` array emptied (artifact encoding: 2-space indent).
std::string without_items(const std::string& report_text);

/// The product's clock is frozen here so no generated row falls outside the call window.
inline constexpr const char* bench_clock_now = "2026-05-22T19:00:00.000Z";

}  // namespace opencloser::bench
