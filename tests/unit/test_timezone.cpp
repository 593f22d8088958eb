// The OS tz database adapter (domain.md §5 rules b and c).
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "actors/common/ids.hpp"
#include "actors/common/utc_ms.hpp"
#include "adapters/timezone/os_zone_database.hpp"
#include "test_support.hpp"

using namespace opencloser;
namespace fs = std::filesystem;

namespace {

unix_ms at(const char* utc) {
  const auto t = parse_utc_ms(utc);
  REQUIRE(t.has_value());
  return *t;
}

std::string local(const zone_database& db, const std::string& zone, const char* utc) {
  const auto t = db.local_time(zone, at(utc));
  if (!t) return "none";
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", t->hour, t->minute);
  return buf;
}

// ---- hand-built TZif files (RFC 8536) ----

std::string be(std::uint64_t v, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
  return out;
}

struct tzif_spec {
  char version = '2';  // '\0' for version 1
  std::vector<std::int64_t> trans{};
  std::vector<std::uint8_t> idx{};
  std::vector<std::pair<std::int32_t, bool>> types{{0, false}};
  std::string footer{};
};

std::string header(char version, std::size_t timecnt, std::size_t typecnt, std::size_t charcnt) {
  return "TZif" + std::string(1, version) + std::string(15, '\0') + be(0, 4) + be(0, 4) + be(0, 4) +
         be(timecnt, 4) + be(typecnt, 4) + be(charcnt, 4);
}

std::string tzif(const tzif_spec& s) {
  const int width = s.version == '\0' ? 4 : 8;
  std::string data;
  for (auto t : s.trans) data += be(static_cast<std::uint64_t>(t), width);
  for (auto i : s.idx) data += static_cast<char>(i);
  for (auto [off, dst] : s.types)
    data += be(static_cast<std::uint32_t>(off), 4) + std::string(1, dst ? 1 : 0) + '\0';
  data += std::string("ABC\0", 4);
  if (s.version == '\0') return header('\0', s.trans.size(), s.types.size(), 4) + data;
  // An empty version 1 block, as zic -b slim writes, then the 64-bit block and the footer.
  return header(s.version, 0, 0, 0) + header(s.version, s.trans.size(), s.types.size(), 4) + data +
         "\n" + s.footer + "\n";
}

}  // namespace

TEST_CASE("zone keys must be normalized relative keys") {
  CHECK(is_normalized_zone_key("UTC"));
  CHECK(is_normalized_zone_key("America/Argentina/Buenos_Aires"));
  CHECK(is_normalized_zone_key("right/UTC"));
  CHECK_FALSE(is_normalized_zone_key(""));
  CHECK_FALSE(is_normalized_zone_key("/UTC"));
  CHECK_FALSE(is_normalized_zone_key("America//Chicago"));
  CHECK_FALSE(is_normalized_zone_key("America/Chicago/"));
  CHECK_FALSE(is_normalized_zone_key("./UTC"));
  CHECK_FALSE(is_normalized_zone_key("a/../UTC"));
  CHECK_FALSE(is_normalized_zone_key(".."));
  CHECK_FALSE(is_normalized_zone_key(std::string("UTC\0x", 5)));
}

TEST_CASE("the OS database names exactly the TZif files") {
  const os_zone_database db;
  for (const char* zone : {"UTC", "US/Pacific", "EST5EDT", "Etc/GMT+5", "posixrules", "right/UTC",
                           "America/Los_Angeles", "Factory", "posix/Asia/Kolkata"}) {
    INFO(zone);
    CHECK(db.names_zone(zone));
  }
  for (const char* key : {"zone.tab", "tzdata.zi", "America", "america/los_angeles",
                          "America//Chicago", "America/Chicago/", "./UTC", "a/../UTC", "/UTC", "",
                          " UTC", "UTC ", "Mars/Olympus_Mons", "leapseconds"}) {
    INFO('"' << key << '"');
    CHECK_FALSE(db.names_zone(key));
  }
  // Absolute paths are refused even though the file exists.
  CHECK_FALSE(db.names_zone("/usr/share/zoneinfo/UTC"));
  CHECK_FALSE(db.local_time("America", at("2026-05-22T19:00:00.000Z")).has_value());
}

