// opencloser — the command-line front-end (cli.md). CLI11 lives in this TU only.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/output.hpp"
#include "cli/simulate_command.hpp"

namespace {

constexpr const char* version = "0.1.0";

}  // namespace

int main(int argc, char** argv) {
  using namespace opencloser::cli;
  CLI::App app{"opencloser: drains an outbound-calling queue held in Dataverse", "opencloser"};
  app.set_version_flag("--version", std::string("opencloser ") + version);
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
  } catch (const std::exception& e) {
    error_line(e.what());
    return 2;
  }
  return 2;
}
