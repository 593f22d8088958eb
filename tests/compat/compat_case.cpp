#include "tests/compat/compat_case.hpp"

#include <algorithm>
#include <stdexcept>

#include "actors/supervisor/session_simulation.hpp"
#include "adapters/artifacts/session_artifacts.hpp"
#include "adapters/config/config_loader.hpp"
#include "adapters/fixtures/fixture_loader.hpp"
#include "adapters/timezone/os_zone_database.hpp"

namespace opencloser::compat {

namespace fs = std::filesystem;

case_key parse_case_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t bar; (bar = key.find('|', start)) != std::string::npos; start = bar + 1)
    parts.push_back(key.substr(start, bar - start));
  parts.push_back(key.substr(start));
  if (parts.size() != 4) throw std::invalid_argument("malformed case key: " + key);
  return {parts[0], parts[1], parts[2], parts[3]};
}

namespace {

json::value nullable_json(const nullable<std::string>& v) {
  return v ? json::value{*v} : json::value{};
}

}  // namespace

json::value run_case(const fs::path& dir, const case_key& key, const fs::path& artifacts_root) {
  // The predecessor's own files, read in place.
  const settings config =
      load_settings((dir / "config/slice1.toml").string(), (dir / "config/slice2.toml").string(),
                    [](const std::string&) { return std::optional<std::string>{}; });
  const queue_item item = load_queue_item_file(dir / "queue_items" / (key.queue_item + ".json"));
  const transport_fixture transport =
      load_transport_fixture(dir / "transport_events" / (key.transport + ".json"));
  std::optional<conversation> conv;
  if (key.conversation != "-")
    conv = load_conversation_fixture(dir / "conversations" / (key.conversation + ".json"));

  const os_zone_database zones;
  const auto redactor = transcript_redactor::compile(config.redaction);
  const auto frozen = parse_utc_ms(key.clock);
  if (!frozen) throw std::invalid_argument("malformed clock in case key: " + key.clock);
  const product_clock clock{*frozen};

  // The predecessor's Slice 1 wrote to its mock CRM: a write-mode session, no dry-run marker.
  const session_run run =
      simulate_session(offline_inputs(item, transport, conv ? &*conv : nullptr, config, zones,
                                      redactor, clock, run_mode::write_enabled));

  const artifact_writer out(artifacts_root);
  auto files = write_planned_artifacts(out, run);
  auto final_files = write_final_artifacts(out, run);
  files.insert(files.end(), final_files.begin(), final_files.end());
  std::sort(files.begin(), files.end());

  // The queue row afterwards, as the mock CRM applies the plan.
  const auto& update = run.plan.queue_status;
  json::value v;
  json::array names(files.begin(), files.end());
  v.set("artifact_files", std::move(names));
  v.set("attempts_after", run.attempts_after);
  if (run.result.blocked_reason) {
    json::array letters(run.result.blocked_reason->begin(), run.result.blocked_reason->end());
    v.set("blocked_reason", std::move(letters));
  } else {
    v.set("blocked_reason", json::value{});
  }
  v.set("callback_requested", run.result.callback_requested);
  v.set("captured_email", nullable_json(run.result.captured_email));
  v.set("captured_email_unverified", nullable_json(run.result.captured_email_unverified));
  v.set("dnc_after", item.dnc_flag || update.set_dnc_flag);
  v.set("final_disposition", to_string(run.result.final_disposition));
  v.set("human_review_reason", run.result.human_review_reason
                                   ? json::value{to_string(*run.result.human_review_reason)}
                                   : json::value{});
  v.set("new_status", to_string(update.new_status));
  v.set("phone_call_activity", run.plan.phone_call_activity.has_value());
  v.set("preferred_callback_window", nullable_json(run.result.preferred_callback_window));
  v.set("queue_status_after", to_string(update.new_status));
  v.set("summary", run.result.summary);
  v.set("task_kind", run.plan.task ? json::value{to_string(run.plan.task->kind)} : json::value{});
  v.set("task_subject", run.plan.task ? json::value{run.plan.task->subject} : json::value{});
  v.set("transcript_pointer", nullable_json(run.result.transcript_pointer));
  v.set("transition_reason", update.transition_reason);
  return v;
}

}  // namespace opencloser::compat
