#pragma once
// `opencloser ctl` (cli.md §6): one typed message to a running drain over CAF's middleman.

#include <string>
#include <vector>

namespace opencloser::cli {

struct ctl_options {
  std::string
      connect;  ///< HOST:PORT; default: OPENCLOSER_DRAIN_LISTEN, [drain].listen, 127.0.0.1:4242
  std::string slice2_config = "config/slice2.toml";
  std::vector<std::string> command;  ///< the command and its arguments
};

int run_ctl(const ctl_options& options);

}  // namespace opencloser::cli
