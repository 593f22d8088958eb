// opencloser — the command-line front-end (cli.md). CLI11 lives in this TU only.
#include <CLI/CLI.hpp>

#include <iostream>

#include "actors/common/version.hpp"
#include "cli/ctl_command.hpp"
#include "cli/discover_command.hpp"
#include "cli/drain_command.hpp"
#include "cli/emulator_command.hpp"
#include "cli/init_state_command.hpp"
#include "cli/output.hpp"
#include "cli/run_crm_command.hpp"
#include "cli/simulate_command.hpp"

int main(int argc, char** argv) {
  using namespace opencloser::cli;
  CLI::App app{"opencloser: drains an outbound-calling queue held in Dataverse", "opencloser"};
  app.set_version_flag("--version", "opencloser " + std::string(opencloser::product_version));
  app.require_subcommand(1);

  simulate_options sim;
  auto* simulate = app.add_subcommand(
      "simulate",
      "One session through the domain core against a local queue-item file (no Dataverse): "
      "eligibility, mock call, persona, redaction and the planned write-back");
  simulate->add_option("--queue-item", sim.queue_item, "queue-item JSON file (predecessor format)")
      ->required();
  simulate->add_option("--transport-fixture", sim.transport_fixture, "transport-event fixture")
      ->required();
  simulate->add_option("--conversation-fixture", sim.conversation_fixture, "conversation fixture");
  simulate->add_option("--config", sim.config, "Slice 1 config")->capture_default_str();
  simulate->add_option("--slice2-config", sim.slice2_config, "Slice 2 config")
      ->capture_default_str();
  simulate->add_option("--artifacts-dir", sim.artifacts_dir, "artifact root ([artifacts].dir)");
  simulate->add_flag("--dry-run", sim.dry_run, "mark the session as a dry run");

  emulator_command_options emu;
  auto& eo = emu.emulator;
  auto* emulator = app.add_subcommand(
      "emulator",
      "Serve the Dataverse Web API emulator in the foreground until Ctrl-C (cli.md §8)");
  emulator->add_option("--seed", eo.seeds, "seed file (repeatable; merged in order)")->required();
  emulator->add_option("--host", eo.host, "listen address")->capture_default_str();
  emulator->add_option("--port", eo.port, "listen port (0: ephemeral)")->capture_default_str();
  emulator->add_option("--dop-hint", eo.dop_hint, "x-ms-dop-hint value (default: seed, else 4)");
  emulator->add_option("--throttle-requests", eo.throttle_requests, "requests per window (0: off)");
  emulator->add_option("--throttle-window-s", eo.throttle_window_s, "throttling window in seconds");
  emulator->add_option("--throttle-concurrency", eo.throttle_concurrency,
                       "concurrent requests per client (0: off)");
  emulator->add_option("--throttle-exec-ms", eo.throttle_exec_ms,
                       "execution time per window in ms (0: off)");
  emulator->add_option("--retry-after-s", eo.retry_after_s, "fixed Retry-After on 429s");
  emulator->add_option("--latency-ms", eo.latency_ms, "latency added to every Web API request");
  emulator->add_option("--latency-jitter-ms", eo.latency_jitter_ms,
                       "random extra latency (0..N ms)");
  emulator->add_option("--fail-rate", eo.fail_rate, "probability of a random failure per request");
  emulator->add_option("--fail-status", eo.fail_status, "status of random failures")
      ->capture_default_str();
  emulator->add_option("--faults", emu.faults_file, "fault rules (JSON array)");
  emulator->add_option("--rng-seed", eo.rng_seed, "seed of ids, faults and jitter")
      ->capture_default_str();
  emulator->add_option("--request-log", emu.request_log, "append the request log as JSON lines");
  emulator->add_option("--state-dump", emu.state_dump, "write the state dump here at exit");
  emulator->add_option("--io-threads", eo.io_threads, "server threads")->capture_default_str();
  emulator->add_flag("--no-auth", eo.no_auth, "serve without bearer tokens");
  emulator->add_flag("--allow-remote", eo.allow_remote, "allow a non-loopback --host");

  init_state_options init;
  auto* init_state =
      app.add_subcommand("init-state", "Create or verify the SQLite state database (cli.md §9)");
  init_state->add_option("--config", init.config, "Slice 1 config")->capture_default_str();
  init_state->add_option("--slice2-config", init.slice2_config, "Slice 2 config")
      ->capture_default_str();
  init_state->add_option("--mapping", init.mapping, "mapping artifact (not used by init-state)");
  init_state->add_option("--artifacts-dir", init.artifacts_dir, "artifact root (not used)");
  init_state->add_option("--state-db", init.state_db, "SQLite file (default: [state].db)");
  init_state->add_option("--log-level", init.log_level, "trace|debug|info|warn|error|off");

  discover_options disc;
  auto* discover = app.add_subcommand(
      "discover-crm",
      "Verify the mapping scaffold against live metadata and write the discovered "
      "(unapproved) mapping artifact (cli.md §3)");
  discover->add_option("--out", disc.out, "where to write (default: the scaffold path)");
  discover->add_option("--config", disc.config, "Slice 1 config")->capture_default_str();
  discover->add_option("--slice2-config", disc.slice2_config, "Slice 2 config")
      ->capture_default_str();
  discover->add_option("--mapping", disc.mapping,
                       "mapping scaffold (default: [dataverse].mapping_artifact)");
  discover->add_option("--artifacts-dir", disc.artifacts_dir, "artifact root (not used)");
  discover->add_option("--state-db", disc.state_db, "SQLite file (not used)");
  discover->add_option("--emulator", disc.connection.emulator_seeds,
                       "start the embedded emulator with this seed and target it (repeatable)");
  discover->add_option("--emulator-dump", disc.connection.emulator_dump,
                       "with --emulator: write its state dump here at exit");
  discover->add_option("--log-level", disc.log_level, "trace|debug|info|warn|error|off");

  run_crm_options run;
  auto* run_crm = app.add_subcommand(
      "run-crm",
      "Process one queue row from Dataverse: load, eligibility, claim, mock call, persona, "
      "redaction and the write-back (dry-run unless --write), or resume a session (cli.md §4)");
  run_crm->add_flag("--write", run.write, "write-enabled mode (default: dry-run, nothing written)");
  run_crm->add_option("--queue-item-id", run.queue_item_id, "explicit queue row (GUID)");
  run_crm->add_flag("--next-ready", run.next_ready, "the next callable row of the campaign");
  run_crm->add_option("--campaign", run.campaign, "campaign for --next-ready ([run].campaign)");
  run_crm->add_option("--transport-fixture", run.transport_fixture, "transport-event fixture");
  run_crm->add_option("--conversation-fixture", run.conversation_fixture, "conversation fixture");
  run_crm->add_option("--resume", run.resume, "replay the missing write-back of SESSION_ID");
  run_crm->add_option("--report", run.report, "also write the run report here");
  run_crm->add_flag("--json", run.json, "print the run report JSON instead of labelled lines");
  run_crm->add_option("--config", run.common.config, "Slice 1 config")->capture_default_str();
  run_crm->add_option("--slice2-config", run.common.slice2_config, "Slice 2 config")
      ->capture_default_str();
  run_crm->add_option("--mapping", run.common.mapping,
                      "mapping artifact (default: [dataverse].mapping_artifact)");
  run_crm->add_option("--artifacts-dir", run.common.artifacts_dir,
                      "artifact root ([artifacts].dir)");
  run_crm->add_option("--state-db", run.common.state_db, "SQLite file ([state].db)");
  run_crm->add_option("--emulator", run.common.connection.emulator_seeds,
                      "start the embedded emulator with this seed and target it (repeatable)");
  run_crm->add_option("--emulator-dump", run.common.connection.emulator_dump,
                      "with --emulator: write its state dump here at exit");
  run_crm->add_option("--log-level", run.common.log_level, "trace|debug|info|warn|error|off");

  drain_options drain;
  drain.common.connection.middleman = true;
  auto* drain_cmd = app.add_subcommand(
      "drain",
      "Process every ready row of a campaign, N sessions at a time, with back-pressure and "
      "adaptive concurrency (cli.md §5)");
  drain_cmd->add_flag("--write", drain.write, "write-enabled mode (default: dry-run)");
  drain_cmd->add_option("--campaign", drain.campaign, "campaign ([run].campaign)");
  drain_cmd->add_option("--fixture-plan", drain.fixture_plan, "fixture plan (fixtures.md §4)");
  drain_cmd->add_option("--scenario-mix", drain.scenario_mix, "name=weight[,name=weight…]");
  drain_cmd->add_option("--fixtures-dir", drain.fixtures_dir, "root for plan-less scenario names")
      ->capture_default_str();
  drain_cmd->add_option("--mix-seed", drain.mix_seed, "assignment seed (plan seed)");
  drain_cmd->add_option("--concurrency", drain.concurrency, "initial session target");
  drain_cmd->add_option("--max-concurrency", drain.max_concurrency, "ceiling");
  drain_cmd->add_option("--page-size", drain.page_size, "odata.maxpagesize (1-5000)");
  drain_cmd->add_option("--limit", drain.limit, "consider only the first N rows (0: all)");
  drain_cmd->add_option("--listen", drain.listen,
                        "ctl endpoint HOST:PORT or none ([drain].listen)");
  drain_cmd->add_flag("--allow-remote", drain.allow_remote, "allow a non-loopback --listen");
  drain_cmd->add_option("--wait-workers", drain.wait_workers, "workers to wait for (none yet)");
  drain_cmd->add_flag("--no-progress", drain.no_progress, "no progress output");
  drain_cmd->add_option("--report", drain.report, "also write the drain report here");
  drain_cmd->add_flag("--json", drain.json, "print the drain report JSON");
  drain_cmd->add_flag("--resume-pending", drain.resume_pending,
                      "take over and resume every resume_needed or expired in_progress session");
  drain_cmd->add_option("--config", drain.common.config, "Slice 1 config")->capture_default_str();
  drain_cmd->add_option("--slice2-config", drain.common.slice2_config, "Slice 2 config")
      ->capture_default_str();
  drain_cmd->add_option("--mapping", drain.common.mapping, "mapping artifact");
  drain_cmd->add_option("--artifacts-dir", drain.common.artifacts_dir, "artifact root");
  drain_cmd->add_option("--state-db", drain.common.state_db, "SQLite file");
  drain_cmd->add_option("--emulator", drain.common.connection.emulator_seeds,
                        "start the embedded emulator with this seed and target it (repeatable)");
  drain_cmd->add_option("--emulator-dump", drain.common.connection.emulator_dump,
                        "with --emulator: write its state dump here at exit");
  drain_cmd->add_option("--log-level", drain.common.log_level, "trace|debug|info|warn|error|off");

  ctl_options ctl;
  auto* ctl_cmd = app.add_subcommand(
      "ctl",
      "Send one command to a running drain: status, pause, resume, set-concurrency N, "
      "enqueue GUID…, cancel (cli.md §6)");
  ctl_cmd->add_option("--connect", ctl.connect, "HOST:PORT of the drain");
  ctl_cmd->add_option("--slice2-config", ctl.slice2_config, "where [drain].listen is read")
      ->capture_default_str();
  ctl_cmd->add_option("command", ctl.command, "the command and its arguments")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;  // usage errors map to 2 (cli.md §1)
  }
  try {
    if (*simulate) return run_simulate(sim);
    if (*emulator) return run_emulator(std::move(emu));
    if (*init_state) return run_init_state(init);
    if (*discover) return run_discover(disc);
    if (*run_crm) return run_run_crm(run);
    if (*drain_cmd) return run_drain(drain);
    if (*ctl_cmd) return run_ctl(ctl);
  } catch (const std::exception& e) {
    error_line(e.what());
    return 2;
  }
  return 2;
}
