// The drain's fixture plan: schema, base_dir, pre-validation of every fixture (fixtures.md §4,
// §7), `--scenario-mix` without and with a plan (cli.md §5), and the shipped plan (cli.md §10).
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "actors/call_simulator/call_events.hpp"
#include "adapters/fixtures/fixture_loader.hpp"
#include "adapters/fixtures/fixture_plan.hpp"
#include "test_support.hpp"

using namespace opencloser;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using opencloser::testing::fixture;
using opencloser::testing::temp_dir;

namespace {

namespace fs = std::filesystem;

constexpr const char* maple_guid = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11";

/// A plan whose base_dir is the test fixtures directory, with `extra` spliced in verbatim after
/// the scenarios (e.g. `"mix": {...}`).
std::string plan_text(const std::string& scenarios, const std::string& extra) {
  return R"({"schema_version": "opencloser-fixture-plan-v1", "base_dir": ")" +
         fs::path(OPENCLOSER_TEST_FIXTURES).generic_string() + R"(", "scenarios": )" + scenarios +
         (extra.empty() ? "" : ", " + extra) + "}";
}

const std::string two_scenarios =
    R"({"callback": {"transport": "transport_events/standard.json",
                     "conversation": "conversations/callback_weekday_pm.json"},
        "no_answer": {"transport": "transport_events/no_answer.json"}})";

/// The message of the fixture_plan_error a plan file raises ("accepted" when it loads).
std::string plan_rejection(const std::string& file) {
  try {
    (void)load_fixture_plan(file);
  } catch (const fixture_plan_error& e) {
    return e.what();
  }
  return "accepted";
}

