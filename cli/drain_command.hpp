#pragma once
// `opencloser drain` (cli.md §5): every ready row of a campaign, N sessions at a time.

#include <cstdint>
#include <optional>
#include <string>

#include "cli/run_setup.hpp"

namespace opencloser::cli {

struct drain_options {
  bool write = false;
  std::string campaign;
  std::string fixture_plan;
  std::string scenario_mix;
  std::string fixtures_dir = "tests/fixtures";
  std::optional<std::string> mix_seed;
  std::optional<std::int64_t> concurrency;
  std::optional<std::int64_t> max_concurrency;
  std::optional<std::int64_t> page_size;
  std::int64_t limit = 0;
  std::optional<std::string> listen;
  bool allow_remote = false;
  std::int64_t wait_workers = 0;
  bool no_progress = false;
  std::string report;
  bool json = false;
  bool resume_pending = false;
  common_options common;
};

int run_drain(const drain_options& options);

}  // namespace opencloser::cli
