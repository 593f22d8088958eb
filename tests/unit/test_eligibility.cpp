// Eligibility rules a–f (domain.md §5; conformance.md §4 rows and unit items).
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <set>
#include <vector>

#include "actors/common/ids.hpp"
#include "actors/common/utc_ms.hpp"
#include "actors/queue_loader/eligibility.hpp"
#include "adapters/timezone/os_zone_database.hpp"

using namespace opencloser;

namespace {

const os_zone_database& real_zones() {
  static const os_zone_database db;
  return db;
}

unix_ms at(const char* utc) {
  const auto t = parse_utc_ms(utc);
  REQUIRE(t.has_value());
  return *t;
}

// Row R of conformance.md: ready, 0 attempts, E.164 phone, Los Angeles, DNC false.
queue_item row_r() {
  queue_item item;
  item.queue_item_id = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11";
  item.facility_name = "Sunrise Assisted Living";
  item.phone_number = std::string("+15555550100");
  item.timezone = std::string("America/Los_Angeles");
  return item;
}

const call_window_settings shipped_window{};
const eligibility_settings shipped_rules{};
constexpr const char* clock_1900 = "2026-05-22T19:00:00.000Z";  // 12:00 in Los Angeles
constexpr const char* clock_1100 = "2026-05-22T11:00:00.000Z";  // 04:00 in Los Angeles

eligibility_decision evaluate(const queue_item& item, const char* now,
                              const call_window_settings& window = shipped_window,
                              const eligibility_settings& rules = shipped_rules,
                              const zone_database& zones = real_zones()) {
  return evaluate_eligibility(item, window, rules, zones, at(now), "dec_test", "ses_test");
}

using letters = std::vector<std::string>;

// Records every question asked, and answers from a fixed table of zones with a fixed local time.
class recording_zones : public zone_database {
 public:
  std::set<std::string> zones{"Test/Zone"};
  hh_mm time{12, 0};
  mutable std::vector<std::string> asked;

  bool names_zone(const std::string& key) const override {
    asked.push_back(key);
    return zones.count(key) != 0;
  }
  std::optional<hh_mm> local_time(const std::string& zone, unix_ms) const override {
    asked.push_back(zone);
    if (!zones.count(zone)) return std::nullopt;
    return time;
  }
};

}  // namespace

TEST_CASE("row R at 19:00Z is allowed with every rule passing") {
  const auto d = evaluate(row_r(), clock_1900);
  CHECK(d.outcome == eligibility_outcome::allow);
  CHECK(d.failing_rules.empty());
  CHECK(d.rules == std::array<bool, 6>{true, true, true, true, true, true});
  CHECK_FALSE(d.default_tz_applied);
  CHECK_FALSE(d.default_tz_substituted_for.has_value());
  CHECK(blocked_reason_letters(d).empty());
}

TEST_CASE("conformance §4 rows block with exactly their letters") {
  auto dnc = row_r();
  dnc.dnc_flag = true;
  CHECK(evaluate(dnc, clock_1900).failing_rules == letters{"d"});

  CHECK(evaluate(row_r(), clock_1100).failing_rules == letters{"c"});

  auto attempts = row_r();
  attempts.attempt_count = 5;
  CHECK(evaluate(attempts, clock_1900).failing_rules == letters{"e"});
  attempts.attempt_count = 4;
  CHECK(evaluate(attempts, clock_1900).failing_rules.empty());

  auto no_phone = row_r();
  no_phone.phone_number = std::nullopt;
  CHECK(evaluate(no_phone, clock_1900).failing_rules == letters{"a"});
  no_phone.phone_number = std::string("   ");
  CHECK(evaluate(no_phone, clock_1900).failing_rules == letters{"a"});

  auto blocked = row_r();
  blocked.status = callable_status::blocked;
  CHECK(evaluate(blocked, clock_1900).failing_rules == letters{"f"});
  blocked.status = callable_status::in_progress;
  CHECK(evaluate(blocked, clock_1900).failing_rules == letters{"f"});

  auto all = row_r();
  all.phone_number = std::nullopt;
  all.attempt_count = 5;
  all.dnc_flag = true;
  all.status = callable_status::dnc;
  const auto d = evaluate(all, clock_1100);
  CHECK(d.outcome == eligibility_outcome::block);
  CHECK(d.failing_rules == letters{"a", "c", "d", "e", "f"});
  CHECK(d.rules == std::array<bool, 6>{false, true, false, false, false, false});
  CHECK(blocked_reason_letters(d) == "a,c,d,e,f");
}

