#pragma once
// `http-plan.json` (dataverse.md §9): the planned Dataverse requests of a session that are not
// yet issued when the file is written (dry-run: claim and write-back; write mode: write-back),
// in order, with their fixed step conditions. The same request list drives the sequential
// write-back, so what the file says is what is sent.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/dataverse/dataverse_requests.hpp"
#include "adapters/json/json.hpp"
#include "messages/enums.hpp"
#include "messages/queue.hpp"
#include "messages/writeback.hpp"

namespace opencloser::dataverse {

inline constexpr std::string_view http_plan_schema_version = "opencloser-http-plan-v1";
/// The dry-run `If-Match` of the status update: the ETag the claim would return.
inline constexpr std::string_view etag_after_claim_placeholder = "{{etag_after_claim}}";

enum class plan_path {
  allowed,              ///< claim (dry-run), pre-write read, Phone Call, status, Task
  blocked,              ///< pre-write read, status update
  blocked_in_progress,  ///< row loaded in_progress: nothing is sent
};

struct http_plan_facts {
  const resolved_mapping* mapping = nullptr;
  const writeback_plan* plan = nullptr;
  std::string session_id;
  std::string queue_item_id;
  run_mode mode = run_mode::dry_run;
  bool batch = false;  ///< `[writeback].mode = "batch"`
  plan_path path = plan_path::allowed;
  std::optional<std::string> load_etag;  ///< claim If-Match; blocked-path status If-Match
  std::int64_t loaded_attempts = 0;
  std::optional<std::string> claim_etag;  ///< write mode, allowed path: the ETag after the claim
  owner_kind task_owner = owner_kind::systemuser;
  std::optional<data_quality_warning> session_warning;  ///< this session's non_e164_phone
};

/// The fixed condition of a plan step (`always`, `if_prequery_empty`, …); throws
/// std::invalid_argument for an unknown step.
std::string_view step_condition(std::string_view step);

/// The planned requests in order; each `step` is a plan step name.
std::vector<dataverse_request> planned_requests(const http_plan_facts& facts);

/// The http-plan.json object (write it with json::write_artifact). `Authorization` appears as
/// `Bearer <redacted>`; `base_url` is the literal text `<env>/api/data/v9.2/`.
json::value http_plan_json(const http_plan_facts& facts,
                           const std::vector<dataverse_request>& requests,
                           std::string_view product_version);

}  // namespace opencloser::dataverse
