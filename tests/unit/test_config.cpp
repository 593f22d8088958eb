// The configuration loader (cli.md §2; conformance.md §16: missing file, unknown key).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "actors/common/ids.hpp"
#include "adapters/config/config_loader.hpp"
#include "test_support.hpp"

using namespace opencloser;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using opencloser::testing::read_file;
namespace fs = std::filesystem;

namespace {

const std::string fixtures = OPENCLOSER_TEST_FIXTURES "/config/";
const std::string shipped1 = OPENCLOSER_TEST_FIXTURES "/../../config/slice1.toml";
const std::string shipped2 = OPENCLOSER_TEST_FIXTURES "/../../config/slice2.toml";
const std::string predecessor = OPENCLOSER_TEST_FIXTURES "/../../../shared/predecessor/config/";

std::optional<std::string> no_env(const std::string&) {
  return std::nullopt;
}

env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Writes variants of the shipped files into a private directory removed at the end.
struct scratch : opencloser::testing::temp_dir {
  // The shipped file with one exact piece of text replaced (which must be there).
  std::string variant(const std::string& shipped, const std::string& from,
                      const std::string& to) const {
    auto text = read_file(shipped);
    const auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    text.replace(pos, from.size(), to);
    return write("variant.toml", text);
  }
};

std::string load_error(const std::string& s1, const std::string& s2,
                       const env_lookup& env = no_env) {
  try {
    load_settings(s1, s2, env);
  } catch (const config_error& e) {
    return e.what();
  }
  FAIL("no config_error for " << s1 << " / " << s2);
  return {};
}

}  // namespace

TEST_CASE("the shipped files load with the values of cli.md §2") {
  const auto s = load_settings(shipped1, shipped2, no_env);
  CHECK(s.call_window.start == hh_mm{9, 0});
  CHECK(s.call_window.end == hh_mm{20, 0});
  CHECK(s.eligibility.max_attempts == 5);
  CHECK(s.eligibility.default_timezone == "America/Los_Angeles");
  CHECK(s.artifacts_dir == "./artifacts");
  CHECK(s.artifacts_schema_version == "slice1-v1");
  CHECK(s.persona_version == "alf-appointment-setter@0.1.0");
  CHECK(s.state_db == "./state/opencloser.db");
  CHECK(s.run_default_mode == "dry-run");
  CHECK(s.run_campaign.empty());
  CHECK(s.mapping_artifact == "config/dataverse_mapping.json");
  CHECK(s.callable_status == "ready");
  CHECK(s.authority_host == "https://login.microsoftonline.com");
  CHECK(s.retry.max_retries == 3);
  CHECK(s.retry.backoff_seconds == std::vector<double>{1, 2, 4});
  CHECK(s.retry.retry_after_cap_seconds == 30);
  CHECK(s.retry.max_throttle_wait_seconds == 300);
  CHECK(s.task_owner_callback == "3f0c0000-0000-4000-8000-0000000000b1");
  CHECK(s.task_owner_review == "3f0c0000-0000-4000-8000-0000000000b2");
  CHECK(s.redaction.policy == redaction_policy_kind::regex);
  CHECK(s.redaction.retention == retention_mode::full);
  CHECK_FALSE(s.redaction.patterns.has_value());
  CHECK(s.writeback == writeback_settings{"sequential", true, 900});
  CHECK(s.http == http_settings{30, 52});
  CHECK(s.drain == drain_settings{4, 16, 500, 20, true, 0, "127.0.0.1:4242"});
}

