#pragma once
// Eligibility rules a–f (domain.md §5). Pure logic: the zone database is injected.

#include <string>

#include "actors/common/utc_ms.hpp"
#include "actors/queue_loader/zone_database.hpp"
#include "messages/queue.hpp"
#include "messages/settings.hpp"

namespace opencloser {

/// Evaluates all six rules (no short-circuit) for `item` at `now`. `decision_id` is normally
/// mint_id("dec"); it and `session_id` are passed in so that the caller owns id minting.
eligibility_decision evaluate_eligibility(const queue_item& item,
                                          const call_window_settings& window,
                                          const eligibility_settings& rules,
                                          const zone_database& zones, unix_ms now,
                                          std::string decision_id, std::string session_id);

/// The failing letters joined by "," (e.g. "a,c,d,e,f"); empty when allowed.
std::string blocked_reason_letters(const eligibility_decision& decision);

}  // namespace opencloser