std::string mix_plan_rejection(std::vector<weighted_scenario> mix, const fs::path& dir) {
  try {
    (void)plan_from_mix(std::move(mix), dir);
  } catch (const fixture_plan_error& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("a fixture plan loads with parsed fixtures, mix in document order, seed and assign",
          "[fixture_plan]") {
  const temp_dir dir;
  const auto file = dir.write(
      "plan.json",
      plan_text(two_scenarios, R"("mix": {"no_answer": 1, "callback": 3}, "seed": "2026-06",
          "assign": {"0B6F2C1E-9D1A-4C55-A3F2-6E7D8C9B0A11": "no_answer"})"));
  const fixture_plan plan = load_fixture_plan(file);
  CHECK(plan.source == fs::path(file));
  REQUIRE(plan.scenarios.size() == 2);
  const auto& callback = plan.scenario("callback");
  CHECK(callback.name == "callback");
  CHECK(callback.transport.fixture_id == "standard");
  CHECK(callback.transport.events.size() == 2);
  REQUIRE(callback.conversation.has_value());
  CHECK(callback.conversation->fixture_id == "callback_weekday_pm");
  CHECK_FALSE(callback.conversation->turns.empty());
  CHECK(callback.conversation_path == fixture("conversations/callback_weekday_pm.json"));
  const auto& no_answer = plan.scenario("no_answer");
  CHECK(no_answer.transport.events.front().type == "no_answer");
  CHECK_FALSE(no_answer.conversation.has_value());
  CHECK_FALSE(no_answer.conversation_path.has_value());
  // Document order, not name order: the cumulative pick depends on it.
  REQUIRE(plan.mix.size() == 2);
  CHECK(plan.mix[0] == weighted_scenario{"no_answer", 1});
  CHECK(plan.mix[1] == weighted_scenario{"callback", 3});
  CHECK(plan.seed == "2026-06");
  CHECK(plan.assign == std::map<std::string, std::string>{{maple_guid, "no_answer"}});
  CHECK_THROWS_AS(plan.scenario("voicemail"), std::out_of_range);

  const auto assigner = make_assigner(plan);
  CHECK(assigner.assign(maple_guid) == "no_answer");
}

TEST_CASE("seed defaults to empty and an assign-only plan leaves other rows unassigned",
          "[fixture_plan]") {
  const temp_dir dir;
  const auto file = dir.write(
      "plan.json",
      plan_text(two_scenarios, std::string(R"("assign": {")") + maple_guid + R"(": "callback"})"));
  const auto plan = load_fixture_plan(file);
  CHECK(plan.seed.empty());
  CHECK(plan.mix.empty());
  const auto assigner = make_assigner(plan);
  CHECK(assigner.assign(maple_guid) == "callback");
  CHECK_FALSE(assigner.assign("11111111-2222-4333-8444-555555555555").has_value());
}

TEST_CASE("base_dir defaults to the plan's directory and a relative one is relative to it",
          "[fixture_plan]") {
  const temp_dir dir;
  const std::string events = testing::read_file(fixture("transport_events/no_answer.json"));
  const std::string turns = testing::read_file(fixture("conversations/not_interested.json"));
  dir.write("plans/t/no_answer.json", events);
  dir.write("plans/c/not_interested.json", turns);
  dir.write("fx/t/no_answer.json", events);
  dir.write("fx/c/not_interested.json", turns);
  // ".json" is appended when absent, as on the command line.
  const std::string scenarios =
      R"({"ni": {"transport": "t/no_answer", "conversation": "c/not_interested.json"}})";
  const std::string rest = R"(, "scenarios": )" + scenarios + R"(, "mix": {"ni": 1}})";

  SECTION("absent: the plan file's directory") {
    const auto file =
        dir.write("plans/plan.json", R"({"schema_version": "opencloser-fixture-plan-v1")" + rest);
    const auto plan = load_fixture_plan(file);
    CHECK(plan.base_dir == dir.path / "plans");
    CHECK(plan.scenario("ni").transport_path == dir.path / "plans" / "t" / "no_answer.json");
    CHECK(plan.scenario("ni").conversation->fixture_id == "not_interested");
  }
  SECTION("relative: taken from the plan file's directory, not the working directory") {
    const auto file =
        dir.write("plans/plan.json",
                  R"({"schema_version": "opencloser-fixture-plan-v1", "base_dir": "../fx")" + rest);
    const auto plan = load_fixture_plan(file);
    CHECK(plan.scenario("ni").transport_path ==
          dir.path / "plans" / "../fx" / "t" / "no_answer.json");
    CHECK(fs::equivalent(plan.scenario("ni").transport_path, dir.path / "fx/t/no_answer.json"));
  }
  SECTION("absolute: used as it is") {
    const auto file = dir.write(
        "plans/plan.json", R"({"schema_version": "opencloser-fixture-plan-v1", "base_dir": ")" +
                               (dir.path / "fx").generic_string() + "\"" + rest);
    const auto plan = load_fixture_plan(file);
    CHECK(plan.base_dir == dir.path / "fx");
    CHECK(plan.scenario("ni").transport_path == dir.path / "fx" / "t" / "no_answer.json");
  }
}

TEST_CASE("every plan error is one line starting with the plan path", "[fixture_plan]") {
  const temp_dir dir;
  const std::string mix = R"("mix": {"callback": 1})";
  const char* const bad_transport = "malformed/transport_events/ts_no_millis.json";
  struct bad_plan {
    std::string text;
    std::string expected;
  };
  const bad_plan cases[] = {
      {plan_text(two_scenarios, mix + R"(, "comment": "x")"), "unknown key 'comment'"},
      {plan_text(R"({"callback": {"transport": "transport_events/standard.json", "extra": 1}})",
                 mix),
       "scenario 'callback': unknown key 'extra'"},
      {plan_text(R"({"callback": {"conversation": "conversations/wrong_number.json"}})", mix),
       "scenario 'callback': missing required key 'transport'"},
      {plan_text(R"({"callback": {"transport": 7}})", mix), "'transport' must be a string"},
      {plan_text(R"({})", mix), "'scenarios' must be a non-empty object"},
      {R"({"schema_version": "opencloser-fixture-plan-v1", "mix": {"a": 1}})",
       "missing required key 'scenarios'"},
      {plan_text(two_scenarios, R"("mix": {"callback": 1, "voicemail": 2})"),
       "mix names 'voicemail', which is not a scenario"},
      {plan_text(two_scenarios, R"("mix": {"callback": 0})"),
       "weight of 'callback' must be a positive integer"},
      {plan_text(two_scenarios, R"("mix": {"callback": 1.5})"),
       "weight of 'callback' must be a positive integer"},
      {plan_text(two_scenarios, R"("mix": {"callback": true})"),
       "weight of 'callback' must be a positive integer"},
      {plan_text(two_scenarios, R"("assign": {"maple-court-7": "callback"})"),
       "assign: 'maple-court-7' is not a GUID"},
      {plan_text(two_scenarios, std::string(R"("assign": {")") + maple_guid + R"(": "nope"})"),
       "names 'nope', which is not a scenario"},
      {plan_text(two_scenarios,
                 std::string(R"("assign": {")") + maple_guid +
                     R"(": "callback", "0B6F2C1E-9D1A-4C55-A3F2-6E7D8C9B0A11": "no_answer"})"),
       "appears twice"},
      {plan_text(two_scenarios, ""), "neither 'mix' nor 'assign'"},
      {plan_text(two_scenarios, mix + R"(, "seed": 2026)"), "'seed' must be a string"},
      {R"({"schema_version": "opencloser-fixture-plan-v0", "scenarios": {}})",
       "'schema_version' must be \"opencloser-fixture-plan-v1\""},
      {R"({"scenarios": {}})", "'schema_version' must be"},
      {R"([1, 2])", "a fixture plan must be a JSON object"},
      {R"({"schema_version": )", "fixture plan is not valid JSON ("},
      {plan_text(R"({"callback": {"transport": "transport_events/not_there.json"}})", mix),
       "scenario 'callback': transport fixture not found or not a regular file: "},
      {plan_text(std::string(R"({"callback": {"transport": ")") + bad_transport + "\"}}", mix),
       "scenario 'callback': transport fixture '"},
      {plan_text(R"({"callback": {"transport": "transport_events/standard.json",
                               "conversation": "malformed/conversations/root_array.json"}})",
                 mix),
       "scenario 'callback': conversation fixture '"},
      {plan_text(R"({"callback": {"transport": "transport_events/.."}})", mix),
       "scenario 'callback': invalid transport fixture id"},
  };
  for (const auto& c : cases) {
    const auto file = dir.write("plan.json", c.text);
    const auto message = plan_rejection(file);
    INFO(c.text);
    CHECK_THAT(message, StartsWith(file + ": ") && Contains(c.expected));
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("a malformed referenced fixture fails the plan with the loader's own message",
          "[fixture_plan]") {
  const temp_dir dir;
  const auto file = dir.write(
      "plan.json", plan_text(R"({"callback": {"transport": "transport_events/standard.json"},
                    "late": {"transport": "malformed/transport_events/ts_no_millis.json"}})",
                             // "late" is in neither mix nor assign: it is still pre-validated.
                             R"("mix": {"callback": 1})"));
  std::string loader_message;
  try {
    (void)load_transport_fixture(fixture("malformed/transport_events/ts_no_millis.json"));
  } catch (const fixture_error& e) {
    loader_message = e.what();
  }
  REQUIRE_FALSE(loader_message.empty());
  CHECK(plan_rejection(file) == file + ": scenario 'late': " + loader_message);
  // The plan error is a fixture error: the run ends `failed` like any pre-validation failure.
  CHECK_THROWS_AS(load_fixture_plan(file), fixture_error);
}