TEST_CASE("every key is read from the files") {
  const auto s =
      load_settings(fixtures + "slice1_custom.toml", fixtures + "slice2_custom.toml", no_env);
  CHECK(s.call_window == call_window_settings{{0, 0}, {23, 59}});
  CHECK(s.eligibility == eligibility_settings{1, "Not/Validated_At_Load"});
  CHECK(s.artifacts_dir == "/var/lib/opencloser/artifacts");
  CHECK(s.persona_version == "some-other-persona@9.9.9");
  CHECK(s.state_db == "/var/lib/opencloser/state.db");
  CHECK(s.run_campaign == "c");
  CHECK(s.mapping_artifact == "m.json");
  CHECK(s.authority_host == "https://login.example.test");
  CHECK(s.retry == retry_settings{7, {0, 0.01, 3}, 1, 12.5});
  CHECK(s.task_owner_callback == "a");
  CHECK(s.task_owner_review == "b");
  REQUIRE(s.redaction.patterns.has_value());
  CHECK(*s.redaction.patterns == std::vector<std::string>{"\\bMRN-\\d{6}\\b", "secret"});
  CHECK(s.writeback == writeback_settings{"batch", false, 30});
  CHECK(s.http == http_settings{0.5, 1});
  CHECK(s.drain == drain_settings{32, 1, 5000, 1, false, 2.5, "none"});
}

TEST_CASE("optional sections and keys take their defaults, an empty pattern list is kept") {
  const auto s = load_settings(shipped1, fixtures + "slice2_minimal.toml", no_env);
  CHECK(s.run_default_mode == "write-enabled");
  CHECK(s.run_campaign == "Spring ALF");
  CHECK(s.authority_host == "https://login.microsoftonline.com");
  CHECK(s.retry == retry_settings{0, {0.5}, 0.25, 300});
  CHECK(s.task_owner_review == "not-yet-a-guid");  // GUIDs are checked at readiness
  CHECK(s.redaction.policy == redaction_policy_kind::noop);
  CHECK(s.redaction.retention == retention_mode::summary_only);
  REQUIRE(s.redaction.patterns.has_value());
  CHECK(s.redaction.patterns->empty());
  CHECK(s.writeback == writeback_settings{});
  CHECK(s.http == http_settings{});
  CHECK(s.drain == drain_settings{});
}

TEST_CASE("the predecessor's shipped files load unchanged", "[predecessor]") {
  const auto p1 = predecessor + "slice1.toml";
  const auto p2 = predecessor + "slice2.toml";
  REQUIRE(fs::exists(p1));
  REQUIRE(fs::exists(p2));
  const auto s = load_settings(p1, p2, no_env);
  CHECK(s.call_window == call_window_settings{{9, 0}, {20, 0}});
  CHECK(s.eligibility == eligibility_settings{5, "America/Los_Angeles"});
  CHECK(s.state_db == "./state/slice1.db");
  CHECK(s.task_owner_callback == "REPLACE_WITH_DATAVERSE_OWNER_OR_TEAM_ID");
  CHECK(s.retry == retry_settings{3, {1, 2, 4}, 30, 300});
  CHECK_FALSE(s.redaction.patterns.has_value());
  CHECK(s.drain == drain_settings{});
}

TEST_CASE("a missing file is a config error naming it") {
  const auto missing = fixtures + "no_such_file.toml";
  CHECK(load_error(missing, shipped2) == "config load failed: " + missing + ": file not found");
  CHECK(load_error(shipped1, missing) == "config load failed: " + missing + ": file not found");
  CHECK_THAT(load_error(fixtures, shipped2), StartsWith("config load failed: " + fixtures + ": "));
}

TEST_CASE("invalid TOML is a config error with its position") {
  const scratch dir;
  const auto bad = dir.write("bad.toml", "[call_window]\nstart = \"09:00\nend = 1\n");
  CHECK_THAT(load_error(bad, shipped2),
             StartsWith("config load failed: " + bad + ": invalid TOML at line 2"));
  const auto dup = dir.variant(shipped1, "end = \"20:00\"", "end = \"20:00\"\nend = \"21:00\"");
  CHECK_THAT(load_error(dup, shipped2), Contains("invalid TOML"));
}

