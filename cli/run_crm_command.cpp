#include "cli/run_crm_command.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include <filesystem>
#include <iostream>
#include <optional>
#include <regex>

#include "actors/common/ids.hpp"
#include "actors/supervisor/readiness.hpp"
#include "actors/supervisor/session_policy.hpp"
#include "actors/supervisor/supervisor_actor.hpp"
#include "adapters/artifacts/plan_reader.hpp"
#include "adapters/artifacts/run_report_json.hpp"
#include "adapters/config/config_loader.hpp"
#include "adapters/fixtures/fixture_files.hpp"
#include "adapters/fixtures/fixture_loader.hpp"
#include "adapters/mapping/mapping_artifact.hpp"
#include "adapters/process/interrupts.hpp"
#include "adapters/process/sha256.hpp"
#include "adapters/timezone/os_zone_database.hpp"
#include "cli/logging_setup.hpp"
#include "cli/output.hpp"
#include "cli/run_setup.hpp"

namespace opencloser::cli {

namespace {

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(sep)) + item;
  return out;
}

/// The run report of a run that has no session (readiness, selection, fixtures).
std::string sessionless_report(const run_setup& s, const run_crm_options& o, exit_status status,
                               nullable<std::string> block_reason, const std::string& message,
                               json::value metadata_report, const http_counters& http) {
  run_report_facts f;
  f.report.run_id = mint_id("run");
  f.report.command = o.resume.empty() ? "run-crm" : "resume";
  f.report.mode = o.write ? run_mode::write_enabled : run_mode::dry_run;
  f.report.resumed = !o.resume.empty();
  f.report.outcome.status = status;
  f.report.outcome.block_reason = std::move(block_reason);
  f.report.outcome.message = message;
  f.report.writeback_mode = s.config.writeback.mode;
  f.report.http = http;
  f.metadata_report = std::move(metadata_report);
  f.warnings = s.run_warnings;
  f.redaction = s.config.redaction;
  return json::write_compact(run_report_json(f));
}

/// Prints the run report (cli.md §4) and writes `--report`; returns the exit code.
int print_report(const session_report& r, const run_crm_options& o) {
  for (const auto& notice : r.notices) warning_line(notice);
  const auto report = json::parse(r.run_report_json);
  if (!o.report.empty()) {
    try {
      write_file_atomic(o.report, json::write_artifact(report));
    } catch (const std::exception& e) {
      error_line(e.what());
      return 2;
    }
  }
  const auto& out = r.outcome;
  if (o.json) {
    std::cout << json::write_artifact(report);
    return exit_code_of(out.status);
  }
  labelled("exit_status", to_string(out.status));
  if (out.status == exit_status::blocked && out.block_reason)
    labelled("block_reason", *out.block_reason);
  labelled("session_id", out.session_id);
  if (o.resume.empty()) {
    if (out.final_disposition) labelled("final_disposition", to_string(*out.final_disposition));
    labelled("queue_item_id", out.queue_item_id);
  }
  labelled("artifact_dir", r.artifact_dir.value_or(""));
  if (!o.resume.empty() && r.operations_replayed)
    labelled("operations_replayed",
             r.operations_replayed->empty() ? "none" : join(*r.operations_replayed, ", "));
  if (o.resume.empty() && !out.warnings.empty()) {
    std::cout << "warnings:\n";
    for (const auto& w : out.warnings) std::cout << "  " << w.code << ": " << w.message << '\n';
  }
  labelled("message", out.message);
  labelled("run_report", r.run_report_path.value_or(o.report));
  return exit_code_of(out.status);
}

session_report report_of(std::string json, exit_status status, nullable<std::string> block_reason,
                         std::string message, std::string session_id = {}) {
  session_report r;
  r.run_report_json = std::move(json);
  r.outcome.status = status;
  r.outcome.block_reason = std::move(block_reason);
  r.outcome.message = std::move(message);
  r.outcome.session_id = std::move(session_id);
  return r;
}

