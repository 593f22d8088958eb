#pragma once
// Metadata requests (emulator.md §2): EntityDefinitions, Attributes, option-set casts with
// `$expand`, ManyToOneRelationships, GlobalOptionSetDefinitions and WhoAmI, served from the
// seeded table definitions.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "emulator/http_types.hpp"
#include "emulator/schema.hpp"

namespace opencloser::emulator {

/// The fixed identity WhoAmI reports; new rows are owned by `user_id`.
struct caller_identity {
  std::string user_id = "3f0c0000-0000-4000-8000-00000000e0a1";
  std::string business_unit_id = "3f0c0000-0000-4000-8000-00000000e0b1";
  std::string organization_id = "3f0c0000-0000-4000-8000-00000000e0c1";
};

/// Answers a GET whose decoded path (after the service root) starts with `EntityDefinitions`,
/// `GlobalOptionSetDefinitions` or is `WhoAmI`; nullopt when the path is not metadata.
/// Throws web_error for bad requests (unknown $select property, malformed segment, …).
std::optional<http_response> handle_metadata(
    const schema& tables, const caller_identity& caller, std::string_view path,
    const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace opencloser::emulator
