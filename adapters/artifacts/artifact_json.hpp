#pragma once
// The JSON shapes of the session artifacts (domain.md §3, §12). Every field is present; absent
// values are null. Only the shapes live here; the bytes come from json::write_artifact.

#include <string>
#include <vector>

#include "adapters/json/json.hpp"
#include "messages/call.hpp"
#include "messages/queue.hpp"
#include "messages/session.hpp"
#include "messages/writeback.hpp"

namespace opencloser {

inline constexpr std::string_view session_schema_version = "slice1-v1";
inline constexpr std::string_view dry_run_marker_schema_version = "slice2-dry-run-marker-v1";

json::value to_json(const eligibility_decision& d);  ///< eligibility-decision.json
json::value to_json(const normalized_result& r);     ///< session-result.json
json::value to_json(const phone_call_payload& p);
json::value to_json(const queue_status_update& u);
json::value to_json(const task_payload& t);    ///< task.json
json::value to_json(const writeback_plan& w);  ///< writeback.json, planned-writeback.json
json::value to_json(const std::vector<payload_entry>& payload);
json::value to_json(const conflicting_event_audit& a);

/// conflicting-events.json
json::value conflicting_events_json(const std::string& session_id,
                                    const std::vector<conflicting_event_audit>& audits);

/// dry-run-marker.json
json::value dry_run_marker_json(const std::string& session_id);

}  // namespace opencloser