TEST_CASE("unknown sections and keys are rejected") {
  const scratch dir;
  const auto section = dir.variant(shipped1, "[state]", "[extra]\nx = 1\n[state]");
  CHECK(load_error(section, shipped2) ==
        "config load failed: " + section + ": unknown section [extra]");
  const auto key = dir.variant(shipped1, "end = \"20:00\"", "end = \"20:00\"\ndays = 5");
  CHECK(load_error(key, shipped2) ==
        "config load failed: " + key + ": unknown key [call_window].days");
  const auto top = dir.variant(shipped2, "[run]", "verbose = true\n[run]");
  CHECK_THAT(load_error(shipped1, top), Contains("unknown key verbose outside any section"));
  const auto optional = dir.variant(shipped2, "listen = ", "token = \"x\"\nlisten = ");
  CHECK_THAT(load_error(shipped1, optional), Contains("unknown key [drain].token"));
  const auto nested = dir.variant(shipped2, "[http]", "[retry.extra]\na = 1\n[http]");
  CHECK_THAT(load_error(shipped1, nested), Contains("unknown key [retry].extra"));
  // A slice 2 section in the slice 1 file is unknown there.
  const auto misplaced = dir.variant(shipped1, "[state]", "[http]\nmax_in_flight = 1\n[state]");
  CHECK_THAT(load_error(misplaced, shipped2), Contains("unknown section [http]"));
  const auto array_of_tables = dir.variant(shipped2, "[run]", "[[run2]]\na = 1\n[run]");
  CHECK_THAT(load_error(shipped1, array_of_tables), Contains("unknown key run2"));
}

TEST_CASE("required sections and keys must be present") {
  const scratch dir;
  const auto no_state = dir.variant(shipped1, "[state]", "[unused_state]");
  CHECK_THAT(load_error(no_state, shipped2), Contains("unknown section [unused_state]"));
  const auto text = read_file(shipped1);
  const auto without_state = dir.write("s1.toml", text.substr(0, text.find("[state]")));
  CHECK(load_error(without_state, shipped2) ==
        "config load failed: " + without_state + ": missing section [state]");
  const auto no_key = dir.variant(shipped1, "max_attempts = 5", "");
  CHECK_THAT(load_error(no_key, shipped2), Contains("missing key [eligibility].max_attempts"));
  const auto no_owner = dir.variant(shipped2, "review = ", "# review = ");
  CHECK_THAT(load_error(shipped1, no_owner), Contains("missing key [task_owners].review"));
  auto flat = read_file(shipped1);
  const auto persona = flat.find("[persona]");
  flat.erase(persona, flat.find("[state]") - persona);
  const auto not_table = dir.write("flat.toml", "persona = \"x\"\n" + flat);
  CHECK(load_error(not_table, shipped2) ==
        "config load failed: " + not_table + ": [persona] must be a table");
}

