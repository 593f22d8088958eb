#pragma once
// The four bench cells of cli.md §10, each against a freshly started emulator process:
//   (a) dry-run drain of N rows: wall time, sessions/s, peak RSS;
//   (b) write drain at concurrency N: sessions/s, requests/s, session latency p50/p99;
//   (c) the raw-HTTP limit: (b)'s request log replayed at the same concurrency;
//   (d) a write drain under a scaled-down request budget.
// Every cell returns one JSON object with its figures (results schema opencloser-bench-v1).

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <utility>

#include "adapters/json/json.hpp"
#include "bench/bench_settings.hpp"
#include "bench/drain_process.hpp"
#include "bench/emulator_process.hpp"

namespace opencloser::bench {

class bench_cells {
 public:
  explicit bench_cells(const bench_settings& settings) : settings_(settings) {}

  json::value run_a(std::int64_t rows);
  /// (b) at `concurrency`; with `with_c`, then (c) replaying its request log.
  std::pair<json::value, std::optional<json::value>> run_b(int concurrency, bool with_c);
  json::value run_d();

 private:
  std::filesystem::path seed_for(std::int64_t rows);
  /// An emulator on the generated seed of `rows` rows, its files in `dir`.
  emulator_launch emulator_for(std::int64_t rows, const std::filesystem::path& dir);
  /// A drain against `emu` with the settings' write-back mode and timeout.
  drain_launch drain_for(const emulator_process& emu, const std::filesystem::path& dir, bool write,
                         std::optional<int> concurrency = std::nullopt) const;
  std::filesystem::path fresh_dir(const std::string& name) const;
  void discard(const std::filesystem::path& dir) const;
  json::value replay_cell(int concurrency, const std::filesystem::path& dir,
                          const std::filesystem::path& request_log, const json::value& b);

  const bench_settings& settings_;
  std::map<std::int64_t, std::filesystem::path> seeds_;
};

}  // namespace opencloser::bench
