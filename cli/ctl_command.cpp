#include "cli/ctl_command.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "actors/actors.hpp"
#include "actors/common/ids.hpp"
#include "actors/common/version.hpp"
#include "adapters/config/config_loader.hpp"
#include "cli/drain_control.hpp"
#include "cli/output.hpp"
#include "cli/run_setup.hpp"
#include "messages/type_registry.hpp"

namespace opencloser::cli {

namespace {

/// `--connect`, else OPENCLOSER_DRAIN_LISTEN, else `[drain].listen` of --slice2-config (skipped
/// when the file is absent), else 127.0.0.1:4242.
std::string endpoint(const ctl_options& o) {
  if (!o.connect.empty()) return o.connect;
  if (auto env = process_env("OPENCLOSER_DRAIN_LISTEN"); env && !env->empty()) return *env;
  if (std::filesystem::exists(o.slice2_config)) {
    try {
      const auto config = load_settings("config/slice1.toml", o.slice2_config, process_env);
      if (config.drain.listen != "none") return config.drain.listen;
    } catch (const std::exception&) {
      // A slice2 file ctl cannot read says nothing about the drain's address.
    }
  }
  return "127.0.0.1:4242";
}

/// Client-side checks: a malformed command never reaches the drain (exit 2).
void check_command(const std::vector<std::string>& c) {
  if (c.empty())
    throw usage_error(
        "ctl needs a command: status, pause, resume, set-concurrency N, "
        "enqueue GUID…, cancel");
  const auto& name = c[0];
  const auto args = c.size() - 1;
  if ((name == "status" || name == "pause" || name == "resume" || name == "cancel") && args == 0)
    return;
  if (name == "set-concurrency" && args == 1) {
    std::int64_t n = 0;
    try {
      std::size_t used = 0;
      n = std::stoll(c[1], &used);
      if (used != c[1].size()) n = 0;
    } catch (const std::exception&) {
      n = 0;
    }
    if (n >= 1 && n <= 1024) return;
    throw usage_error("set-concurrency '" + c[1] + "' is not a number 1-1024");
  }
  if (name == "enqueue" && args >= 1) {
    for (std::size_t i = 1; i < c.size(); ++i)
      if (!is_guid(c[i]))
        throw usage_error("enqueue '" + c[i] +
                          "' is not a valid Dataverse GUID (expected 8-4-4-4-12 hex digits)");
    return;
  }
  throw usage_error("unknown or malformed ctl command '" + name + "'");
}

}  // namespace

int run_ctl(const ctl_options& o) {
  try {
    check_command(o.command);
    const auto target = endpoint(o);
    const auto [host, port] = host_port(target, "--connect");
    caf::actor_system_config cfg;
    register_message_types(cfg);
    cfg.add_message_type<drain_front_actor>("drain_front");
    cfg.load<caf::io::middleman>();
    cfg.set("scheduler.max-threads", 1);
    caf::actor_system sys{cfg};
    auto front = sys.middleman().remote_actor<drain_front_actor>(host, port);
    if (!front) {
      error_line("cannot reach a drain at " + target + ": " + sys.render(front.error()));
      return 2;
    }
    ctl_request req{std::string(product_version),
                    process_env("OPENCLOSER_DRAIN_TOKEN").value_or(""), o.command[0],
                    std::vector<std::string>(o.command.begin() + 1, o.command.end())};
    int code = 2;
    caf::scoped_actor self{sys};
    self->request(*front, std::chrono::seconds(5), std::move(req))
        .receive(
            [&](ctl_reply& reply) {
              if (reply.code == 0) {
                std::cout << reply.body << '\n';
                code = 0;
              } else {
                error_line(reply.body);
                code = 1;
              }
            },
            [&](caf::error& e) {
              error_line("no answer from the drain at " + target + ": " + sys.render(e));
              code = 2;
            });
    return code;
  } catch (const std::exception& e) {
    error_line(e.what());
    return 2;
  }
}

}  // namespace opencloser::cli
