// The predecessor compatibility suite (conformance.md §17, logic level): every case of
// ../shared/predecessor/expected.json, run from the predecessor's own files read in place.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "tests/compat/compat_case.hpp"

using namespace opencloser;
namespace fs = std::filesystem;

namespace {

fs::path predecessor_dir() {
  if (const char* env = std::getenv("OPENCLOSER_PREDECESSOR_DIR")) return env;
  return OPENCLOSER_PREDECESSOR_DIR;
}

json::value read_expected() {
  const auto path = predecessor_dir() / "expected.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) FAIL("cannot read " << path << " (set OPENCLOSER_PREDECESSOR_DIR)");
  std::ostringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

/// Files this product writes beyond the predecessor's Slice 1 (spec README "beyond" list):
/// planned-writeback.json precedes every emit. A case passes when the predecessor's files are
/// all present and nothing else appears but these.
const std::set<std::string> files_beyond_predecessor = {"planned-writeback.json"};

}  // namespace

TEST_CASE("predecessor expected.json: every case gives the predecessor's result") {
  const auto expected = read_expected();
  const auto& cases = expected.find("cases")->as_object();
  REQUIRE(cases.size() == 26);
  const fs::path artifacts = fs::temp_directory_path() / "opencloser-compat-artifacts";
  fs::remove_all(artifacts);
  std::size_t matched = 0;
  for (const auto& [key, want] : cases) {
    {  // one pass over all cases (sections would re-enter the test case per case)
      const auto got = compat::run_case(predecessor_dir(), compat::parse_case_key(key), artifacts);
      bool all_equal = true;
      for (const auto& [field, want_value] : want.as_object()) {
        INFO("case " << key << " / field " << field);
        const json::value* got_value = got.find(field);
        REQUIRE(got_value != nullptr);  // every expected field is checked, none skipped
        if (field == "artifact_files") {
          std::set<std::string> want_files, got_files;
          for (const auto& f : want_value.as_array()) want_files.insert(f.as_string());
          for (const auto& f : got_value->as_array()) got_files.insert(f.as_string());
          bool files_ok = true;
          for (const auto& f : want_files) files_ok = files_ok && got_files.count(f) == 1;
          for (const auto& f : got_files)
            if (!want_files.count(f)) files_ok = files_ok && files_beyond_predecessor.count(f) == 1;
          CHECK(files_ok);
          all_equal = all_equal && files_ok;
          continue;
        }
        CHECK(json::write_compact(*got_value) == json::write_compact(want_value));
        all_equal = all_equal && *got_value == want_value;
      }
      if (all_equal) ++matched;
    }
  }
  fs::remove_all(artifacts);
  CHECK(matched == cases.size());
  std::cout << "compat: " << matched << " of " << cases.size()
            << " predecessor cases match at the logic level\n";
}