TEST_CASE("wrong types and out-of-range values are rejected") {
  struct bad_value {
    bool slice1;
    std::string from, to, detail;
  };
  const std::vector<bad_value> cases{
      {true, "start = \"09:00\"", "start = \"9:00\"", "[call_window].start: expected \"HH:MM\""},
      {true, "start = \"09:00\"", "start = \"24:00\"", "[call_window].start"},
      {true, "end = \"20:00\"", "end = \"20:60\"", "[call_window].end"},
      {true, "end = \"20:00\"", "end = \"20:00:00\"", "[call_window].end"},
      {true, "start = \"09:00\"", "start = 900", "[call_window].start"},
      {true, "start = \"09:00\"", "start = 09:00:00", "[call_window].start"},
      {true, "max_attempts = 5", "max_attempts = 0",
       "[eligibility].max_attempts: expected an "
       "integer >= 1, got 0"},
      {true, "max_attempts = 5", "max_attempts = 5.0", "[eligibility].max_attempts"},
      {true, "max_attempts = 5", "max_attempts = \"5\"", "[eligibility].max_attempts"},
      {true, "default_timezone = \"America/Los_Angeles\"", "default_timezone = 5",
       "[eligibility].default_timezone: expected a string, got 5"},
      {true, "schema_version = \"slice1-v1\"", "schema_version = \"slice1-v2\"",
       "[artifacts].schema_version: expected \"slice1-v1\", got \"slice1-v2\""},
      {true, "db = \"./state/opencloser.db\"", "db = [\"a\"]",
       "[state].db: expected a string, "
       "got an array"},
      {false, "default_mode = \"dry-run\"", "default_mode = \"write\"", "[run].default_mode"},
      {false, "callable_status = \"ready\"", "callable_status = \"blocked\"",
       "[dataverse].callable_status"},
      {false, "max_retries = 3", "max_retries = -1", "[retry].max_retries"},
      {false, "backoff_seconds = [1, 2, 4]", "backoff_seconds = [1, -2]",
       "[retry].backoff_seconds"},
      {false, "backoff_seconds = [1, 2, 4]", "backoff_seconds = [\"1\"]",
       "[retry].backoff_seconds"},
      {false, "backoff_seconds = [1, 2, 4]", "backoff_seconds = 1", "[retry].backoff_seconds"},
      {false, "backoff_seconds = [1, 2, 4]", "backoff_seconds = [nan]", "[retry].backoff_seconds"},
      {false, "retry_after_cap_seconds = 30", "retry_after_cap_seconds = 0",
       "[retry].retry_after_cap_seconds"},
      {false, "retry_after_cap_seconds = 30", "retry_after_cap_seconds = inf",
       "[retry].retry_after_cap_seconds"},
      {false, "max_throttle_wait_seconds = 300", "max_throttle_wait_seconds = -1.5",
       "[retry].max_throttle_wait_seconds"},
      {false, "callback = \"3f0c", "callback = 3 # \"", "[task_owners].callback"},
      {false, "policy = \"regex\"", "policy = \"none\"", "[redaction].policy"},
      {false, "retention = \"full\"", "retention = \"summary_only\"", "[redaction].retention"},
      {false, "# patterns omitted", "patterns = [1]\n#", "[redaction].patterns"},
      {false, "# patterns omitted", "patterns = \"x\"\n#", "[redaction].patterns"},
      {false, "mode = \"sequential\"", "mode = \"parallel\"", "[writeback].mode"},
      {false, "link_regarding = true", "link_regarding = \"yes\"", "[writeback].link_regarding"},
      {false, "lease_seconds = 900", "lease_seconds = 29", "[writeback].lease_seconds"},
      {false, "timeout_seconds = 30", "timeout_seconds = 0", "[http].timeout_seconds"},
      {false, "max_in_flight = 52", "max_in_flight = 0", "[http].max_in_flight"},
      {false, "concurrency = 4", "concurrency = 0", "[drain].concurrency"},
      {false, "max_concurrency = 16", "max_concurrency = 0", "[drain].max_concurrency"},
      {false, "page_size = 500", "page_size = 0", "[drain].page_size"},
      {false, "page_size = 500", "page_size = 5001", "[drain].page_size"},
      {false, "increase_after = 20", "increase_after = 0", "[drain].increase_after"},
      {false, "respect_dop_hint = true", "respect_dop_hint = 1", "[drain].respect_dop_hint"},
      {false, "max_requests_per_second = 0", "max_requests_per_second = -0.5",
       "[drain].max_requests_per_second"},
      {false, "listen = \"127.0.0.1:4242\"", "listen = \"4242\"", "[drain].listen"},
      {false, "listen = \"127.0.0.1:4242\"", "listen = \":4242\"", "[drain].listen"},
      {false, "listen = \"127.0.0.1:4242\"", "listen = \"localhost:65536\"", "[drain].listen"},
      {false, "listen = \"127.0.0.1:4242\"", "listen = \"localhost:http\"", "[drain].listen"},
      {false, "listen = \"127.0.0.1:4242\"", "listen = \"off\"", "[drain].listen"},
  };
  const scratch dir;
  for (const auto& c : cases) {
    INFO(c.to);
    const auto file = dir.variant(c.slice1 ? shipped1 : shipped2, c.from, c.to);
    const auto what = c.slice1 ? load_error(file, shipped2) : load_error(shipped1, file);
    CHECK_THAT(what, StartsWith("config load failed: " + file + ": " + c.detail));
  }
}

