#include "cli/drain_control.hpp"

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/send.hpp>

#include <iostream>

#include "actors/drain/drain_front_actor.hpp"
#include "adapters/config/config_loader.hpp"
#include "cli/run_setup.hpp"

namespace opencloser::cli {

namespace {

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]" ||
         host.rfind("127.", 0) == 0;
}

}  // namespace

std::pair<std::string, std::uint16_t> host_port(const std::string& text, const std::string& what) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw usage_error(what + " '" + text + "' is not HOST:PORT");
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) throw usage_error(what + " '" + text + "' has no valid port");
  return {host, static_cast<std::uint16_t>(port)};
}

std::string check_listen(const std::string& listen, bool allow_remote) {
  if (listen == "none") return {};
  const auto [host, port] = host_port(listen, "--listen");
  if (!loopback(host)) {
    if (!allow_remote)
      throw usage_error("--listen " + listen + " is not a loopback address; pass --allow-remote");
    if (process_env("OPENCLOSER_DRAIN_TOKEN").value_or("").empty())
      throw usage_error("--listen " + listen +
                        " is not a loopback address; it needs OPENCLOSER_DRAIN_TOKEN");
  }
  return listen;
}

drain_control::drain_control(caf::actor_system& sys, drain_coordinator_actor drain,
                             bool resume_pending)
    : sys_(sys) {
  front_ =
      sys.spawn(drain_front, drain_front_config{std::move(drain),
                                                process_env("OPENCLOSER_DRAIN_TOKEN").value_or(""),
                                                resume_pending});
}

drain_control::~drain_control() {
  finish();
}

void drain_control::publish(const std::string& listen) {
  const auto [host, port] = host_port(listen, "--listen");
  auto bound = sys_.middleman().publish(front_, port, host.c_str(), true);
  if (!bound) throw usage_error("cannot listen on " + listen + ": " + sys_.render(bound.error()));
  port_ = *bound;
  std::cerr << "listening: " << host << ":" << port_ << std::endl;
}

void drain_control::finish() {
  if (!front_) return;
  if (port_ != 0) (void)sys_.middleman().unpublish(front_, port_);
  caf::anon_send_exit(front_, caf::exit_reason::user_shutdown);
  front_ = nullptr;
}

}  // namespace opencloser::cli