TEST_CASE("every blocked row reports outcome block, completed status fails f") {
  auto item = row_r();
  item.status = callable_status::completed;
  const auto d = evaluate(item, clock_1900);
  CHECK(d.outcome == eligibility_outcome::block);
  CHECK(blocked_reason_letters(d) == "f");
}

TEST_CASE("rule a trims exactly the trim set of domain.md §1") {
  auto item = row_r();
  // U+00A0, U+3000, U+202F, U+2028, U+0085, tab, U+001C: all trimmed.
  item.phone_number = std::string("\u00a0\u3000\u202f\u2028\u0085\t\x1c");
  CHECK_FALSE(evaluate(item, clock_1900).rules[0]);
  item.phone_number = std::string("");
  CHECK_FALSE(evaluate(item, clock_1900).rules[0]);
  // U+200B ZERO WIDTH SPACE and U+FEFF are not in the set: content, so (a) passes.
  item.phone_number = std::string("\u200b");
  CHECK(evaluate(item, clock_1900).rules[0]);
  item.phone_number = std::string("\ufeff");
  CHECK(evaluate(item, clock_1900).rules[0]);
  // No format check: any non-blank text passes (a format problem is only a warning).
  item.phone_number = std::string("  call me  ");
  CHECK(evaluate(item, clock_1900).rules[0]);
  // Malformed UTF-8 (an overlong space) is content, not whitespace.
  item.phone_number = std::string("\xc0\xa0");
  CHECK(evaluate(item, clock_1900).rules[0]);
}

TEST_CASE("Los Angeles boundary examples in May (UTC-7), window 09:00-20:00") {
  CHECK(evaluate(row_r(), "2026-05-22T16:00:00.000Z").outcome == eligibility_outcome::allow);
  CHECK(evaluate(row_r(), "2026-05-23T03:00:00.000Z").outcome == eligibility_outcome::allow);
  CHECK(evaluate(row_r(), "2026-05-23T03:01:00.000Z").failing_rules == letters{"c"});
  CHECK(evaluate(row_r(), "2026-05-22T11:00:00.000Z").failing_rules == letters{"c"});
  // 09:00 local is the inclusive start; 08:59 is outside.
  CHECK(evaluate(row_r(), "2026-05-22T16:00:00.000Z").rules[2]);
  CHECK_FALSE(evaluate(row_r(), "2026-05-22T15:59:59.999Z").rules[2]);
}

TEST_CASE("DST: on 2026-03-09 Los Angeles is on PDT") {
  CHECK(evaluate(row_r(), "2026-03-09T03:00:00.000Z").outcome == eligibility_outcome::allow);
  CHECK(evaluate(row_r(), "2026-03-09T04:00:00.000Z").failing_rules == letters{"c"});
  // Control: 04:00Z a week earlier, on PST (UTC-8), is 20:00 local and allowed.
  CHECK(evaluate(row_r(), "2026-03-02T04:00:00.000Z").outcome == eligibility_outcome::allow);
}

TEST_CASE("seconds are ignored: 20:00:59 local is still allowed") {
  CHECK(evaluate(row_r(), "2026-05-23T03:00:59.000Z").outcome == eligibility_outcome::allow);
  CHECK(evaluate(row_r(), "2026-05-23T03:00:59.999Z").outcome == eligibility_outcome::allow);
}

TEST_CASE("a bogus record zone is replaced by the default and recorded verbatim") {
  auto item = row_r();
  item.timezone = std::string("Mars/Olympus_Mons");
  const auto d = evaluate(item, clock_1900);
  CHECK(d.default_tz_applied);
  REQUIRE(d.default_tz_substituted_for.has_value());
  CHECK(*d.default_tz_substituted_for == "Mars/Olympus_Mons");
  CHECK(d.rules[1]);
  CHECK(d.rules[2]);  // the default (Los Angeles) is at 12:00
  CHECK(d.outcome == eligibility_outcome::allow);

  // Never trimmed, case-sensitive: both fall back to the default.
  item.timezone = std::string(" America/Los_Angeles");
  CHECK(*evaluate(item, clock_1900).default_tz_substituted_for == " America/Los_Angeles");
  item.timezone = std::string("america/los_angeles");
  CHECK(evaluate(item, clock_1900).default_tz_applied);
}