TEST_CASE("edge values inside the ranges are accepted") {
  const scratch dir;
  const auto replace = [](std::string text,
                          const std::vector<std::pair<std::string, std::string>>& edits) {
    for (const auto& [from, to] : edits) {
      const auto pos = text.find(from);
      REQUIRE(pos != std::string::npos);
      text.replace(pos, from.size(), to);
    }
    return text;
  };
  // start > end loads (it admits nothing at evaluation).
  const auto s1 = dir.write("s1.toml", replace(read_file(shipped1), {{"\"09:00\"", "\"23:59\""},
                                                                     {"\"20:00\"", "\"00:00\""}}));
  const auto s2 = dir.write(
      "s2.toml", replace(read_file(shipped2), {{"[1, 2, 4]", "[0, 0.5]"},
                                               {"\"127.0.0.1:4242\"", "\"[::1]:0\""},
                                               {"lease_seconds = 900", "lease_seconds = 30"},
                                               {"max_retries = 3", "max_retries = 0"}}));
  const auto s = load_settings(s1, s2, no_env);
  CHECK(s.call_window == call_window_settings{{23, 59}, {0, 0}});
  CHECK(s.retry.backoff_seconds == std::vector<double>{0, 0.5});
  CHECK(s.retry.max_retries == 0);
  CHECK(s.drain.listen == "[::1]:0");
  CHECK(s.writeback.lease_seconds == 30);
}

TEST_CASE("environment overrides convert to the key's type") {
  std::vector<std::string> asked;
  const auto vars = env_of({
      {"OPENCLOSER_CALL_WINDOW_START", "10:30"},
      {"OPENCLOSER_ELIGIBILITY_MAX_ATTEMPTS", "7"},
      {"OPENCLOSER_ELIGIBILITY_DEFAULT_TIMEZONE", "Europe/Berlin"},
      {"OPENCLOSER_STATE_DB", "/tmp/x.db"},
      {"OPENCLOSER_RUN_CAMPAIGN", ""},
      {"OPENCLOSER_RETRY_RETRY_AFTER_CAP_SECONDS", "2.5"},
      {"OPENCLOSER_HTTP_TIMEOUT_SECONDS", "5"},
      {"OPENCLOSER_TASK_OWNERS_REVIEW", "review-owner"},
      {"OPENCLOSER_REDACTION_POLICY", "noop"},
      {"OPENCLOSER_REDACTION_RETENTION", "summary-only"},
      {"OPENCLOSER_WRITEBACK_LINK_REGARDING", "false"},
      {"OPENCLOSER_DRAIN_RESPECT_DOP_HINT", "false"},
      {"OPENCLOSER_DRAIN_PAGE_SIZE", "5000"},
      {"OPENCLOSER_DRAIN_LISTEN", "none"},
      {"OPENCLOSER_RETRY_BACKOFF_SECONDS", "[9]"},  // arrays cannot be overridden
      {"OPENCLOSER_REDACTION_PATTERNS", "[\"x\"]"},
  });
  const env_lookup recording = [&](const std::string& name) {
    asked.push_back(name);
    return vars(name);
  };
  const auto s = load_settings(shipped1, shipped2, recording);
  CHECK(s.call_window.start == hh_mm{10, 30});
  CHECK(s.call_window.end == hh_mm{20, 0});
  CHECK(s.eligibility.max_attempts == 7);
  CHECK(s.eligibility.default_timezone == "Europe/Berlin");
  CHECK(s.state_db == "/tmp/x.db");
  CHECK(s.run_campaign.empty());
  CHECK(s.retry.retry_after_cap_seconds == 2.5);
  CHECK(s.http.timeout_seconds == 5);
  CHECK(s.task_owner_review == "review-owner");
  CHECK(s.redaction.policy == redaction_policy_kind::noop);
  CHECK(s.redaction.retention == retention_mode::summary_only);
  CHECK_FALSE(s.writeback.link_regarding);
  CHECK_FALSE(s.drain.respect_dop_hint);
  CHECK(s.drain.page_size == 5000);
  CHECK(s.drain.listen == "none");
  CHECK(s.retry.backoff_seconds == std::vector<double>{1, 2, 4});
  CHECK_FALSE(s.redaction.patterns.has_value());
  const auto was_asked = [&](const char* n) {
    return std::find(asked.begin(), asked.end(), n) != asked.end();
  };
  CHECK(was_asked("OPENCLOSER_RETRY_MAX_THROTTLE_WAIT_SECONDS"));
  CHECK(was_asked("OPENCLOSER_DATAVERSE_AUTHORITY_HOST"));
  CHECK(was_asked("OPENCLOSER_TASK_OWNERS_CALLBACK"));
  CHECK(was_asked("OPENCLOSER_ARTIFACTS_SCHEMA_VERSION"));
  CHECK_FALSE(was_asked("OPENCLOSER_RETRY_BACKOFF_SECONDS"));
  CHECK_FALSE(was_asked("OPENCLOSER_REDACTION_PATTERNS"));
  CHECK(asked.size() == 32);  // every scalar key of both files, once
}

