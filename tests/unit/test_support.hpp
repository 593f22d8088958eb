#pragma once
// Shared helpers of the unit tests: fixture paths and deterministic ids.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

#include "actors/common/ids.hpp"

namespace opencloser::testing {

inline std::filesystem::path fixture(std::string_view relative) {
  return std::filesystem::path(OPENCLOSER_TEST_FIXTURES) / std::string(relative);
}

/// A private directory under the system temp dir, removed with everything in it at the end.
struct temp_dir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("oc_test_" + mint_id("t"));
  temp_dir() { std::filesystem::create_directories(path); }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// Writes `<path>/<name>` (parents created) and returns its path.
  std::string write(const std::string& name, std::string_view bytes) const {
    const auto file = path / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << bytes;
    return file.string();
  }
};

/// The whole file; the test fails when it cannot be read.
inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
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
