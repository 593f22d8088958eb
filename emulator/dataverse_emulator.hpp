#pragma once
// The emulator's C++ API (emulator.md §7): one object = one emulator on one loopback port,
// with its own io threads. Used embedded by `--emulator`, the demo and the tests, and by the
// stand-alone `opencloser emulator` command. Every method is thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/json/json.hpp"
#include "emulator/emulator_options.hpp"
#include "emulator/seed.hpp"

namespace opencloser::emulator {

class emulator_core;
class http_server;

class dataverse_emulator {
 public:
  dataverse_emulator();
  ~dataverse_emulator();
  dataverse_emulator(const dataverse_emulator&) = delete;
  dataverse_emulator& operator=(const dataverse_emulator&) = delete;

  /// Loads the seeds and faults, binds and serves; returns the port. Throws seed_error,
  /// fault_error or std::runtime_error (bad address, port taken, unreadable file).
  std::uint16_t start(emulator_options options);
  /// Stops serving (idempotent); the state stays readable.
  void stop();

  std::uint16_t port() const { return port_; }
  /// `http://<host>:<port>` — DATAVERSE_ENV_URL and the OAuth authority host.
  std::string origin() const;
  /// The seed's tenant and first client (the credentials `--emulator` runs use).
  const seed_data& seed() const;

  std::vector<std::string> add_fault(const json::value& rules);
  void clear_faults();
  json::value faults() const;
  json::value requests(std::uint64_t since = 0) const;
  json::value state() const;
  json::value insert_row(std::string_view table, const json::value& values);
  json::value edit_row(std::string_view table, std::string_view id, const json::value& changes);
  bool delete_row(std::string_view table, std::string_view id);
  void expire_tokens();
  void configure(const json::value& config);
  void reset();

 private:
  emulator_core& core() const;

  std::unique_ptr<emulator_core> core_;
  std::unique_ptr<http_server> server_;
  std::uint16_t port_ = 0;
};

}  // namespace opencloser::emulator
