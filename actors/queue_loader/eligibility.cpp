// Eligibility rules a–f (domain.md §5).
#include "actors/queue_loader/eligibility.hpp"

#include <optional>
#include <utility>

#include "actors/common/text.hpp"

namespace opencloser {

eligibility_decision evaluate_eligibility(const queue_item& item,
                                          const call_window_settings& window,
                                          const eligibility_settings& rules,
                                          const zone_database& zones, unix_ms now,
                                          std::string decision_id, std::string session_id) {
  eligibility_decision d;
  d.decision_id = std::move(decision_id);
  d.queue_item_id = item.queue_item_id;
  d.session_id = std::move(session_id);
  d.decided_at = format_utc_ms(now);

  // a: phone present and non-empty after *trim*; no format check here (that is a warning).
  // Malformed UTF-8 decodes to U+FFFD, which is content, not whitespace.
  d.rules[0] = item.phone_number.has_value() && !text::trim(*item.phone_number).empty();

  // b: a valid record zone is used as is and the default is never consulted; otherwise the
  // default is substituted (recording the original value, null included) and must itself be a
  // zone.
  std::optional<std::string> zone;
  if (item.timezone && zones.names_zone(*item.timezone)) {
    zone = *item.timezone;
  } else {
    d.default_tz_applied = true;
    d.default_tz_substituted_for = item.timezone;
    if (zones.names_zone(rules.default_timezone)) zone = rules.default_timezone;
  }
  d.rules[1] = zone.has_value();

  // c: inclusive window on hour:minute; start > end admits nothing (no wrap past midnight).
  if (zone) {
    if (const auto local = zones.local_time(*zone, now)) {
      d.rules[2] =
          window.start.minutes() <= local->minutes() && local->minutes() <= window.end.minutes();
    }
  }

  d.rules[3] = !item.dnc_flag;                           // d
  d.rules[4] = item.attempt_count < rules.max_attempts;  // e
  d.rules[5] = item.status == callable_status::ready;    // f

  for (std::size_t i = 0; i < d.rules.size(); ++i)
    if (!d.rules[i]) d.failing_rules.emplace_back(1, eligibility_rule_letters[i]);
  d.outcome = d.failing_rules.empty() ? eligibility_outcome::allow : eligibility_outcome::block;
  return d;
}

std::string blocked_reason_letters(const eligibility_decision& decision) {
  std::string out;
  for (const auto& letter : decision.failing_rules) {
    if (!out.empty()) out += ',';
    out += letter;
  }
  return out;
}

}  // namespace opencloser
