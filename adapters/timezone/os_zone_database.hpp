#pragma once
// The OS tz database behind eligibility rules b and c (domain.md §5).
//
// A key names a zone iff it is a normalized relative key (non-empty, no leading '/', no empty,
// '.' or '..' component, no NUL; compared exactly, never trimmed) and <tzdir>/<key>, symlinks
// followed, is a regular file starting with the TZif magic.
//
// Local time comes from date/tz when it indexes the name (it reads the same files, but skips
// `posixrules`, `right/…`, `posix/…` and `Factory`); otherwise, and past the file's last
// transition (date/tz 3.0.1 ignores the footer), from the TZif file itself: the version 2+ 64-bit
// section (version 1 files: the 32-bit one) and the POSIX TZ footer, leap-second records ignored
// and instants mapped exactly as Python's `zoneinfo` does (`right/UTC` = `UTC`). Checked against
// zoneinfo for every file of Debian's tzdata 2026f, 1900–2070.
//
// Limitations: `Jn` and `n` footer rules follow POSIX (Python's `zoneinfo` is off by one day on
// these; no tzdata file uses them). A file that starts with the magic but is otherwise malformed,
// has an invalid footer or exceeds 1 MiB still names a zone, but has no local time (rule c then
// fails) unless date/tz indexes it. Loaded zones are cached for the life of the object, so a tzdata
// upgrade is seen only after a restart; keys that name no zone are not cached (arbitrary queue data
// must not grow it). Thread-safe: one instance is shared by concurrent sessions.

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actors/queue_loader/zone_database.hpp"

namespace opencloser {

/// Rule b's key shape check (part 1 of "names a zone"); no file-system access.
bool is_normalized_zone_key(std::string_view key);

class os_zone_database final : public zone_database {
 public:
  /// `date_tz_first`: the production path. `tzif_only`: always read the TZif file (tests use it to
  /// check the two paths agree). date/tz is only used when `tzdir` is the directory it reads.
  enum class engine { date_tz_first, tzif_only };

  explicit os_zone_database(std::string tzdir = "/usr/share/zoneinfo",
                            engine mode = engine::date_tz_first);
  ~os_zone_database() override;

  bool names_zone(const std::string& key) const override;
  std::optional<hh_mm> local_time(const std::string& zone, unix_ms at) const override;

  /// UTC offset in seconds of `zone` at `at`; nullopt as for local_time.
  std::optional<std::int32_t> utc_offset(const std::string& zone, unix_ms at) const;

 private:
  struct zone_entry;
  std::shared_ptr<const zone_entry> find(const std::string& key) const;

  std::string tzdir_;
  bool use_date_tz_ = false;
  mutable std::shared_mutex mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const zone_entry>> cache_;
};

}  // namespace opencloser
