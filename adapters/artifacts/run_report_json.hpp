#pragma once
// `run-report.json` (dataverse.md §12): every key present, nulls where a run has no value
// (no session, dry-run, not a resume). Only the shape lives here.

#include <optional>
#include <string>
#include <vector>

#include "adapters/json/json.hpp"
#include "adapters/state/state_records.hpp"
#include "messages/queue.hpp"
#include "messages/report.hpp"
#include "messages/settings.hpp"

namespace opencloser {

inline constexpr std::string_view run_report_schema_version = "slice2-run-report-v1";

struct run_report_facts {
  run_report report;
  nullable<eligibility_decision> decision;
  json::value metadata_report;  ///< `{checked_at, drift, missing, ok}` or null
  std::vector<data_quality_warning> warnings;
  /// Write mode: the session's correlations and ledger row (nullopt → null, as in a dry-run).
  std::optional<std::vector<crm_correlation>> correlations;
  std::optional<ledger_row> ledger;
  redaction_settings redaction;
};

json::value run_report_json(const run_report_facts& facts);

}  // namespace opencloser
