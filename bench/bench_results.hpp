#pragma once
// The results of one bench run: bench/results/<name>.json (schema opencloser-bench-v1), the
// target verdicts of issue 5, and the two SVG plots (cli.md §10).

#include <filesystem>
#include <string>

#include "adapters/json/json.hpp"
#include "bench/bench_settings.hpp"
#include "bench/machine_info.hpp"

namespace opencloser::bench {

inline constexpr const char* results_schema = "opencloser-bench-v1";

struct run_facts {
  machine_info machine;
  source_commit commit;
  std::string opencloser_version;
  std::string work_filesystem;
  std::string started_at;
};

/// Every target with its measured value and verdict; a target whose cell did not run is left
/// out. Reported whether met or not: a miss is a finding.
json::value evaluate_targets(const json::array& cells);

json::value results_document(const bench_settings& settings, const run_facts& facts,
                             const json::array& cells);

/// Writes <results_dir>/<name>.json, <name>-throughput.svg and <name>-rss.svg (a plot without
/// data is not written).
void write_results(const bench_settings& settings, const json::value& document);

/// Re-renders the SVG plots of an existing results file beside it (same stem).
void replot(const std::filesystem::path& results_json);

}  // namespace opencloser::bench
