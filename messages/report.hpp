#pragma once
// How a session and a run end (dataverse.md §12).

#include <cstdint>
#include <string>
#include <vector>

#include "messages/enums.hpp"
#include "messages/nullable.hpp"
#include "messages/queue.hpp"

namespace opencloser {

/// `exit_status` values of the run report, with the process exit code each maps to.
enum class exit_status : std::uint8_t {
  completed,
  no_callable_item,
  no_resume_needed,
  blocked,
  resume_needed,
  failed,
  cancelled,
  deferred,  ///< a drain item whose only failing rule is (c): no session (cli.md §5)
};

template <>
struct enum_names<exit_status> {
  static constexpr auto values = std::to_array<std::string_view>(
      {"completed", "no-callable-item", "no-resume-needed", "blocked", "resume_needed", "failed",
       "cancelled", "deferred"});
};

constexpr int exit_code_of(exit_status status) {
  switch (status) {
    case exit_status::completed:
    case exit_status::no_callable_item:
    case exit_status::no_resume_needed:
    case exit_status::deferred:
      return 0;
    case exit_status::blocked:
      return 1;
    default:
      return 2;
  }
}

/// The end of one session as the supervisor sees it.
struct session_outcome {
  std::string session_id;
  std::string queue_item_id;
  exit_status status = exit_status::failed;
  nullable<std::string> block_reason;  ///< eligibility, metadata, conflict_detected, …
  std::string message;
  nullable<disposition> final_disposition;
  std::vector<data_quality_warning> warnings;
  bool operator==(const session_outcome&) const = default;
};

struct http_counters {
  std::int64_t requests = 0;
  std::int64_t retries = 0;
  std::int64_t throttled = 0;
  std::int64_t token_requests = 0;
  std::int64_t writes = 0;
  bool operator==(const http_counters&) const = default;
};

/// `run-report.json` (the parts that are not already in a session outcome).
struct run_report {
  std::string run_id;   ///< `run_<32 hex>`
  std::string command;  ///< run-crm | resume | drain-item
  run_mode mode = run_mode::dry_run;
  bool resumed = false;
  session_outcome outcome;
  nullable<std::string> persona_version;
  nullable<std::string> mock_provider_call_id;
  nullable<std::string> started_at;
  nullable<std::string> ended_at;
  nullable<std::string> artifact_dir;
  nullable<std::vector<std::string>> operations_replayed;  ///< resume only
  std::string writeback_mode = "sequential";
  http_counters http;
  bool operator==(const run_report&) const = default;
};

}  // namespace opencloser
