#pragma once
// The harness the actor tests share: the emulator on a loopback port (demo seed), the product's
// HTTP client and token provider pointed at it, an actor system with the message types
// registered, and the Dataverse gateway. `ask` sends one request and waits for its answer.

#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "actors/dataverse_gateway/dataverse_gateway_actor.hpp"
#include "adapters/dataverse/resolved_mapping.hpp"
#include "adapters/http/http_client.hpp"
#include "adapters/mapping/mapping_artifact.hpp"
#include "adapters/oauth/token_provider.hpp"
#include "emulator/dataverse_emulator.hpp"
#include "messages/type_registry.hpp"

namespace opencloser::testing {

inline std::string fixture_path(const std::string& relative) {
  return std::string(OPENCLOSER_TEST_FIXTURES) + "/" + relative;
}

/// The acme mapping resolved as the builders use it (`drop_option` removes a status option).
inline dataverse::resolved_mapping acme_mapping(const std::string& drop_option = {}) {
  auto artifact = load_mapping_artifact(fixture_path("emulator/acme_mapping.json"));
  std::erase_if(artifact.option_sets, [&](const auto& o) { return o.key == drop_option; });
  auto mapping = dataverse::resolve_from_artifact(artifact, true);
  mapping.name_table_primary_name = "name";  // the live PrimaryNameAttribute of account
  return mapping;
}

struct emulated_dataverse {
  emulator::dataverse_emulator emu;
  std::unique_ptr<http_client> http;
  std::unique_ptr<token_provider> tokens;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  dataverse_gateway_actor gateway;

  /// Retries wait `backoff_seconds` (small, so tests stay quick; nothing asserts time).
  explicit emulated_dataverse(double backoff_seconds = 0.05) {
    emulator::emulator_options options;
    options.seeds = {fixture_path("emulator/demo_seed.json")};
    emu.start(options);
    http = std::make_unique<http_client>();
    const auto& seed = emu.seed();
    tokens = std::make_unique<token_provider>(
        *http, oauth_credentials{seed.tenant_id, seed.clients.front().client_id,
                                 seed.clients.front().client_secret, emu.origin(), emu.origin()});
    register_message_types(cfg);
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    retry_settings retry;
    retry.backoff_seconds = {backoff_seconds};
    gateway = sys->spawn(dataverse_gateway,
                         dataverse_gateway_config{http.get(), tokens.get(), emu.origin(), retry,
                                                  std::chrono::milliseconds(10'000)});
  }
  /// Every actor spawned in `sys` must have been told to exit by the owner's destructor.
  ~emulated_dataverse() {
    caf::anon_send_exit(gateway, caf::exit_reason::user_shutdown);
    sys.reset();  // waits for the actors before the HTTP client goes
    tokens.reset();
    http.reset();
  }

  /// One request to `actor`, waited for; the test fails on an error answer.
  template <class Reply, class Handle, class... Ts>
  Reply ask(const Handle& actor, Ts&&... xs) {
    caf::scoped_actor self{*sys};
    Reply reply;
    self->request(actor, caf::infinite, std::forward<Ts>(xs)...)
        .receive([&](Reply& r) { reply = std::move(r); },
                 [&](caf::error& e) { FAIL(sys->render(e)); });
    return reply;
  }

  /// Stops an actor the test spawned and waits until it is gone.
  template <class Handle>
  void stop(const Handle& actor) {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    caf::scoped_actor self{*sys};
    self->wait_for(actor);
  }

  std::int64_t writes() const { return emu.state().find("counters")->find("writes")->as_int(); }
};

}  // namespace opencloser::testing
