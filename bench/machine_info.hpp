#pragma once
// Where the figures come from: the machine, its load, the filesystem the artifacts went to and
// the commit measured (bench results, schema opencloser-bench-v1).

#include <cstdint>
#include <filesystem>
#include <string>

namespace opencloser::bench {

struct machine_info {
  std::string hostname;
  std::string cpu_model;
  unsigned cores = 0;
  std::int64_t memory_bytes = 0;
  std::string kernel;
};

machine_info describe_machine();

/// The 1-minute load average (/proc/loadavg): other work on a shared machine skews figures.
double load_average_1m();

/// `ext4`, `tmpfs`, … of the filesystem holding `path` (statfs magic), else its hex magic.
std::string filesystem_type(const std::filesystem::path& path);

struct source_commit {
  std::string commit;  ///< git rev-parse HEAD, empty outside a work tree
  bool dirty = false;  ///< uncommitted changes to tracked files
};

source_commit describe_commit(const std::filesystem::path& source_dir);

/// UTC wall clock: `2026-05-22T19:00:00Z` and `2026-05-22`.
std::string utc_timestamp();
std::string utc_date();

}  // namespace opencloser::bench