TEST_CASE("a missing plan file is reported with its path", "[fixture_plan]") {
  const temp_dir dir;
  const auto missing = (dir.path / "nope.json").string();
  CHECK(plan_rejection(missing) == missing + ": fixture plan not found or not a regular file");
  CHECK_THAT(plan_rejection(dir.path.string()), Contains("not a regular file"));
}

TEST_CASE(
    "the --scenario-mix option alone names transport and conversation stems under the fixtures dir",
    "[fixture_plan]") {
  const fs::path root(OPENCLOSER_TEST_FIXTURES);
  const auto plan =
      plan_from_mix(parse_scenario_mix("standard:callback_weekday_pm=3,no_answer=1"), root);
  CHECK(plan.source.empty());
  CHECK(plan.seed.empty());
  CHECK(plan.base_dir == root);
  REQUIRE(plan.mix.size() == 2);
  CHECK(plan.mix[0].name == "standard:callback_weekday_pm");
  const auto& callback = plan.scenario("standard:callback_weekday_pm");
  CHECK(callback.transport_path == root / "transport_events" / "standard.json");
  CHECK(callback.transport.fixture_id == "standard");
  REQUIRE(callback.conversation.has_value());
  CHECK(callback.conversation->fixture_id == "callback_weekday_pm");
  CHECK(callback.conversation_path == root / "conversations" / "callback_weekday_pm.json");
  CHECK_FALSE(plan.scenario("no_answer").conversation.has_value());
  CHECK(make_assigner(plan).assign(maple_guid).has_value());
}

