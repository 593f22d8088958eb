#include "adapters/logging/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>

namespace opencloser {

namespace {

spdlog::logger& logger() {
  static auto instance = [] {
    auto l = spdlog::stderr_logger_mt("opencloser");
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    l->set_level(spdlog::level::warn);
    return l;
  }();
  return *instance;
}

spdlog::level::level_enum to_spdlog(log_level level) {
  switch (level) {
    case log_level::trace:
      return spdlog::level::trace;
    case log_level::debug:
      return spdlog::level::debug;
    case log_level::info:
      return spdlog::level::info;
    case log_level::warn:
      return spdlog::level::warn;
    case log_level::error:
      return spdlog::level::err;
    case log_level::off:
      return spdlog::level::off;
  }
  return spdlog::level::warn;
}

}  // namespace

std::optional<log_level> parse_log_level(std::string_view text) {
  static constexpr std::array<std::string_view, 6> names{"trace", "debug", "info",
                                                         "warn",  "error", "off"};
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return static_cast<log_level>(i);
  return std::nullopt;
}

void set_log_level(log_level level) {
  logger().set_level(to_spdlog(level));
}

bool log_enabled(log_level level) {
  return logger().should_log(to_spdlog(level));
}

void log_line(log_level level, std::string_view message) {
  logger().log(to_spdlog(level), "{}", message);
}

}  // namespace opencloser
