#pragma once
// The wire protocol between `opencloser ctl` and a running drain (cli.md §6.1). Both sides
// register these types under these names, so the processes agree on them over the middleman.

#include <cstdint>
#include <string>
#include <vector>

namespace opencloser {

struct ctl_request {
  std::string version;  ///< the product version; another one is refused
  std::string token;    ///< OPENCLOSER_DRAIN_TOKEN of the ctl process ("" when unset)
  std::string command;  ///< status | pause | resume | set-concurrency | enqueue | cancel
  std::vector<std::string> args;
  bool operator==(const ctl_request&) const = default;
};

struct ctl_reply {
  std::int32_t code = 0;  ///< 0 done, 1 refused
  std::string body;       ///< exactly what ctl prints (on 1, the `error:` message)
  bool operator==(const ctl_reply&) const = default;
};

}  // namespace opencloser
