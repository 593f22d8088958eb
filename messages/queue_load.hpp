#pragma once
// Loading one queue row (dataverse.md §4): the order the supervisor gives the queue loader and
// what comes back. The row travels as the JSON Dataverse returned (with its `@odata.etag`):
// the baselines of §6–§7 are derived from exactly that text, so no copy can drift from it.

#include <cstdint>
#include <string>
#include <vector>

#include "messages/queue.hpp"
#include "messages/report.hpp"

namespace opencloser {

struct load_order {
  std::string session_id;
  std::string decision_id;
  std::string queue_item_id;  ///< a GUID, or "" for the next ready row of `campaign`
  std::string campaign;
  /// A row a drain already paged (the JSON Dataverse returned, ETag included): it is this
  /// session's loaded row and load baseline; no load request is sent (dataverse.md §4).
  std::string row_json;
  bool operator==(const load_order&) const = default;
};

/// One page of the campaign's ready rows for a drain (dataverse.md §4 "Paging").
struct page_order {
  std::string campaign;
  std::int64_t page_size = 500;
  std::string next_link;  ///< "" for the first page
  bool operator==(const page_order&) const = default;
};

enum class page_status : std::uint8_t {
  rows,              ///< `rows` (possibly empty on a later page), `next_link` ("" = last page)
  no_callable_item,  ///< the first page is empty but the campaign exists
  failed,            ///< `message`: unknown campaign, HTTP or paging error
};

struct page_result {
  page_status status = page_status::failed;
  std::vector<std::string> rows;  ///< compact JSON of each row, `@odata.etag` included
  std::vector<std::string> ids;   ///< each row's primary id (lower case), same order
  std::string next_link;
  std::string message;
  http_counters counters;
  bool operator==(const page_result&) const = default;
};

enum class load_status : std::uint8_t {
  loaded,            ///< `item`, `decision`, `row_json` are set
  no_callable_item,  ///< no such row / nothing ready (exit 0)
  failed,  ///< `message`: `queue loader error: …` or `configured_campaign_not_found: …`
};

struct load_result {
  load_status status = load_status::failed;
  queue_item item;
  eligibility_decision decision;
  std::string row_json;        ///< the row as loaded, compact JSON, `@odata.etag` included
  std::string owner_override;  ///< the override column's value ("" when none)
  std::vector<data_quality_warning> warnings;
  std::string message;
  http_counters counters;
  bool operator==(const load_result&) const = default;
};

}  // namespace opencloser
