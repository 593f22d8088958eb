#include "adapters/process/interrupts.hpp"

#include <signal.h>
#include <unistd.h>

namespace opencloser {

namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_signal(int) {
  // Only async-signal-safe work here: a lock-free flag, or _exit on the second signal.
  if (interrupted.exchange(true)) ::_exit(130);
}

}  // namespace

const std::atomic<bool>& install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return interrupted;
}

}  // namespace opencloser
