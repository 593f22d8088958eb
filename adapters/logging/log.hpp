#pragma once
// Logging (cli.md §1): spdlog to stderr, level from `--log-level` or `OPENCLOSER_LOG_LEVEL`
// (default `warn`). spdlog stays inside log.cpp. Callers pass text that is already
// secret-free: the gateway logs `<env>`-relative paths without query strings and never a
// header or a body (dataverse.md §8: one logging choke point).

#include <optional>
#include <string_view>

namespace opencloser {

enum class log_level { trace, debug, info, warn, error, off };

/// nullopt for anything but trace, debug, info, warn, error, off.
std::optional<log_level> parse_log_level(std::string_view text);
void set_log_level(log_level level);
bool log_enabled(log_level level);
void log_line(log_level level, std::string_view message);

}  // namespace opencloser
