// Fixture loading and pre-validation (fixtures.md §1–§3, §7; conformance.md §5).
#include <catch2/catch.hpp>

#include "adapters/fixtures/fixture_error.hpp"
#include "adapters/fixtures/fixture_files.hpp"
#include "adapters/fixtures/fixture_loader.hpp"
#include "test_support.hpp"

using namespace opencloser;
using Catch::Matchers::Contains;
using opencloser::testing::fixture;

namespace {

std::string rejection(const std::filesystem::path& path) {
  try {
    (void)load_transport_fixture(path);
  } catch (const fixture_error& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("valid transport fixtures load with payloads filtered by the allow-list") {
  const auto vm = load_transport_fixture(fixture("transport_events/voicemail_0.json"));
  REQUIRE(vm.events.size() == 1);
  REQUIRE(vm.events[0].payload.size() == 1);  // "extra" dropped
  CHECK(vm.events[0].payload[0].key == "voicemail_length_seconds");
  CHECK(vm.events[0].payload[0].value_kind == payload_entry::kind::integer);
  CHECK(vm.events[0].payload[0].integer == 0);

  const auto cb = load_transport_fixture(fixture("transport_events/dup_callback_repeated.json"));
  REQUIRE(cb.events[1].payload.size() == 1);
  CHECK(cb.events[1].payload[0].value_kind == payload_entry::kind::null_value);

  const auto empty = load_transport_fixture(fixture("transport_events/empty.json"));
  CHECK(empty.events.empty());
  CHECK(empty.fixture_id == "empty");

  // Unknown types are valid input; they reach the core, which skips them.
  const auto ringing =
      load_transport_fixture(fixture("transport_events/ringing_then_standard.json"));
  CHECK(ringing.events.front().type == "ringing");
}

TEST_CASE("fixture_id defaults to the file stem") {
  const auto doc = json::parse(R"({"events": []})");
  CHECK(transport_fixture_from_json(doc, "x/y.json", "y").fixture_id == "y");
  CHECK(conversation_from_json(json::parse("{}"), "c.json", "c").fixture_id == "c");
  CHECK(conversation_from_json(json::parse("{}"), "c.json", "c").turns.empty());
}

TEST_CASE("every malformed transport fixture is rejected with a message naming the file") {
  const char* cases[][2] = {
      {"invalid_json", "is not valid JSON ("},
      {"no_events", "must be a JSON object with an 'events' array"},
      {"root_array", "must be a JSON object with an 'events' array"},
      {"events_not_array", "'events' must be an array"},
      {"event_not_object", "event #0 is not a JSON object"},
      {"missing_timestamp", "event #0 (event_id=ev-1) is missing required field(s): ['timestamp']"},
      {"ts_no_millis", "'timestamp' must be a UtcMs string"},
      {"ts_offset", "'timestamp' must be a UtcMs string"},
      {"ts_number", "'timestamp' must be a UtcMs string"},
      {"type_not_string", "'type' must be a string"},
      {"payload_not_object", "'payload' must be an object"},
      {"voicemail_string", "'voicemail_length_seconds' must be an integer"},
      {"voicemail_bool", "'voicemail_length_seconds' must be an integer"},
      {"voicemail_fraction", "'voicemail_length_seconds' must be an integer"},
      {"failure_reason_bogus", "'failure_reason' must be one of"},
      {"window_hint_number", "'window_hint' must be a string"},
  };
  for (const auto& [name, message] : cases) {
    const auto path = fixture("malformed/transport_events/" + std::string(name) + ".json");
    const auto error = rejection(path);
    INFO(name << ": " << error);
    CHECK_THAT(error, Contains(message));
    CHECK_THAT(error, Contains(path.string()));
  }
}

TEST_CASE("missing files, directories and bad stems are rejected") {
  const auto missing = fixture("transport_events/does_not_exist.json");
  CHECK(rejection(missing) ==
        "transport fixture not found or not a regular file: " + missing.string());
  const auto dir = fixture("malformed/transport_events/a_directory.json");
  CHECK_THAT(rejection(dir), Contains("not found or not a regular file"));
  CHECK_THROWS_WITH(resolve_fixture_path("fixtures/..", "transport"),
                    "invalid transport fixture id: 'fixtures/..'");
  CHECK_THROWS_WITH(resolve_fixture_path("fixtures/a\\b", "transport"),
                    "invalid transport fixture id: 'fixtures/a\\b'");
  CHECK(resolve_fixture_path("fixtures/connected", "transport") == "fixtures/connected.json");
  CHECK(resolve_fixture_path("fixtures/connected.json", "transport") == "fixtures/connected.json");
}

TEST_CASE("a missing event_id is reported as None and keys are sorted") {
  const auto doc = json::parse(R"({"events": [{"type": "connected"}]})");
  CHECK_THROWS_WITH(transport_fixture_from_json(doc, "f.json", "f"),
                    "transport fixture 'f.json': event #0 (event_id=None) is missing required "
                    "field(s): ['event_id', 'timestamp']");
}

TEST_CASE("malformed conversation fixtures are rejected") {
  CHECK_THROWS_WITH(
      load_conversation_fixture(fixture("malformed/conversations/turn_without_text.json")),
      Contains("every turn needs 'role' and 'text'"));
  CHECK_THROWS_WITH(load_conversation_fixture(fixture("malformed/conversations/root_array.json")),
                    Contains("is not a JSON object"));
  CHECK_THROWS_WITH(
      load_conversation_fixture(fixture("malformed/conversations/turns_not_array.json")),
      Contains("every turn needs 'role' and 'text'"));
  CHECK_THROWS_WITH(load_conversation_fixture(fixture("conversations/nope.json")),
                    Contains("conversation fixture not found or not a regular file"));
}

TEST_CASE("queue-item files: required keys, types, unknown keys rejected") {
  const auto item = load_queue_item_file(fixture("queue_items/ready.json"));
  CHECK(item.queue_item_id == "oak-terrace-1");
  CHECK(item.facility_name == "Oak Terrace ALF");
  CHECK(item.status == callable_status::ready);
  CHECK(item.phone_number == nullable<std::string>("+15555550170"));
  CHECK_FALSE(item.email.has_value());
  CHECK_THROWS_WITH(load_queue_item_file(fixture("malformed/queue_items/unknown_key.json")),
                    Contains("unknown key 'priority'"));
  CHECK_THROWS_WITH(load_queue_item_file(fixture("malformed/queue_items/missing_attempts.json")),
                    Contains("missing required key 'attempt_count'"));
  CHECK_THROWS_WITH(load_queue_item_file(fixture("malformed/queue_items/bad_status.json")),
                    Contains("'callable_status' must be one of"));
}
