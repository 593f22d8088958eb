#pragma once
// `opencloser emulator` as a separate process (cli.md §8.1): started on an ephemeral port, its
// printed `listening:` and environment lines read back, stopped with SIGTERM.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "bench/child_process.hpp"

namespace opencloser::bench {

struct emulator_launch {
  std::filesystem::path opencloser;
  std::filesystem::path seed;
  std::filesystem::path dir;      ///< stdout/stderr (and the request log, if any) go here
  std::string name = "emulator";  ///< stem of its stdout/stderr files, unique within `dir`
  std::int64_t dop_hint = 1024;
  /// Request budget per window; 0 = off. The concurrency and execution-time limits are off:
  /// a cell tests one limit at a time.
  std::int64_t throttle_requests = 0;
  std::int64_t throttle_window_s = 300;
  std::optional<std::filesystem::path> request_log;
};

class emulator_process {
 public:
  /// Starts the emulator and waits (≤ 120 s: a 100k-row seed takes a while to generate) for
  /// its environment lines; throws with its stderr when it exits or does not answer.
  explicit emulator_process(const emulator_launch& launch);
  ~emulator_process();

  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }
  const std::string& origin() const { return origin_; }
  /// DATAVERSE_ENV_URL, OPENCLOSER_DATAVERSE_AUTHORITY_HOST, DATAVERSE_TENANT_ID,
  /// DATAVERSE_CLIENT_ID as printed.
  const std::map<std::string, std::string>& env() const { return env_; }
  /// SIGTERM, then reaps it (the request log is flushed and closed at exit).
  child_usage stop();

 private:
  std::unique_ptr<child_process> child_;
  std::string host_;
  std::uint16_t port_ = 0;
  std::string origin_;
  std::map<std::string, std::string> env_;
};

}  // namespace opencloser::bench
