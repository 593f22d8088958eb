#pragma once
// The test hook `OPENCLOSER_TEST_CRASH_AT=<point>[:<n>]` (cli.md §1): the process ends with
// `_exit(137)`, flushing nothing, the n-th time it reaches the point — what a kill -9 at that
// moment would leave behind, so that resume and lease takeover can be tested for real.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace opencloser {

class crash_hook {
 public:
  crash_hook() = default;
  /// Parses the variable's value; throws std::invalid_argument naming the valid points.
  static crash_hook parse(std::string_view value);

  bool armed() const { return !point_.empty(); }
  /// The one CLI notice (`warning:` line) an armed hook prints.
  std::string notice() const;
  /// Counts a pass through `point`; on the n-th, `_exit(137)`.
  void reach(std::string_view point);

 private:
  std::string point_;
  std::int64_t nth_ = 1;
  std::int64_t seen_ = 0;
};

}  // namespace opencloser
