#pragma once
// The claim (dataverse.md §6): the supervisor asks the Dataverse emitter to mark the loaded row
// `in_progress` for this session and count the attempt, guarded by the load ETag.

#include <cstdint>
#include <string>
#include <vector>

#include "messages/report.hpp"

namespace opencloser {

struct claim_order {
  std::string session_id;
  std::string queue_item_id;
  std::string row_json;  ///< the row as loaded (load_result::row_json): load baseline and ETag
  std::int64_t loaded_attempts = 0;
  bool operator==(const claim_order&) const = default;
};

enum class claim_status : std::uint8_t {
  claimed,        ///< `row_json` is the claimed row (its ETag is the claim baseline's)
  conflict,       ///< `conflicting_fields`: columns, `__row_deleted__` or `@odata.etag`
  failed,         ///< transient exhaustion and the row unchanged: `dataverse claim failed: …`
  resume_needed,  ///< transient exhaustion and the verification read failed too
  permanent,      ///< any other permanent answer (blocked/permanent_other)
};

struct claim_outcome {
  claim_status status = claim_status::failed;
  std::string row_json;
  std::vector<std::string> conflicting_fields;  ///< logical column names, in §7.1 order
  std::string message;
  http_counters counters;
  bool operator==(const claim_outcome&) const = default;
};

}  // namespace opencloser
