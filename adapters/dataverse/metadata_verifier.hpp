#pragma once
// Live metadata verification (dataverse.md §3.2) as a pure, re-entrant function: given the
// mapping and the metadata answers fetched so far, it either names the requests still needed
// (fetch them, add the answers, call again) or returns the report {ok, missing, drift,
// checked_at} and, when ok, the resolved mapping the request builders use. Owner checks
// (runs only) are separate: owner_user_request / owner_team_request.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/dataverse/dataverse_requests.hpp"
#include "adapters/dataverse/resolved_mapping.hpp"
#include "adapters/json/json.hpp"
#include "messages/mapping.hpp"

namespace opencloser::dataverse {

/// A fetched metadata answer: 2xx with its JSON body, or 404. Any other status must not be
/// stored here: it propagates as an error (never downgraded to "missing").
struct metadata_answer {
  int status = 200;
  json::value body;
};
/// Keyed by dataverse_request::relative_url.
using metadata_answers = std::map<std::string, metadata_answer>;

struct verification_report {
  bool ok = false;
  std::vector<std::string> missing;
  std::vector<std::string> drift;
  std::string checked_at;
};

struct verification_step {
  std::vector<dataverse_request> needed;  ///< non-empty: fetch these and call again
  std::optional<verification_report> report;
  std::optional<resolved_mapping> resolved;  ///< set when the report is ok
};

/// Throws std::invalid_argument for an answer with a status other than 2xx or 404.
verification_step verify_metadata(const mapping_artifact& mapping, bool link_regarding,
                                  const metadata_answers& answers, const std::string& checked_at);

/// `{checked_at, drift, missing, ok}` (run-report `metadata_report`).
json::value to_json(const verification_report& report);

}  // namespace opencloser::dataverse
