#pragma once
// Row requests on an entity set (emulator.md §3): GET a collection or one row, POST a row,
// PATCH (update / upsert / create-only) and DELETE with ETag preconditions. Runs against the
// store with the emulator's lock held.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "emulator/http_types.hpp"
#include "emulator/store.hpp"

namespace opencloser::emulator {

struct table_request_context {
  store& rows;
  std::string service_root;  ///< absolute, ends in `/api/data/v9.2/`
  std::string now_utc_ms;
  std::function<std::string()> new_guid;  ///< server-assigned ids (seeded RNG)
  std::string owner_id;                   ///< `_ownerid_value` of rows this caller creates
};

/// Answers a request whose decoded path (after the service root) is `<set>` or
/// `<set>(<id>)`; nullopt when the first segment is not an entity set. Throws web_error.
std::optional<http_response> handle_table_request(
    table_request_context& context, std::string_view method, std::string_view path,
    const std::vector<std::pair<std::string, std::string>>& params, const header_list& headers,
    std::string_view body);

}  // namespace opencloser::emulator
