#pragma once
// The emulator's request log (emulator.md §7): every token and Web API request with its
// outcome, kept in memory for GET /_emulator/requests and optionally appended as JSON lines
// to a file. Entries are rendered to JSON only when read.

#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>

#include "adapters/json/json.hpp"
#include "emulator/http_types.hpp"

namespace opencloser::emulator {

struct log_entry {
  std::uint64_t seq = 0;
  std::string at;  ///< UtcMs when the request arrived
  std::string client_id;
  std::string method;
  std::string path;     ///< decoded, after /api/data/v9.2/ ("token" for the token endpoint)
  std::string query;    ///< decoded
  header_list headers;  ///< Authorization already redacted
  std::optional<std::string> body;  ///< raw text; nullopt when not logged (token forms)
  int status = 0;                   ///< 0: no response was sent (reset, lost response)
  std::optional<std::string> fault;
  bool committed = false;
  std::int64_t duration_ms = 0;
  std::optional<std::uint64_t> batch_seq;
  std::optional<std::uint64_t> inner_index;
};

/// The entry as the admin API and the JSON-lines file show it; `body` parsed when it is JSON.
json::value log_entry_json(const log_entry& entry);

/// Headers as logged: `Authorization` becomes `Bearer <redacted>`.
header_list redact_headers(const header_list& headers);

/// Not thread-safe: the emulator serialises access.
class request_log {
 public:
  request_log(std::size_t capacity, std::optional<std::filesystem::path> file);
  ~request_log();
  request_log(const request_log&) = delete;
  request_log& operator=(const request_log&) = delete;

  /// Reserves the next sequence number (entries are appended with the one they reserved).
  std::uint64_t next_seq() { return ++last_seq_; }
  void append(log_entry entry);
  /// Entries with seq > `since`, oldest first.
  json::value since(std::uint64_t since) const;
  void clear();
  void flush();

 private:
  std::size_t capacity_;
  std::deque<log_entry> entries_;
  std::uint64_t last_seq_ = 0;
  std::FILE* file_ = nullptr;
};

}  // namespace opencloser::emulator
