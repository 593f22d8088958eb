#pragma once
// `drain-report.json` (cli.md §5.3, schema `opencloser-drain-report-v1`). The `items` array is
// streamed into the file from the journal one item at a time, so a drain of any size is
// reported without holding its items in memory.

#include <filesystem>
#include <functional>
#include <string>

#include "adapters/state/state_records.hpp"
#include "messages/drain.hpp"

namespace opencloser {

inline constexpr std::string_view drain_report_schema_version = "opencloser-drain-report-v1";

struct drain_report_facts {
  std::string drain_id;
  nullable<std::string> campaign;
  std::string run_mode;        ///< dry_run | write_enabled
  std::string writeback_mode;  ///< sequential | batch
  std::string started_at;
  std::string ended_at;
  const drain_summary* summary = nullptr;
  /// Calls its argument once per item, in completion order.
  std::function<void(const std::function<void(const drain_item_record&)>&)> for_each_item;
};

/// Writes the report atomically to each path (the same bytes).
void write_drain_report(const drain_report_facts& facts,
                        const std::vector<std::filesystem::path>& paths);

}  // namespace opencloser
