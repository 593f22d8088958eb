#include "cli/simulate_command.hpp"

#include <optional>

#include "actors/call_simulator/persona.hpp"
#include "actors/supervisor/session_simulation.hpp"
#include "adapters/artifacts/session_artifacts.hpp"
#include "adapters/config/config_loader.hpp"
#include "adapters/fixtures/fixture_error.hpp"
#include "adapters/fixtures/fixture_files.hpp"
#include "adapters/fixtures/fixture_loader.hpp"
#include "adapters/timezone/os_zone_database.hpp"
#include "cli/output.hpp"

namespace opencloser::cli {

namespace {

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(sep)) + item;
  return out;
}

}  // namespace

int run_simulate(const simulate_options& o) {
  // Everything is loaded and validated before anything is written (fixtures.md §7).
  settings config;
  std::optional<unix_ms> frozen;
  try {
    config = load_settings(o.config, o.slice2_config, process_env);
    if (auto clock = process_env("OPENCLOSER_CLOCK_NOW")) {
      frozen = parse_utc_ms(*clock);
      if (!frozen)
        throw std::runtime_error("OPENCLOSER_CLOCK_NOW is not a UtcMs timestamp: " + *clock);
    }
  } catch (const std::exception& e) {
    error_line(e.what());
    return 2;
  }
  if (config.persona_version != persona_version) {
    error_line("persona version mismatch: config asks for '" + config.persona_version +
               "', this build ships '" + std::string(persona_version) + "'");
    return 2;
  }
  queue_item item;
  transport_fixture transport;
  std::optional<conversation> conv;
  std::optional<transcript_redactor> redactor;
  try {
    item = load_queue_item_file(o.queue_item);
    transport = load_transport_fixture(resolve_fixture_path(o.transport_fixture, "transport"));
    if (!o.conversation_fixture.empty())
      conv =
          load_conversation_fixture(resolve_fixture_path(o.conversation_fixture, "conversation"));
    redactor = transcript_redactor::compile(config.redaction);
  } catch (const std::exception& e) {
    error_line(e.what());
    return 2;
  }

  const os_zone_database zones;
  const product_clock clock{frozen};
  const session_run run = simulate_session(
      offline_inputs(item, transport, conv ? &*conv : nullptr, config, zones, *redactor, clock,
                     o.dry_run ? run_mode::dry_run : run_mode::write_enabled));
  if (run.call)
    for (const auto& w : run.call->log_warnings) warning_line(w);

  const artifact_writer out(o.artifacts_dir.empty() ? config.artifacts_dir : o.artifacts_dir);
  std::vector<std::string> files;
  try {
    files = write_planned_artifacts(out, run);
    for (auto& f : write_final_artifacts(out, run)) files.push_back(std::move(f));
  } catch (const std::exception& e) {
    error_line(e.what());
    return 2;
  }

  const bool blocked = run.result.final_disposition == disposition::blocked;
  const auto& update = run.plan.queue_status;
  labelled("exit_status", blocked ? "blocked" : "completed");
  if (blocked) labelled("block_reason", "eligibility");
  labelled("session_id", run.session.session_id);
  labelled("queue_item_id", item.queue_item_id);
  labelled("final_disposition", to_string(run.result.final_disposition));
  if (run.result.human_review_reason)
    labelled("human_review_reason", to_string(*run.result.human_review_reason));
  labelled("summary", run.result.summary);
  labelled("phone_call", run.plan.phone_call_activity ? "planned" : "");
  labelled("queue_status", std::string(to_string(update.previous_status)) + " -> " +
                               std::string(to_string(update.new_status)) +
                               (update.set_dnc_flag ? " (DNC flag set)" : ""));
  if (run.plan.task)
    labelled("task", std::string(to_string(run.plan.task->kind)) + ": " + run.plan.task->subject);
  labelled("attempts",
           std::to_string(item.attempt_count) + " -> " + std::to_string(run.attempts_after));
  labelled("artifact_dir", out.session_dir(run.session.session_id).string());
  labelled("artifacts", join(files, ", "));
  std::vector<std::string> warnings;
  if (clock.frozen()) warnings.emplace_back("clock_overridden");
  if (redactor->patterns_empty()) warnings.emplace_back("redaction_patterns_empty");
  for (const auto& w : run.warnings) warnings.push_back(w.code + ": " + w.message);
  labelled("warnings", join(warnings, "; "));
  return blocked ? 1 : 0;
}

}  // namespace opencloser::cli
