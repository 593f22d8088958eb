#pragma once
// The raw-HTTP limit (cli.md §10 cell c): a minimal keep-alive client replaying a recorded
// request sequence over N connections, with nothing between the requests but the socket. The
// interface is plain C++; Boost.Beast stays inside raw_replay.cpp.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace opencloser::bench {

struct replay_request {
  std::string method;
  std::string target;  ///< origin-form: /api/data/v9.2/…?…, already percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;  ///< no Host/Authorization/length
  std::string body;
  /// Index of an earlier request that must be answered before this one is sent (-1: none):
  /// a PATCH of a record waits for the POST that created it, as it did in its session.
  std::int64_t after = -1;
};

struct replay_result {
  std::int64_t requests = 0;  ///< answered
  std::int64_t transport_failures = 0;
  double seconds = 0;  ///< monotonic, first connect to last answer
  double requests_per_second = 0;
  std::map<int, std::int64_t> statuses;
};

/// Sends `requests` in order over `connections` keep-alive connections (each takes the next
/// unsent one when its previous answer is in, and holds it until its `after` is answered),
/// with `Authorization: Bearer <token>`.
replay_result replay(const std::string& host, std::uint16_t port, const std::string& token,
                     const std::vector<replay_request>& requests, int connections);

struct simple_response {
  int status = 0;
  std::string body;
  /// Index of an earlier request that must be answered before this one is sent (-1: none):
  /// a PATCH of a record waits for the POST that created it, as it did in its session.
  std::int64_t after = -1;
};

/// One request on a fresh connection (set-up only: the token, the admin API). Throws on a
/// transport error.
simple_response fetch(const std::string& host, std::uint16_t port, const std::string& method,
                      const std::string& target,
                      const std::vector<std::pair<std::string, std::string>>& headers = {},
                      const std::string& body = {});

}  // namespace opencloser::bench