TEST_CASE("overrides reach keys of optional sections absent from the file") {
  const auto s = load_settings(
      shipped1, fixtures + "slice2_minimal.toml",
      env_of({{"OPENCLOSER_DRAIN_CONCURRENCY", "8"}, {"OPENCLOSER_WRITEBACK_MODE", "batch"}}));
  CHECK(s.drain.concurrency == 8);
  CHECK(s.writeback.mode == "batch");
}

TEST_CASE("a bad environment value is a config error naming the variable") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"OPENCLOSER_ELIGIBILITY_MAX_ATTEMPTS", "abc"},
      {"OPENCLOSER_ELIGIBILITY_MAX_ATTEMPTS", "0"},
      {"OPENCLOSER_ELIGIBILITY_MAX_ATTEMPTS", " 7"},
      {"OPENCLOSER_ELIGIBILITY_MAX_ATTEMPTS", "7.0"},
      {"OPENCLOSER_ELIGIBILITY_MAX_ATTEMPTS", ""},
      {"OPENCLOSER_CALL_WINDOW_END", "25:00"},
      {"OPENCLOSER_ARTIFACTS_SCHEMA_VERSION", "slice2-v1"},
      {"OPENCLOSER_DRAIN_RESPECT_DOP_HINT", "yes"},
      {"OPENCLOSER_DRAIN_RESPECT_DOP_HINT", "TRUE"},
      {"OPENCLOSER_DRAIN_RESPECT_DOP_HINT", "1"},
      {"OPENCLOSER_DRAIN_PAGE_SIZE", "-0"},
      {"OPENCLOSER_DRAIN_PAGE_SIZE", "99999999999999999999"},
      {"OPENCLOSER_HTTP_TIMEOUT_SECONDS", "0"},
      {"OPENCLOSER_HTTP_TIMEOUT_SECONDS", "inf"},
      {"OPENCLOSER_HTTP_TIMEOUT_SECONDS", "5s"},
      {"OPENCLOSER_REDACTION_POLICY", "off"},
      {"OPENCLOSER_DRAIN_LISTEN", "localhost"},
  };
  for (const auto& [var, value] : cases) {
    INFO(var << "=" << value);
    const bool slice1 = var.find("ELIGIBILITY") != std::string::npos ||
                        var.find("CALL_WINDOW") != std::string::npos ||
                        var.find("ARTIFACTS") != std::string::npos;
    const auto what = load_error(shipped1, shipped2, env_of({{var, value}}));
    CHECK_THAT(what, StartsWith("config load failed: " + (slice1 ? shipped1 : shipped2) + ": " +
                                var + ": expected "));
    CHECK_THAT(what, Contains("got \"" + value + "\""));
  }
}

TEST_CASE("process_env reads the process environment") {
  ::setenv("OPENCLOSER_TEST_CONFIG_PROBE", "v", 1);
  CHECK(process_env("OPENCLOSER_TEST_CONFIG_PROBE").value_or("") == "v");
  ::unsetenv("OPENCLOSER_TEST_CONFIG_PROBE");
  CHECK_FALSE(process_env("OPENCLOSER_TEST_CONFIG_PROBE").has_value());
}

TEST_CASE("an empty backoff list is valid: retries then wait 0 s (conformance.md §9)") {
  const scratch dir;
  const auto file = dir.variant(shipped2, "backoff_seconds = [1, 2, 4]", "backoff_seconds = []");
  const auto s = load_settings(shipped1, file,
                               [](const std::string&) { return std::optional<std::string>{}; });
  CHECK(s.retry.backoff_seconds.empty());
}