TEST_CASE("local time through date/tz and through the TZif reader") {
  const os_zone_database db;
  CHECK(local(db, "America/Los_Angeles", "2026-05-22T19:00:00.000Z") == "12:00");
  CHECK(local(db, "US/Pacific", "2026-05-22T19:00:00.000Z") == "12:00");
  CHECK(local(db, "EST5EDT", "2026-05-22T19:00:00.000Z") == "15:00");
  CHECK(local(db, "Etc/GMT+5", "2026-05-22T19:00:00.000Z") == "14:00");  // POSIX sign: UTC-5
  CHECK(local(db, "Asia/Kolkata", "2026-05-22T19:00:00.000Z") == "00:30");
  // Not indexed by date/tz: read from the file (values from Python's zoneinfo).
  CHECK(local(db, "posixrules", "2026-05-22T19:00:00.000Z") == "15:00");
  CHECK(local(db, "posixrules", "2026-01-15T19:00:00.000Z") == "14:00");
  CHECK(local(db, "right/UTC", "2026-05-22T19:00:00.000Z") == "19:00");
  CHECK(local(db, "right/America/New_York", "2026-05-22T19:00:00.000Z") == "15:00");
  CHECK(local(db, "posix/Asia/Kolkata", "2026-05-22T19:00:00.000Z") == "00:30");
  CHECK(local(db, "Factory", "2026-05-22T19:00:00.000Z") == "19:00");
  // Past the last transition (2037) the footer rule applies, as in zoneinfo.
  CHECK(local(db, "America/Los_Angeles", "2040-07-01T19:00:00.000Z") == "12:00");
  CHECK(local(db, "America/Los_Angeles", "2040-12-01T19:00:00.000Z") == "11:00");
  CHECK(local(db, "Australia/Sydney", "2045-01-01T00:00:00.000Z") == "11:00");
  CHECK(local(db, "Australia/Sydney", "2045-07-01T00:00:00.000Z") == "10:00");
  CHECK(local(db, "Europe/Dublin", "2045-07-01T12:00:00.000Z") == "13:00");  // negative DST
  CHECK(local(db, "America/Nuuk", "2045-07-01T12:00:00.000Z") == "11:00");   // rule time -1
  CHECK(local(db, "America/Nuuk", "2045-01-01T12:00:00.000Z") == "10:00");
  // Before the first transition: local mean time (-7:52:58), seconds dropped.
  CHECK(local(db, "America/Los_Angeles", "1800-01-01T12:00:00.000Z") == "04:07");
}

TEST_CASE("the date/tz path and the TZif reader agree through 2026") {
  const os_zone_database both;
  const os_zone_database tzif_only("/usr/share/zoneinfo", os_zone_database::engine::tzif_only);
  const auto start = at("2026-01-01T00:00:00.000Z");
  const auto end = at("2027-01-01T00:00:00.000Z");
  int compared = 0;
  for (const char* zone :
       {"America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Dublin",
        "Australia/Sydney", "Australia/Lord_Howe", "America/Santiago", "Africa/Casablanca",
        "Asia/Gaza", "Pacific/Chatham", "America/St_Johns", "Antarctica/Troll", "UTC"}) {
    for (auto t = start; t < end; t += 1'799'000) {
      const auto a = both.utc_offset(zone, t);
      const auto b = tzif_only.utc_offset(zone, t);
      if (!a || !b || *a != *b) FAIL(zone << " differs at " << format_utc_ms(t));
      ++compared;
    }
  }
  CHECK(compared > 13 * 17000);
}

