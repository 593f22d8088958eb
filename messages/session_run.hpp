#pragma once
// What the front-end asks of the supervisor and what it gets back: one session (`run-crm`, a
// drain item) or the resume of one, ending in the run report (dataverse.md §12).

#include <string>
#include <vector>

#include "messages/call.hpp"
#include "messages/nullable.hpp"
#include "messages/report.hpp"
#include "messages/writeback.hpp"

namespace opencloser {

/// One queue row through the whole pipeline. Fixtures are validated before the order is sent.
struct session_order {
  std::string queue_item_id;  ///< a GUID, or "" for the next ready row of `campaign`
  std::string campaign;
  transport_fixture transport;
  nullable<struct conversation> conversation;
  // A drain item (cli.md §5): the paged row (no load request), the drain, the scenario name.
  std::string row_json;
  std::string drain_id;
  std::string scenario;
  bool operator==(const session_order&) const = default;
};

/// `run-crm --write --resume SESSION`.
struct resume_order {
  std::string session_id;
  /// The plan read back from `planned-writeback.json` (else `writeback.json`); null: neither
  /// exists and a claim may have been sent → release the claim (dataverse.md §10).
  nullable<writeback_plan> plan;
  /// `drain --resume-pending`: the supervisor reads the plan file itself (same rules).
  bool read_plan = false;
  std::string drain_id;
  bool operator==(const resume_order&) const = default;
};

struct session_report {
  session_outcome outcome;
  std::string run_report_json;  ///< the run report, compact JSON
  nullable<std::string> artifact_dir;
  nullable<std::string> run_report_path;  ///< `<artifact_dir>/run-report.json` when written
  nullable<std::vector<std::string>> operations_replayed;  ///< resume only
  std::vector<std::string> notices;  ///< CLI `warning:` lines (call log warnings)
  http_counters http;                ///< this session's requests (the drain sums them)
  bool saw_throttle = false;         ///< a 429 during this session (adaptive concurrency)
  bool operator==(const session_report&) const = default;
};

}  // namespace opencloser
