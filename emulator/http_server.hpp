#pragma once
// The emulator's HTTP/1.1 server on Boost.Beast: keep-alive, any number of concurrent
// connections, pipelined requests answered in order (one request at a time per connection).
// It turns bytes into http_request values, walks each through emulator_core's three steps,
// and does the waiting (latency, barriers) and dropping (reset, lost response) they ask for.
// Beast and Asio stay inside http_server.cpp.

#include <cstdint>
#include <memory>

#include "emulator/emulator_core.hpp"

namespace opencloser::emulator {

class http_server {
 public:
  http_server(emulator_core& core, const emulator_options& options);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds, listens and starts the io threads; returns the bound port. Throws
  /// std::runtime_error when the address cannot be bound or is not allowed.
  std::uint16_t start();
  /// Stops accepting, closes every connection and joins the io threads. Idempotent.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace opencloser::emulator
