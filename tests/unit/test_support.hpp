#pragma once
// Shared helpers of the unit tests: fixture paths and deterministic ids.

#include <filesystem>
#include <string>
#include <string_view>

namespace opencloser::testing {

inline std::filesystem::path fixture(std::string_view relative) {
  return std::filesystem::path(OPENCLOSER_TEST_FIXTURES) / std::string(relative);
}

/// `<prefix>_<counter as 32 hex digits>`: unique, stable across runs.
class counting_ids {
 public:
  std::string operator()(std::string_view prefix) {
    std::string digits = std::to_string(++next_);
    return std::string(prefix) + '_' + std::string(32 - digits.size(), '0') + digits;
  }

 private:
  unsigned long next_ = 0;
};

}  // namespace opencloser::testing
