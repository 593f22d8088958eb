#pragma once
// SIGINT/SIGTERM for the run commands (cli.md §1): the first signal asks the run to stop at the
// next safe point (the request in flight finishes, the journal and the run report are
// written); a second one ends the process at once with exit code 130.

#include <atomic>

namespace opencloser {

/// Installs the handlers (idempotent) and returns the flag the first signal sets.
const std::atomic<bool>& install_interrupt_handlers();

}  // namespace opencloser
