// Scenario assignment of drained rows (fixtures.md §4, cli.md §5 `--scenario-mix`).
#include <catch2/catch.hpp>

#include <cctype>
#include <map>
#include <stdexcept>
#include <string>

#include "actors/common/ids.hpp"
#include "actors/drain/scenario_assignment.hpp"

using namespace opencloser;
using Catch::Matchers::Contains;

namespace {

constexpr const char* maple_guid = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11";

std::string mix_rejection(std::string_view spec) {
  try {
    (void)parse_scenario_mix(spec);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("fnv1a64 matches the published FNV-1a 64-bit test vectors", "[scenario_assignment]") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);
  // Bytes above 0x7F are hashed as unsigned bytes (UTF-8 of U+00E9).
  CHECK(fnv1a64("\xc3\xa9") != fnv1a64("\xc3"));
}

TEST_CASE("parse_scenario_mix keeps the written order and weights", "[scenario_assignment]") {
  const auto mix = parse_scenario_mix("callback=3,no_answer=1, standard:wrong_number = 2");
  REQUIRE(mix.size() == 3);
  CHECK(mix[0] == weighted_scenario{"callback", 3});
  CHECK(mix[1] == weighted_scenario{"no_answer", 1});
  CHECK(mix[2] == weighted_scenario{"standard:wrong_number", 2});
}

TEST_CASE("parse_scenario_mix rejects malformed parts with a message naming them",
          "[scenario_assignment]") {
  CHECK_THAT(mix_rejection(""), Contains("empty"));
  CHECK_THAT(mix_rejection("callback"), Contains("'callback' is not name=weight"));
  CHECK_THAT(mix_rejection("callback=3,"), Contains("'' is not name=weight"));
  CHECK_THAT(mix_rejection("=3"), Contains("empty name"));
  CHECK_THAT(mix_rejection("callback=0"),
             Contains("weight of 'callback' must be a positive integer"));
  CHECK_THAT(mix_rejection("callback=-2"), Contains("weight of 'callback'"));
  CHECK_THAT(mix_rejection("callback=1.5"), Contains("got '1.5'"));
  CHECK_THAT(mix_rejection("callback=x"), Contains("got 'x'"));
  CHECK_THAT(mix_rejection("callback="), Contains("weight of 'callback'"));
  CHECK_THAT(mix_rejection("callback=99999999999999999999"), Contains("weight of 'callback'"));
  CHECK_THAT(mix_rejection("callback=1,no_answer=2,callback=3"),
             Contains("'callback' appears twice"));
  CHECK_THAT(mix_rejection("a=9223372036854775807,b=1"), Contains("add up"));
  // Every message is one line.
  CHECK(mix_rejection("callback=x").find('\n') == std::string::npos);
}

TEST_CASE("the pick is the first cumulative weight exceeding the hash modulo the total",
          "[scenario_assignment]") {
  // Worked by hand: fnv1a64("2026-06:<guid>") = 0x2b2713c6a8bcfe66, which is 2 mod 4.
  CHECK(fnv1a64(std::string("2026-06:") + maple_guid) == 0x2b2713c6a8bcfe66ULL);
  // Cumulative [3, 4]: 3 > 2 → the first entry.
  CHECK(scenario_assigner({{"a", 3}, {"b", 1}}, {}, "2026-06").assign(maple_guid) == "a");
  // Cumulative [2, 4]: 2 does not exceed 2 ("exceeds" is strict) → the second entry.
  CHECK(scenario_assigner({{"a", 2}, {"b", 2}}, {}, "2026-06").assign(maple_guid) == "b");
  // fnv1a64("seed-x:<guid>") = 0x51bbaebf41b59015, 3 mod 6; cumulative [1, 3, 6] → "c".
  CHECK(fnv1a64(std::string("seed-x:") + maple_guid) == 0x51bbaebf41b59015ULL);
  CHECK(scenario_assigner({{"a", 1}, {"b", 2}, {"c", 3}}, {}, "seed-x").assign(maple_guid) == "c");
}

TEST_CASE("the GUID is hashed lower-case, so its spelling does not change the pick",
          "[scenario_assignment]") {
  const scenario_assigner assigner({{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}}, {}, "s");
  for (int n = 0; n < 50; ++n) {
    const std::string guid = uuid_v5(opencloser_uuid_namespace, "row:" + std::to_string(n));
    std::string upper = guid;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    REQUIRE(upper != guid);
    CHECK(assigner.assign(upper) == assigner.assign(guid));
  }
}

TEST_CASE("the seed changes the assignment", "[scenario_assignment]") {
  // A total of 3, not a power of two: FNV-1a's low k bits depend only on the low k bits of each
  // byte, so "one" and "two" (same parity of byte low bits) would pick alike modulo 2.
  const std::vector<weighted_scenario> mix{{"a", 1}, {"b", 1}, {"c", 1}};
  const scenario_assigner first(mix, {}, "one"), second(mix, {}, "two");
  int differing = 0;
  for (int n = 0; n < 300; ++n) {
    const std::string guid = uuid_v5(opencloser_uuid_namespace, "row:" + std::to_string(n));
    differing += first.assign(guid) != second.assign(guid) ? 1 : 0;
  }
  // Independent picks among three disagree about 2/3 of the time (200 of 300); identical
  // picks would mean the seed were ignored.
  CHECK(differing > 150);
  CHECK(differing < 250);
}

TEST_CASE("over many GUIDs the picks are roughly proportional to the weights",
          "[scenario_assignment]") {
  const scenario_assigner assigner({{"callback", 5}, {"no_answer", 3}, {"voicemail", 2}}, {},
                                   "2026-06");
  std::map<std::string, int> counts;
  constexpr int rows = 20000;
  for (int n = 0; n < rows; ++n) {
    const auto pick =
        assigner.assign(uuid_v5(opencloser_uuid_namespace, "row:" + std::to_string(n)));
    REQUIRE(pick);
    ++counts[*pick];
  }
  REQUIRE(counts.size() == 3);
  // Expected 10000 / 6000 / 4000; the binomial standard deviation is below 71, so ±600 is
  // more than 8 of them.
  CHECK(counts["callback"] > 9400);
  CHECK(counts["callback"] < 10600);
  CHECK(counts["no_answer"] > 5400);
  CHECK(counts["no_answer"] < 6600);
  CHECK(counts["voicemail"] > 3400);
  CHECK(counts["voicemail"] < 4600);
}

TEST_CASE("an assign entry wins over the mix, whatever the GUID's case", "[scenario_assignment]") {
  const std::string upper = "0B6F2C1E-9D1A-4C55-A3F2-6E7D8C9B0A11";
  // The mix alone would pick "a" (see the hand-worked case above).
  const scenario_assigner assigner({{"a", 3}, {"b", 1}}, {{maple_guid, "b"}}, "2026-06");
  CHECK(assigner.assign(maple_guid) == "b");
  CHECK(assigner.assign(upper) == "b");
  // Keys handed over in upper case are matched too.
  const scenario_assigner upper_keys({{"a", 3}, {"b", 1}}, {{upper, "b"}}, "2026-06");
  CHECK(upper_keys.assign(maple_guid) == "b");
}

TEST_CASE("without a mix only assigned rows get a scenario", "[scenario_assignment]") {
  const scenario_assigner assigner({}, {{maple_guid, "no_answer"}}, "");
  CHECK(assigner.assign(maple_guid) == "no_answer");
  CHECK_FALSE(assigner.assign("11111111-2222-4333-8444-555555555555").has_value());
}

TEST_CASE("the assigner refuses a mix that parse_scenario_mix would refuse",
          "[scenario_assignment]") {
  CHECK_THROWS_AS(scenario_assigner({{"a", 0}}, {}, ""), std::invalid_argument);
  CHECK_THROWS_AS(scenario_assigner({{"a", 1}, {"a", 2}}, {}, ""), std::invalid_argument);
  CHECK_THROWS_AS(scenario_assigner({{"", 1}}, {}, ""), std::invalid_argument);
}
