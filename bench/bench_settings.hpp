#pragma once
// What one `opencloser-bench` run measures (cli.md §10) and where it puts things.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace opencloser::bench {

struct bench_settings {
  std::string name;  ///< results file stem; default `<host>-<UTC date>`
  std::vector<std::string> cells{"a", "b", "c", "d"};
  std::string writeback_mode = "sequential";
  std::filesystem::path opencloser;  ///< the product executable
  std::filesystem::path source_dir;  ///< the repository: config/, and the drains' cwd
  std::filesystem::path results_dir;
  /// Artifacts, state databases, seeds and request logs of the cells (one fresh directory per
  /// cell, removed after it unless `keep_work`).
  std::filesystem::path work_dir;
  std::vector<std::int64_t> rows_a{10'000, 100'000};
  std::int64_t rows_b = 10'000;
  std::vector<int> concurrency{1, 4, 16, 64};
  std::int64_t rows_d = 500;
  std::int64_t throttle_requests = 600;
  std::int64_t throttle_window_s = 30;
  bool keep_work = false;
  bool quick = false;
  std::chrono::seconds drain_timeout{3600};
  std::string command_line;  ///< as invoked, for the results file

  bool has_cell(const std::string& cell) const {
    for (const auto& c : cells)
      if (c == cell) return true;
    return false;
  }
};

}  // namespace opencloser::bench