TEST_CASE("a null record zone is substituted, recording null") {
  auto item = row_r();
  item.timezone = std::nullopt;
  const auto d = evaluate(item, clock_1900);
  CHECK(d.default_tz_applied);
  CHECK_FALSE(d.default_tz_substituted_for.has_value());
  CHECK(d.rules[1]);
  CHECK(d.outcome == eligibility_outcome::allow);
}

TEST_CASE("the default zone decides rule c after substitution") {
  auto item = row_r();
  item.timezone = std::nullopt;
  eligibility_settings rules;
  rules.default_timezone = "Asia/Kolkata";  // 19:00Z is 00:30 there
  const auto d = evaluate(item, clock_1900, shipped_window, rules);
  CHECK(d.rules[1]);
  CHECK(d.failing_rules == letters{"c"});
}

TEST_CASE("a bogus default with a null record zone fails b and c") {
  auto item = row_r();
  item.timezone = std::nullopt;
  eligibility_settings rules;
  rules.default_timezone = "Not/A_Zone";
  const auto d = evaluate(item, clock_1900, shipped_window, rules);
  CHECK(d.failing_rules == letters{"b", "c"});
  CHECK(d.default_tz_applied);
  CHECK_FALSE(d.default_tz_substituted_for.has_value());
  CHECK(blocked_reason_letters(d) == "b,c");
}

TEST_CASE("a valid record zone never consults the default") {
  recording_zones zones;
  auto item = row_r();
  item.timezone = std::string("Test/Zone");
  eligibility_settings rules;
  rules.default_timezone = "Default/Zone";
  const auto d = evaluate(item, clock_1900, shipped_window, rules, zones);
  CHECK(d.outcome == eligibility_outcome::allow);
  CHECK_FALSE(d.default_tz_applied);
  CHECK(std::count(zones.asked.begin(), zones.asked.end(), "Default/Zone") == 0);
  CHECK(std::count(zones.asked.begin(), zones.asked.end(), "Test/Zone") >= 1);

  // Control: with a bogus record zone the default is asked.
  item.timezone = std::string("Bogus");
  zones.asked.clear();
  evaluate(item, clock_1900, shipped_window, rules, zones);
  CHECK(std::count(zones.asked.begin(), zones.asked.end(), "Default/Zone") == 1);
}

TEST_CASE("the call window is inclusive at both ends, start > end admits nothing") {
  recording_zones zones;
  auto item = row_r();
  item.timezone = std::string("Test/Zone");
  const auto window_c = [&](hh_mm start, hh_mm end, hh_mm local) {
    zones.time = local;
    return evaluate(item, clock_1900, call_window_settings{start, end}, shipped_rules, zones)
        .rules[2];
  };
  CHECK(window_c({9, 0}, {20, 0}, {9, 0}));
  CHECK(window_c({9, 0}, {20, 0}, {20, 0}));
  CHECK_FALSE(window_c({9, 0}, {20, 0}, {8, 59}));
  CHECK_FALSE(window_c({9, 0}, {20, 0}, {20, 1}));
  CHECK(window_c({12, 30}, {12, 30}, {12, 30}));
  CHECK_FALSE(window_c({12, 30}, {12, 30}, {12, 31}));
  int admitted = 0;
  for (int m = 0; m < 24 * 60; ++m) admitted += window_c({20, 0}, {9, 0}, {m / 60, m % 60});
  CHECK(admitted == 0);
  admitted = 0;
  for (int m = 0; m < 24 * 60; ++m) admitted += window_c({0, 0}, {23, 59}, {m / 60, m % 60});
  CHECK(admitted == 24 * 60);
}

TEST_CASE("a zone whose local time is unknown fails c but passes b") {
  class no_time_zones : public zone_database {
   public:
    bool names_zone(const std::string&) const override { return true; }
    std::optional<hh_mm> local_time(const std::string&, unix_ms) const override { return {}; }
  } zones;
  const auto d = evaluate(row_r(), clock_1900, shipped_window, shipped_rules, zones);
  CHECK(d.failing_rules == letters{"c"});
}

TEST_CASE("the decision carries its ids, the row id and the evaluation time") {
  const auto now = at(clock_1900);
  const auto d = evaluate_eligibility(row_r(), shipped_window, shipped_rules, real_zones(), now,
                                      mint_id("dec"), "ses_0123456789abcdef0123456789abcdef");
  CHECK(std::regex_match(d.decision_id, std::regex("dec_[0-9a-f]{32}")));
  CHECK(d.session_id == "ses_0123456789abcdef0123456789abcdef");
  CHECK(d.queue_item_id == "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11");
  CHECK(d.decided_at == "2026-05-22T19:00:00.000Z");
}
