// Artifact files: JSON shapes with every field present, atomic replacement, stale transcript
// deletion (domain.md §12; conformance.md §14 artifact-writer unit, §16 JSON writer).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "adapters/artifacts/artifact_json.hpp"
#include "adapters/artifacts/artifact_writer.hpp"
#include "test_support.hpp"

using namespace opencloser;
using opencloser::testing::read_file;
using opencloser::testing::temp_dir;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> keys_of(const json::value& v) {
  std::vector<std::string> keys;
  for (const auto& m : v.as_object()) keys.push_back(m.first);
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace

TEST_CASE("atomic writes replace the file and leave no temporary behind") {
  temp_dir dir;
  const auto file = dir.path / "sub" / "a.json";
  write_file_atomic(file, "one\n");
  write_file_atomic(file, "two\n");
  CHECK(read_file(file) == "two\n");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path / "sub")) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("a write into an unwritable place fails with the path in the message") {
  CHECK_THROWS_WITH(write_file_atomic("/proc/opencloser/x.json", "{}"),
                    Catch::Matchers::Contains("/proc/opencloser/x.json"));
}

TEST_CASE("artifact writer: session directory, JSON encoding, stale transcript deletion") {
  temp_dir dir;
  const artifact_writer out(dir.path);
  out.write_text("ses_a", "transcript.txt", "[persona] hi\n");
  REQUIRE(fs::exists(dir.path / "ses_a" / "transcript.txt"));
  // Writing the session again under summary-only removes the stale transcript.
  out.remove("ses_a", "transcript.txt");
  CHECK_FALSE(fs::exists(dir.path / "ses_a" / "transcript.txt"));
  out.remove("ses_a", "transcript.txt");  // already gone: not an error

  out.write_json("ses_a", "dry-run-marker.json", dry_run_marker_json("ses_a"));
  const auto text = read_file(dir.path / "ses_a" / "dry-run-marker.json");
  CHECK(text.find("\"schema_version\": \"slice2-dry-run-marker-v1\"") != std::string::npos);
  CHECK(text.back() == '\n');
  CHECK(text.rfind("{\n  \"note\": ", 0) == 0);  // sorted: note < schema_version < session_id
}

TEST_CASE("session-result.json has every NormalizedResult field, nulls present") {
  normalized_result r;
  r.session_id = "ses_1";
  r.queue_item_id = "q";
  r.final_disposition = disposition::blocked;
  r.blocked_reason = std::vector<std::string>{"a", "c"};
  const auto v = to_json(r);
  CHECK(keys_of(v) ==
        std::vector<std::string>{"blocked_reason", "callback_requested", "captured_email",
                                 "captured_email_unverified", "ended_at", "final_disposition",
                                 "human_review_reason", "mock_provider_call_id", "persona_version",
                                 "preferred_callback_window", "queue_item_id", "schema_version",
                                 "session_id", "started_at", "summary", "transcript_pointer"});
  CHECK(v.find("persona_version")->is_null());
  CHECK(v.find("final_disposition")->as_string() == "blocked");
  CHECK(json::write_compact(*v.find("blocked_reason")) == R"(["a","c"])");
}

TEST_CASE("eligibility-decision.json shape") {
  eligibility_decision d;
  d.decision_id = "dec_1";
  d.outcome = eligibility_outcome::block;
  d.rules = {false, true, false, false, false, false};
  d.failing_rules = {"a", "c", "d", "e", "f"};
  const auto v = to_json(d);
  CHECK(keys_of(v) == std::vector<std::string>{"decided_at", "decision_id", "default_tz_applied",
                                               "default_tz_substituted_for", "failing_rules",
                                               "outcome", "queue_item_id", "rules",
                                               "schema_version", "session_id"});
  CHECK(v.find("outcome")->as_string() == "block");
  CHECK(json::write_compact(*v.find("rules")) ==
        R"({"a":false,"b":true,"c":false,"d":false,"e":false,"f":false})");
}

TEST_CASE("writeback.json: null Phone Call and Task on the blocked path, task.json shape") {
  writeback_plan plan;
  plan.session_id = "ses_1";
  plan.queue_status.new_status = callable_status::blocked;
  auto v = to_json(plan);
  CHECK(keys_of(v) == std::vector<std::string>{"phone_call_activity", "queue_status_update",
                                               "schema_version", "session_id", "task"});
  CHECK(v.find("phone_call_activity")->is_null());
  CHECK(v.find("task")->is_null());
  CHECK(keys_of(*v.find("queue_status_update")) ==
        std::vector<std::string>{"new_status", "previous_status", "queue_item_id", "schema_version",
                                 "session_id", "transition_at", "transition_reason"});
  task_payload t;
  t.kind = task_kind::review;
  t.reason_code = review_reason::script_truncated;
  const auto tv = to_json(t);
  CHECK(keys_of(tv) == std::vector<std::string>{"assigned_to", "captured_email", "created_at",
                                                "persona_version", "preferred_callback_window",
                                                "queue_item_id", "reason_code", "schema_version",
                                                "session_id", "subject", "task_id", "task_kind"});
  CHECK(tv.find("task_kind")->as_string() == "review");
  CHECK(tv.find("reason_code")->as_string() == "script_truncated");
}

TEST_CASE("conflicting-events.json shape") {
  conflicting_event_audit a{"audit_1",
                            "ses_1",
                            "ev-3",
                            event_type::failed,
                            "2026-05-22T19:00:03.000Z",
                            {{"failure_reason", payload_entry::kind::text, 0, "unknown"}},
                            disposition::interested_callback_requested};
  const auto v = conflicting_events_json("ses_1", {a});
  CHECK(keys_of(v) == std::vector<std::string>{"events", "schema_version", "session_id"});
  const auto& e = v.find("events")->as_array().at(0);
  CHECK(keys_of(e) == std::vector<std::string>{"audit_id", "conflicting_event_type", "event_id",
                                               "full_event_payload", "preserved_disposition",
                                               "received_at", "session_id"});
  CHECK(json::write_compact(*e.find("full_event_payload")) == R"({"failure_reason":"unknown"})");
}
