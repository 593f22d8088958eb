#include "cli/emulator_command.hpp"

#include <csignal>
#include <fstream>
#include <iostream>

#include "cli/output.hpp"
#include "emulator/dataverse_emulator.hpp"

namespace opencloser::cli {

namespace {

/// Blocks SIGINT/SIGTERM in this thread (and so in the io threads started after it); the
/// main thread then waits for them with sigwait instead of an async handler.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

int run_emulator(emulator_command_options options) {
  if (!options.faults_file.empty()) options.emulator.faults_file = options.faults_file;
  if (!options.request_log.empty()) options.emulator.request_log = options.request_log;
  const auto signals = block_stop_signals();
  emulator::dataverse_emulator emu;
  try {
    emu.start(options.emulator);
  } catch (const std::exception& e) {
    error_line(e.what());
    return 2;
  }
  const auto origin = emu.origin();
  const auto& seed = emu.seed();
  labelled("listening", origin);
  std::cout << "DATAVERSE_ENV_URL=" << origin << '\n'
            << "OPENCLOSER_DATAVERSE_AUTHORITY_HOST=" << origin << '\n'
            << "DATAVERSE_TENANT_ID=" << seed.tenant_id << '\n'
            << "DATAVERSE_CLIENT_ID=" << seed.clients.front().client_id << std::endl;
  int signal = 0;
  sigwait(&signals, &signal);
  emu.stop();
  if (!options.state_dump.empty()) {
    std::ofstream out(options.state_dump, std::ios::binary | std::ios::trunc);
    out << json::write_artifact(emu.state());
    if (!out) {
      error_line("cannot write the state dump to '" + options.state_dump + "'");
      return 2;
    }
  }
  return 0;
}

}  // namespace opencloser::cli
