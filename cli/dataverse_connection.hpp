#pragma once
// Everything a command needs to talk to Dataverse, set up in one place: the credentials (the
// four environment variables, or the embedded emulator with `--emulator SEED`), the HTTP
// client, the token provider, the actor system and the Dataverse gateway actor. Used by
// discover-crm now and by run-crm and drain.

#include <memory>
#include <string>
#include <vector>

#include "actors/actors.hpp"
#include "messages/settings.hpp"

namespace caf {
class actor_system;
}

namespace opencloser::cli {

struct connection_options {
  std::vector<std::string> emulator_seeds;  ///< `--emulator SEED` (repeatable)
  std::string emulator_dump;                ///< `--emulator-dump PATH`
  bool middleman = false;                   ///< load CAF's middleman (drain: ctl endpoint)
};

/// A failure that ends the command with exit 2 and `error:` + this message.
struct connection_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class dataverse_connection {
 public:
  /// Throws connection_error (missing secrets, a bad seed, an unusable env URL).
  dataverse_connection(const settings& config, const connection_options& options);
  /// Stops the actors, then the HTTP client, then writes `--emulator-dump`.
  ~dataverse_connection();
  dataverse_connection(const dataverse_connection&) = delete;
  dataverse_connection& operator=(const dataverse_connection&) = delete;

  caf::actor_system& system();
  dataverse_gateway_actor gateway() const;
  const std::string& env_url() const;
  bool emulated() const;

  /// Sends one call through the gateway and waits for the reply (for sequential commands).
  dataverse_reply call(dataverse_call call);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace opencloser::cli