TEST_CASE("TZif reader: version 1, fixed footers, transitions and rules") {
  const opencloser::testing::temp_dir dir;
  // Version 1: the 32-bit block only, no footer; one type of +01:00.
  dir.write("V1/Plus1", tzif({.version = '\0', .types = {{3600, false}}}));
  // Version 2 with no transitions: a fixed footer wins over the lone type.
  dir.write("Fixed/Kolkata", tzif({.footer = "<+0530>-5:30"}));
  // Transitions: std -1h, then +2h (DST) at 1e9, then -1h at 1.1e9; empty footer.
  dir.write("Trans/Two", tzif({.trans = {1'000'000'000, 1'100'000'000},
                               .idx = {1, 0},
                               .types = {{-3600, false}, {7200, true}}}));
  // POSIX Jn (1-based, Feb 29 never counted) and n (0-based, Feb 29 counted) rules.
  dir.write("Rule/Julian1", tzif({.footer = "STD0DST,J60/0,J300/0"}));
  dir.write("Rule/Julian0", tzif({.footer = "STD0DST,59/0,300/0"}));
  dir.write("Bad/DstWithoutRule", tzif({.footer = "STD0DST"}));
  dir.write("Bad/Truncated", tzif({.footer = "UTC0"}).substr(0, 60));
  dir.write("NotTzif", "# zone.tab\n");
  fs::create_symlink(dir.path / "V1" / "Plus1", dir.path / "Link");
  fs::create_symlink(dir.path / "Missing", dir.path / "Dangling");

  const os_zone_database db(dir.path.string());
  CHECK(local(db, "V1/Plus1", "2026-05-22T19:00:00.000Z") == "20:00");
  CHECK(local(db, "Link", "2026-05-22T19:00:00.000Z") == "20:00");  // symlinks followed
  CHECK(local(db, "Fixed/Kolkata", "2026-05-22T19:00:00.000Z") == "00:30");
  CHECK(local(db, "Trans/Two", "2001-01-01T00:00:00.000Z") == "23:00");  // before 1e9 (2001-09-09)
  CHECK(local(db, "Trans/Two", "2002-01-01T00:00:00.000Z") == "02:00");
  CHECK(local(db, "Trans/Two", "2005-01-01T00:00:00.000Z") == "23:00");  // after 1.1e9
  // 2026 is not a leap year: J60 and n=59 are both March 1.
  CHECK(local(db, "Rule/Julian1", "2026-02-28T23:30:00.000Z") == "23:30");
  CHECK(local(db, "Rule/Julian1", "2026-03-01T00:30:00.000Z") == "01:30");
  CHECK(local(db, "Rule/Julian0", "2026-03-01T00:30:00.000Z") == "01:30");
  // 2028 is: J60 is still March 1, n=59 is February 29.
  CHECK(local(db, "Rule/Julian1", "2028-02-29T00:30:00.000Z") == "00:30");
  CHECK(local(db, "Rule/Julian1", "2028-03-01T00:30:00.000Z") == "01:30");
  CHECK(local(db, "Rule/Julian0", "2028-02-29T00:30:00.000Z") == "01:30");
  // Magic present but unusable data: still a zone (rule b), no local time (rule c fails).
  CHECK(db.names_zone("Bad/DstWithoutRule"));
  CHECK(local(db, "Bad/DstWithoutRule", "2026-05-22T19:00:00.000Z") == "none");
  CHECK(db.names_zone("Bad/Truncated"));
  CHECK(local(db, "Bad/Truncated", "2026-05-22T19:00:00.000Z") == "none");
  CHECK_FALSE(db.names_zone("NotTzif"));
  CHECK_FALSE(db.names_zone("Dangling"));
  CHECK_FALSE(db.names_zone("V1"));
  // A zone only in the system directory is not a zone of this one.
  CHECK_FALSE(db.names_zone("UTC"));
}

TEST_CASE("one database serves concurrent sessions") {
  const os_zone_database db;
  const std::vector<std::string> zones{"America/Los_Angeles", "posixrules", "right/UTC",
                                       "Europe/Berlin", "Asia/Tokyo"};
  const auto now = at("2026-05-22T19:00:00.000Z");
  std::vector<std::optional<hh_mm>> expected;
  const os_zone_database reference;
  for (const auto& z : zones) expected.push_back(reference.local_time(z, now));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i)
        for (std::size_t z = 0; z < zones.size(); ++z)
          if (db.local_time(zones[z], now) != expected[z]) ++mismatches;
    });
  for (auto& t : threads) t.join();
  CHECK(mismatches == 0);
  CHECK(expected[0] == hh_mm{12, 0});
}