/// Runs one order through a supervisor spawned for this run and waits for its report.
template <class Order>
session_report supervise(run_setup& s, dataverse_connection& dataverse, run_context context,
                         run_mode mode, std::string command, std::shared_ptr<state_journal> journal,
                         Order order) {
  const os_zone_database zones;
  auto sc = supervisor_config_for(s, dataverse, std::move(context), mode, std::move(command),
                                  std::move(journal), zones);
  sc.interrupted = &install_interrupt_handlers();
  auto& sys = dataverse.system();
  auto sup = sys.spawn<caf::detached>(supervisor, std::move(sc));
  session_report report;
  {
    caf::scoped_actor self{sys};
    self->request(sup, caf::infinite, std::move(order))
        .receive([&](session_report& r) { report = std::move(r); },
                 [&](caf::error& e) {
                   report.outcome.status = exit_status::failed;
                   report.outcome.message = "supervisor failure: " + sys.render(e);
                   report.run_report_json = "{}";
                 });
    self->send_exit(sup, caf::exit_reason::user_shutdown);
    self->wait_for(sup);
  }
  return report;
}

int run_session(const run_crm_options& o, run_setup& s) {
  session_order order;
  if (!o.queue_item_id.empty()) order.queue_item_id = o.queue_item_id;
  order.campaign = o.campaign.empty() ? s.config.run_campaign : o.campaign;
  // 4. Selection.
  if (!o.queue_item_id.empty() && !is_guid(o.queue_item_id))
    throw usage_error("--queue-item-id '" + o.queue_item_id +
                      "' is not a valid Dataverse GUID (expected 8-4-4-4-12 hex digits)");
  if (o.queue_item_id.empty() == !o.next_ready)
    throw usage_error("provide exactly one of --queue-item-id or --next-ready");
  if (o.next_ready && order.campaign.empty())
    throw usage_error(
        "--next-ready requires --campaign (or a non-empty [run].campaign in slice2.toml)");
  if (!o.queue_item_id.empty()) order.campaign.clear();
  // 5. Fixtures, validated before any request (fixtures.md §7).
  try {
    order.transport =
        load_transport_fixture(resolve_fixture_path(o.transport_fixture, "transport"));
    if (!o.conversation_fixture.empty())
      order.conversation =
          load_conversation_fixture(resolve_fixture_path(o.conversation_fixture, "conversation"));
  } catch (const std::exception& e) {
    return print_report(
        report_of(sessionless_report(s, o, exit_status::failed, {}, e.what(), json::value(), {}),
                  exit_status::failed, {}, e.what()),
        o);
  }
  // 6. Secrets (both modes), then readiness.
  dataverse_connection dataverse(s.config, o.common.connection);
  auto ready = readiness(s, dataverse, o.next_ready);
  if (ready.failure) {
    const auto& f = *ready.failure;
    nullable<std::string> reason;
    if (f.status == exit_status::blocked) reason = std::string("metadata");
    return print_report(report_of(sessionless_report(s, o, f.status, reason, f.message,
                                                     f.metadata_report, ready.counters),
                                  f.status, reason, f.message),
                        o);
  }
  std::shared_ptr<state_journal> journal;
  try {
    journal = std::make_shared<state_journal>(state_journal::open(s.state_db, system_now_ms()));
  } catch (const std::exception& e) {
    throw usage_error(e.what());
  }
  auto report = supervise(s, dataverse, std::move(*ready.context),
                          o.write ? run_mode::write_enabled : run_mode::dry_run, "run-crm",
                          std::move(journal), std::move(order));
  return print_report(report, o);
}

