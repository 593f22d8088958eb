#pragma once
// UtcMs timestamps (`YYYY-MM-DDTHH:MM:SS.mmmZ`, domain.md §1) and the product clock.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace opencloser {

/// Milliseconds since the Unix epoch, UTC.
using unix_ms = std::int64_t;

/// True iff `text` has the exact UtcMs shape (checked for shape only, as fixtures are).
bool is_utc_ms(std::string_view text);

/// Parses a UtcMs string into epoch milliseconds; nullopt when malformed or not a real date.
std::optional<unix_ms> parse_utc_ms(std::string_view text);

/// Formats epoch milliseconds as UtcMs.
std::string format_utc_ms(unix_ms value);

/// System UTC now, floored to milliseconds (never rounded).
unix_ms system_now_ms();

/// The product clock: frozen when OPENCLOSER_CLOCK_NOW is set, else system time.
class product_clock {
 public:
  product_clock() = default;
  explicit product_clock(std::optional<unix_ms> frozen) : frozen_(frozen) {}
  unix_ms now() const { return frozen_ ? *frozen_ : system_now_ms(); }
  std::string now_utc_ms() const { return format_utc_ms(now()); }
  bool frozen() const { return frozen_.has_value(); }

 private:
  std::optional<unix_ms> frozen_;
};

}  // namespace opencloser
