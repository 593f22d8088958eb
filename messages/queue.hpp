#pragma once
// Queue rows, eligibility decisions and data-quality warnings (domain.md §3, §5).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "messages/enums.hpp"
#include "messages/nullable.hpp"

namespace opencloser {

/// One prospect row of the queue table, in the product's conceptual shape.
struct queue_item {
  std::string queue_item_id;  ///< GUID for Dataverse rows; free text for predecessor files.
  std::string facility_name;
  nullable<std::string> phone_number;
  nullable<std::string> timezone;
  bool default_tz_applied = false;
  nullable<std::string> email;  ///< Always null in Slice 2; kept for the shape.
  std::int64_t attempt_count = 0;
  bool dnc_flag = false;
  callable_status status = callable_status::ready;
  nullable<std::string> last_decision_at;
  bool operator==(const queue_item&) const = default;
};

/// The six eligibility rules a–f, in letter order.
inline constexpr std::array<char, 6> eligibility_rule_letters{'a', 'b', 'c', 'd', 'e', 'f'};

struct eligibility_decision {
  std::string decision_id;  ///< `dec_<32 hex>`
  std::string queue_item_id;
  std::string session_id;
  std::string decided_at;  ///< UtcMs
  eligibility_outcome outcome = eligibility_outcome::block;
  std::array<bool, 6> rules{};             ///< pass flags for a..f
  std::vector<std::string> failing_rules;  ///< letters, a→f order
  bool default_tz_applied = false;
  nullable<std::string> default_tz_substituted_for;  ///< original zone value when substituted
  bool operator==(const eligibility_decision&) const = default;
};

struct data_quality_warning {
  std::string code;
  std::string field;
  std::string message;
  bool operator==(const data_quality_warning&) const = default;
};

}  // namespace opencloser
