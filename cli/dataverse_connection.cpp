#include "cli/dataverse_connection.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include <fstream>

#include "actors/common/version.hpp"
#include "actors/dataverse_gateway/dataverse_gateway_actor.hpp"
#include "adapters/config/config_loader.hpp"
#include "adapters/http/http_client.hpp"
#include "adapters/oauth/token_provider.hpp"
#include "cli/output.hpp"
#include "emulator/dataverse_emulator.hpp"
#include "messages/type_registry.hpp"

namespace opencloser::cli {

namespace {

/// The four secrets from the environment (empty = missing), in the order messages name them.
oauth_credentials credentials_from_environment(const settings& config) {
  static const char* names[] = {"DATAVERSE_TENANT_ID", "DATAVERSE_CLIENT_ID",
                                "DATAVERSE_CLIENT_SECRET", "DATAVERSE_ENV_URL"};
  std::string values[4];
  std::string missing;
  for (int i = 0; i < 4; ++i) {
    values[i] = process_env(names[i]).value_or("");
    if (values[i].empty()) missing += (missing.empty() ? "" : ", ") + std::string(names[i]);
  }
  if (!missing.empty())
    throw connection_error("missing required Dataverse secret environment variable(s): " + missing);
  auto env_url = values[3];
  while (!env_url.empty() && env_url.back() == '/') env_url.pop_back();
  return {values[0], values[1], values[2], env_url, config.authority_host};
}

}  // namespace

struct dataverse_connection::impl {
  std::unique_ptr<emulator::dataverse_emulator> emu;
  std::string emulator_dump;
  std::unique_ptr<http_client> http;
  std::unique_ptr<token_provider> tokens;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  dataverse_gateway_actor gateway;
  std::string env_url;
};

dataverse_connection::dataverse_connection(const settings& config, const connection_options& o)
    : impl_(std::make_unique<impl>()) {
  auto& i = *impl_;
  oauth_credentials credentials;
  if (!o.emulator_seeds.empty()) {
    i.emu = std::make_unique<emulator::dataverse_emulator>();
    emulator::emulator_options options;
    for (const auto& seed : o.emulator_seeds) options.seeds.emplace_back(seed);
    try {
      i.emu->start(options);
    } catch (const std::exception& e) {
      throw connection_error(e.what());
    }
    std::string seeds;
    for (const auto& seed : o.emulator_seeds) seeds += (seeds.empty() ? "" : ", ") + seed;
    warning_line("using the embedded Dataverse emulator (" + seeds +
                 "); no real organisation is contacted");
    const auto& seed = i.emu->seed();
    credentials = {seed.tenant_id, seed.clients.front().client_id,
                   seed.clients.front().client_secret, i.emu->origin(), i.emu->origin()};
    i.emulator_dump = o.emulator_dump;
  } else {
    credentials = credentials_from_environment(config);
  }
  i.env_url = credentials.env_url;
  const auto timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(config.http.timeout_seconds * 1000));
  http_client_options http_options;
  http_options.max_in_flight = static_cast<std::size_t>(config.http.max_in_flight);
  i.http = std::make_unique<http_client>(http_options);
  token_provider_options token_options;
  token_options.timeout = timeout;
  token_options.user_agent = "opencloser/" + std::string(product_version);
  i.tokens = std::make_unique<token_provider>(*i.http, std::move(credentials), token_options);
  register_message_types(i.cfg);
  if (o.middleman) {
    i.cfg.load<caf::io::middleman>();
    // The typed handle ctl obtains with remote_actor (cli.md §6.1).
    i.cfg.add_message_type<drain_front_actor>("drain_front");
  }
  i.cfg.set("scheduler.max-threads", 2);
  i.sys = std::make_unique<caf::actor_system>(i.cfg);
  i.gateway =
      i.sys->spawn(dataverse_gateway,
                   dataverse_gateway_config{i.http.get(), i.tokens.get(), i.env_url, config.retry,
                                            timeout, config.drain.max_requests_per_second});
}

dataverse_connection::~dataverse_connection() {
  auto& i = *impl_;
  caf::anon_send_exit(i.gateway, caf::exit_reason::user_shutdown);
  i.gateway = nullptr;
  i.sys.reset();  // waits for every actor before the HTTP client goes
  i.tokens.reset();
  i.http.reset();
  if (i.emu) {
    i.emu->stop();
    if (!i.emulator_dump.empty()) {
      std::ofstream out(i.emulator_dump, std::ios::binary | std::ios::trunc);
      out << json::write_artifact(i.emu->state());
      if (!out) warning_line("cannot write the emulator dump to '" + i.emulator_dump + "'");
    }
  }
}

caf::actor_system& dataverse_connection::system() {
  return *impl_->sys;
}
dataverse_gateway_actor dataverse_connection::gateway() const {
  return impl_->gateway;
}
const std::string& dataverse_connection::env_url() const {
  return impl_->env_url;
}
bool dataverse_connection::emulated() const {
  return impl_->emu != nullptr;
}

dataverse_reply dataverse_connection::call(dataverse_call call) {
  caf::scoped_actor self{*impl_->sys};
  dataverse_reply reply;
  self->request(impl_->gateway, caf::infinite, std::move(call))
      .receive([&](dataverse_reply& r) { reply = std::move(r); },
               [&](caf::error& e) {
                 reply.outcome = dataverse_outcome::permanent;
                 reply.message = "Dataverse gateway failure: " + impl_->sys->render(e);
               });
  return reply;
}

}  // namespace opencloser::cli
