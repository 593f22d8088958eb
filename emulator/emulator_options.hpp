#pragma once
// How an emulator instance is configured: the flags of `opencloser emulator` (cli.md §8.1)
// and the C++ API's `start(options)` take the same struct.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "adapters/json/json.hpp"

namespace opencloser::emulator {

struct emulator_options {
  std::vector<std::filesystem::path> seeds;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: an ephemeral port
  bool allow_remote = false;
  bool no_auth = false;
  std::optional<std::int64_t> dop_hint;  ///< overrides the seed's
  // Throttling overrides (the seed's `throttling` otherwise); 0 switches a limit off.
  std::optional<std::int64_t> throttle_requests, throttle_window_s, throttle_concurrency,
      throttle_exec_ms;
  std::optional<std::int64_t> retry_after_s;  ///< a fixed Retry-After on request-count 429s
  std::int64_t latency_ms = 0;
  std::int64_t latency_jitter_ms = 0;
  double fail_rate = 0;
  int fail_status = 503;
  std::optional<std::filesystem::path> faults_file;
  std::optional<json::value> faults;  ///< rules given in C++ (tests)
  std::uint64_t rng_seed = 0;
  std::optional<std::filesystem::path> request_log;  ///< JSON lines, appended
  /// Entries kept in memory for GET /_emulator/requests; the oldest go first beyond this.
  std::size_t request_log_capacity = 2'000'000;
  std::size_t max_body_bytes = 16 * 1024 * 1024;  ///< larger request bodies get a 400
  int io_threads = 1;
};

}  // namespace opencloser::emulator
