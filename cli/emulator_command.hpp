#pragma once
// `opencloser emulator` (cli.md §8.1): the Dataverse Web API emulator in the foreground until
// SIGINT/SIGTERM, then the state dump (--state-dump) and exit 0.

#include <string>

#include "emulator/emulator_options.hpp"

namespace opencloser::cli {

struct emulator_command_options {
  emulator::emulator_options emulator;
  std::string faults_file;
  std::string request_log;
  std::string state_dump;
};

/// Returns the exit code: 0 after a clean stop, 2 for a bad seed, faults file or address.
int run_emulator(emulator_command_options options);

}  // namespace opencloser::cli
