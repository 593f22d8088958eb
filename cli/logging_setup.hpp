#pragma once
// `--log-level` > `OPENCLOSER_LOG_LEVEL` > `warn` (cli.md §1).

#include <stdexcept>
#include <string>

#include "adapters/config/config_loader.hpp"
#include "adapters/logging/log.hpp"

namespace opencloser::cli {

/// Throws std::invalid_argument naming the bad value.
inline void configure_logging(const std::string& flag) {
  std::string text = flag;
  if (text.empty()) text = process_env("OPENCLOSER_LOG_LEVEL").value_or("warn");
  const auto level = parse_log_level(text);
  if (!level)
    throw std::invalid_argument("log level '" + text +
                                "' is not one of trace, debug, info, warn, error, off");
  set_log_level(*level);
}

}  // namespace opencloser::cli