TEST_CASE("the --scenario-mix option alone: bad stems and bad fixtures fail before any run",
          "[fixture_plan]") {
  const fs::path root(OPENCLOSER_TEST_FIXTURES);
  CHECK_THAT(mix_plan_rejection({{"not_there", 1}}, root),
             StartsWith("--scenario-mix: scenario 'not_there': transport fixture not found"));
  CHECK_THAT(mix_plan_rejection({{"standard:not_there", 1}}, root),
             Contains("conversation fixture not found"));
  CHECK_THAT(mix_plan_rejection({{"../standard", 1}}, root),
             Contains("invalid transport fixture id: '../standard'"));
  CHECK_THAT(mix_plan_rejection({{"standard:x/wrong_number", 1}}, root),
             Contains("invalid conversation fixture id: 'x/wrong_number'"));
  CHECK_THAT(mix_plan_rejection({{"standard:", 1}}, root),
             Contains("invalid conversation fixture id"));
  CHECK_THAT(mix_plan_rejection({{"a:b:c", 1}}, root), Contains("one ':' at most"));
  CHECK_THAT(mix_plan_rejection({{"ts_no_millis", 1}}, root / "malformed"),
             Contains("scenario 'ts_no_millis': transport fixture '") && Contains("UtcMs"));
  CHECK_THAT(mix_plan_rejection({}, root), Contains("no scenario"));
  CHECK_THAT(mix_plan_rejection({{"standard", 1}, {"standard", 2}}, root), Contains("twice"));
}

TEST_CASE("the --scenario-mix option with a plan replaces its mix and names only plan scenarios",
          "[fixture_plan]") {
  const temp_dir dir;
  const auto file = dir.write("plan.json", plan_text(two_scenarios, R"("mix": {"callback": 1})"));
  auto plan = load_fixture_plan(file);
  replace_mix(plan, parse_scenario_mix("no_answer=2,callback=5"));
  REQUIRE(plan.mix.size() == 2);
  CHECK(plan.mix[0] == weighted_scenario{"no_answer", 2});
  CHECK(plan.mix[1] == weighted_scenario{"callback", 5});

  try {
    replace_mix(plan, parse_scenario_mix("callback=1,standard:wrong_number=1"));
    FAIL("a name outside the plan was accepted");
  } catch (const fixture_plan_error& e) {
    CHECK_THAT(std::string(e.what()),
               StartsWith(file + ": ") && Contains("'standard:wrong_number'"));
  }
  // A refused mix leaves the plan as it was.
  CHECK(plan.mix[0] == weighted_scenario{"no_answer", 2});
}

TEST_CASE("the shipped config/fixture-plan.json loads and each scenario gives its outcome",
          "[fixture_plan]") {
  const fs::path shipped =
      fs::path(OPENCLOSER_TEST_FIXTURES) / ".." / ".." / "config" / "fixture-plan.json";
  const auto plan = load_fixture_plan(shipped);
  CHECK(plan.seed == "2026-06");
  CHECK(plan.assign.empty());
  REQUIRE(plan.mix.size() == plan.scenarios.size());

  // Run each scenario's fixtures through the call core: the names must mean what they say.
  const std::map<std::string, disposition> expected{
      {"callback", disposition::interested_callback_requested},
      {"email", disposition::interested_email_captured},
      {"review", disposition::needs_human_review},
      {"dnc", disposition::do_not_call},
      {"not_interested", disposition::not_interested},
      {"wrong_number", disposition::wrong_number},
      {"no_answer", disposition::no_answer},
      {"voicemail", disposition::voicemail},
      {"failed", disposition::failed},
  };
  REQUIRE(plan.scenarios.size() == expected.size());
  for (const auto& [name, want] : expected) {
    INFO(name);
    const auto& scenario = plan.scenario(name);
    const auto outcome = process_call_events(
        "ses_00000000000000000000000000000001", "call_00000000000000000000000000000001",
        scenario.transport.events, scenario.conversation ? &*scenario.conversation : nullptr,
        [] { return std::string("audit_00000000000000000000000000000001"); });
    CHECK(outcome.final_disposition == want);
  }
  const auto& review = plan.scenario("review");
  const auto outcome = process_call_events("ses_1", "call_1", review.transport.events,
                                           &*review.conversation, [] { return std::string(); });
  REQUIRE(outcome.persona.has_value());
  CHECK(outcome.persona->human_review_reason ==
        nullable<review_reason>(review_reason::uncertain_role));
}
