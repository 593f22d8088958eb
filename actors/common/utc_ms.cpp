#include "actors/common/utc_ms.hpp"

#include <chrono>
#include <cstdio>

#include <date/date.h>

namespace opencloser {

namespace {

bool digits(std::string_view text, std::size_t pos, std::size_t count) {
  for (std::size_t i = pos; i < pos + count; ++i)
    if (text[i] < '0' || text[i] > '9') return false;
  return true;
}

int number(std::string_view text, std::size_t pos, std::size_t count) {
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) value = value * 10 + (text[i] - '0');
  return value;
}

}  // namespace

bool is_utc_ms(std::string_view t) {
  // 2026-06-01T16:00:00.000Z
  return t.size() == 24 && digits(t, 0, 4) && t[4] == '-' && digits(t, 5, 2) && t[7] == '-' &&
         digits(t, 8, 2) && t[10] == 'T' && digits(t, 11, 2) && t[13] == ':' && digits(t, 14, 2) &&
         t[16] == ':' && digits(t, 17, 2) && t[19] == '.' && digits(t, 20, 3) && t[23] == 'Z';
}

std::optional<unix_ms> parse_utc_ms(std::string_view t) {
  if (!is_utc_ms(t)) return std::nullopt;
  const date::year_month_day ymd{date::year{number(t, 0, 4)},
                                 date::month{static_cast<unsigned>(number(t, 5, 2))},
                                 date::day{static_cast<unsigned>(number(t, 8, 2))}};
  const int hh = number(t, 11, 2), mm = number(t, 14, 2), ss = number(t, 17, 2);
  if (!ymd.ok() || hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  const auto days = date::sys_days{ymd}.time_since_epoch();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(days).count();
  return ms + ((hh * 60 + mm) * 60 + ss) * 1000LL + number(t, 20, 3);
}

std::string format_utc_ms(unix_ms value) {
  const auto tp = date::sys_time<std::chrono::milliseconds>{std::chrono::milliseconds{value}};
  const auto day = date::floor<date::days>(tp);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<std::chrono::milliseconds> tod{tp - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(tod.hours().count()),
                int(tod.minutes().count()), int(tod.seconds().count()),
                int(tod.subseconds().count()));
  return buf;
}

unix_ms system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace opencloser