/// `--resume`: the ledger pre-flight needs neither secrets nor requests (dataverse.md §10).
int run_resume(const run_crm_options& o, run_setup& s) {
  const auto& sid = o.resume;
  std::shared_ptr<state_journal> journal;
  std::optional<ledger_row> row;
  std::optional<write_plan_record> plan_record;
  std::optional<eligibility_decision> decision;
  try {
    journal = std::make_shared<state_journal>(state_journal::open(s.state_db, system_now_ms()));
    row = journal->ledger(sid);
    plan_record = journal->write_plan(sid);
    decision = journal->decision(sid);
  } catch (const std::exception& e) {
    throw usage_error(e.what());
  }
  std::string mapping_sha;
  try {
    mapping_sha = sha256_file_hex(s.mapping_path);
  } catch (const std::exception&) {
    // Readiness reports the unreadable mapping as `blocked`/`metadata`.
    if (plan_record) mapping_sha = plan_record->mapping_sha256;
  }
  const auto verdict =
      resume_preflight(sid, row, system_now_ms(), plan_record, s.mapping_path, mapping_sha);
  if (verdict.usage_error) throw usage_error(verdict.message);
  if (!verdict.proceed)
    return print_report(report_of(sessionless_report(s, o, verdict.status, verdict.block_reason,
                                                     verdict.message, json::value(), {}),
                                  verdict.status, verdict.block_reason, verdict.message, sid),
                        o);
  // The plan: planned-writeback.json, else writeback.json (§10 step 4).
  resume_order order;
  order.session_id = sid;
  const auto dir = artifact_writer(s.artifacts_dir).session_dir(sid);
  try {
    order.plan = read_session_plan(dir);
  } catch (const std::exception& e) {
    throw usage_error(std::string("resume pre-flight failed: ") + e.what());
  }
  if (!order.plan && (!decision || decision->outcome != eligibility_outcome::allow))
    throw usage_error(
        "resume pre-flight failed: neither planned-writeback.json nor writeback.json exists "
        "under " +
        dir.string());
  dataverse_connection dataverse(s.config, o.common.connection);
  auto ready = readiness(s, dataverse, false);
  if (ready.failure) {
    const auto& f = *ready.failure;
    nullable<std::string> reason;
    if (f.status == exit_status::blocked) reason = std::string("metadata");
    return print_report(report_of(sessionless_report(s, o, f.status, reason, f.message,
                                                     f.metadata_report, ready.counters),
                                  f.status, reason, f.message, sid),
                        o);
  }
  auto report = supervise(s, dataverse, std::move(*ready.context), run_mode::write_enabled,
                          "resume", std::move(journal), std::move(order));
  return print_report(report, o);
}

}  // namespace

int run_run_crm(const run_crm_options& o) {
  try {
    // 1–2. Flags that contradict each other, before anything is read.
    if (!o.resume.empty()) {
      if (!o.write)
        throw usage_error("--resume requires --write (resume is a write-back continuation)");
      if (!o.queue_item_id.empty() || o.next_ready || !o.transport_fixture.empty())
        throw usage_error(
            "--resume is incompatible with --queue-item-id / --next-ready / --transport-fixture");
      if (!o.conversation_fixture.empty())
        warning_line("--conversation-fixture is ignored with --resume");
      if (!o.campaign.empty()) warning_line("--campaign is ignored with --resume");
      static const std::regex session_id("^ses_[0-9a-f]{32}$");
      if (!std::regex_match(o.resume, session_id))
        throw usage_error("--resume '" + o.resume + "' is not a valid session id");
    } else {
      if (!o.campaign.empty() && !o.queue_item_id.empty())
        warning_line("--campaign is ignored with --queue-item-id");
      if (o.transport_fixture.empty())
        throw usage_error("--transport-fixture is required when --resume is not set");
    }
    // 3. Config.
    auto setup = prepare(o.common);
    return o.resume.empty() ? run_session(o, setup) : run_resume(o, setup);
  } catch (const std::exception& e) {
    error_line(e.what());
    return 2;
  }
}

}  // namespace opencloser::cli
