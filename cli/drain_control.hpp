#pragma once
// The drain's control endpoint (cli.md §6): the drain front actor published at `--listen`
// through CAF's middleman, and the checks on the listen address.

#include <string>

#include "actors/actors.hpp"

namespace caf {
class actor_system;
}

namespace opencloser::cli {

/// `HOST:PORT` as given, or "" for `none`. A non-loopback host needs `--allow-remote` and a
/// non-empty OPENCLOSER_DRAIN_TOKEN; anything else unusable is a usage_error (exit 2).
std::string check_listen(const std::string& listen, bool allow_remote);

/// Splits `HOST:PORT`; throws usage_error naming `what` when it is not one.
std::pair<std::string, std::uint16_t> host_port(const std::string& text, const std::string& what);

class drain_control {
 public:
  drain_control(caf::actor_system& sys, drain_coordinator_actor drain, bool resume_pending);
  ~drain_control();
  /// Publishes the front at `listen` and prints `listening: <host>:<port>` on stderr.
  void publish(const std::string& listen);
  /// Stops answering (the drain is over).
  void finish();

 private:
  caf::actor_system& sys_;
  drain_front_actor front_;
  std::uint16_t port_ = 0;
};

}  // namespace opencloser::cli
