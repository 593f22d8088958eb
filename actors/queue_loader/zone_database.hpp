#pragma once
// The time-zone questions eligibility rules b and c ask (domain.md §5). An interface so that the
// pure rule logic never touches the file system and tests can count lookups.

#include <optional>
#include <string>

#include "actors/common/utc_ms.hpp"
#include "messages/settings.hpp"

namespace opencloser {

class zone_database {
 public:
  virtual ~zone_database() = default;

  /// True iff `key` names a zone (rule b): exact, case-sensitive, never trimmed.
  virtual bool names_zone(const std::string& key) const = 0;

  /// Local wall-clock hour and minute (seconds ignored) in `zone` at UTC instant `at`;
  /// nullopt when `zone` is not a zone or its data cannot be used.
  virtual std::optional<hh_mm> local_time(const std::string& zone, unix_ms at) const = 0;
};

}  // namespace opencloser
