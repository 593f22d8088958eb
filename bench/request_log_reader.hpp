#pragma once
// Turns the emulator's request log (JSON lines, emulator.md §7) of a write drain into the
// request sequence the raw-HTTP replay sends (cli.md §10 cell c).

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bench/raw_replay.hpp"

namespace opencloser::bench {

struct recorded_sequence {
  std::vector<replay_request> requests;   ///< top-level Web API requests in `seq` order
  std::int64_t token_requests = 0;        ///< left out: the replay fetches one token up front
  std::int64_t batch_operations = 0;      ///< left out: their `$batch` request carries them
  std::int64_t ordered_after_create = 0;  ///< requests held until their record's POST answered
  std::map<int, std::int64_t> recorded_statuses;  ///< of the requests kept
};

struct replay_rewrite {
  std::string new_origin;  ///< `http://host:port` of the reseeded emulator
  /// A version ETag (`If-Match: W/"n"`) becomes `*`: the N connections interleave the
  /// sessions differently from the drain, so the global version counter hands out other
  /// numbers; with `*` every recorded write still commits, as it did in the drain.
  bool if_match_any = true;
};

recorded_sequence read_request_log(const std::filesystem::path& log, const replay_rewrite& rewrite);

}  // namespace opencloser::bench
