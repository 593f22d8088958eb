// The OS tz database: rule b's key check and rule c's local time (domain.md §5).
#include "adapters/timezone/os_zone_database.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

namespace opencloser {
namespace {

namespace fs = std::filesystem;
namespace chr = std::chrono;

constexpr std::size_t max_tzif_bytes = 1 << 20;

// ---- TZif data and the POSIX TZ footer (RFC 8536), as Python's zoneinfo reads them ----------

struct ttinfo {
  std::int32_t utoff = 0;  // seconds east of UTC
  bool isdst = false;
};

// One end of a footer DST rule: `Jn`, `n` or `Mm.w.d`, plus a time of day (default 02:00:00,
// may be negative or beyond 24 h).
struct rule_date {
  enum class kind { julian1, julian0, month_week_day } form = kind::month_week_day;
  int n = 0, month = 0, week = 0, weekday = 0;
  std::int64_t time = 7200;
};

struct dst_rule {
  std::int32_t std_off = 0;
  std::int32_t dst_off = 0;
  rule_date start, end;
};

struct tzif_rules {
  std::vector<std::int64_t> trans;  // UTC seconds, ascending
  std::vector<ttinfo> trans_types;  // type in effect from each transition
  ttinfo before;                    // before the first transition
  ttinfo after;                     // after the last one when there is no DST rule
  std::optional<dst_rule> rule;     // DST footer rule
};

class byte_reader {
 public:
  explicit byte_reader(std::string_view bytes) : bytes_(bytes) {}
  bool skip(std::uint64_t n) {
    if (n > bytes_.size() - pos_) return false;
    pos_ += static_cast<std::size_t>(n);
    return true;
  }
  std::optional<std::uint64_t> be(std::size_t width) {
    if (width > bytes_.size() - pos_) return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i)
      v = (v << 8) | static_cast<unsigned char>(bytes_[pos_++]);
    return v;
  }
  std::string_view rest() const { return bytes_.substr(pos_); }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

struct tzif_header {
  int version = 1;
  std::uint64_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

std::optional<tzif_header> read_header(byte_reader& r) {
  const auto magic = r.be(4);
  const auto version = r.be(1);
  if (!magic || *magic != 0x545A6966 || !version || !r.skip(15)) return std::nullopt;
  tzif_header h;
  if (*version == 0) {
    h.version = 1;
  } else if (*version >= '2' && *version <= '9') {
    h.version = static_cast<int>(*version - '0');
  } else {
    return std::nullopt;
  }
  std::uint64_t* counts[] = {&h.isutcnt, &h.isstdcnt, &h.leapcnt,
                             &h.timecnt, &h.typecnt,  &h.charcnt};
  for (auto* c : counts) {
    const auto v = r.be(4);
    if (!v) return std::nullopt;
    *c = *v;
  }
  return h;
}

// ---- footer parsing: Python zoneinfo's grammar ---------------------------------------------

class footer_parser {
 public:
  explicit footer_parser(std::string_view s) : s_(s) {}

  std::optional<std::pair<ttinfo, std::optional<dst_rule>>> parse() {
    const auto comma = s_.find(',');
    const std::string_view head = s_.substr(0, comma);
    std::string_view rules = comma == std::string_view::npos ? "" : s_.substr(comma + 1);
    std::size_t i = 0;
    if (!name(head, i)) return std::nullopt;
    std::int32_t std_off = 0;
    bool has_dst = false;
    std::int32_t dst_off = 0;
    if (i < head.size()) {
      const auto off = offset(head, i);
      if (!off) return std::nullopt;
      std_off = *off;
      if (i < head.size()) {
        if (!name(head, i)) return std::nullopt;
        has_dst = true;
        dst_off = std_off + 3600;
        if (i < head.size()) {
          const auto d = offset(head, i);
          if (!d || i != head.size()) return std::nullopt;
          dst_off = *d;
        }
      }
    }
    if (!has_dst) {
      if (comma != std::string_view::npos) return std::nullopt;  // rule without DST
      return std::pair{ttinfo{std_off, false}, std::optional<dst_rule>{}};
    }
    const auto second = rules.find(',');
    if (comma == std::string_view::npos || second == std::string_view::npos) return std::nullopt;
    const auto start = date(rules.substr(0, second));
    const auto end = date(rules.substr(second + 1));
    if (!start || !end) return std::nullopt;
    return std::pair{ttinfo{std_off, false},
                     std::optional<dst_rule>{dst_rule{std_off, dst_off, *start, *end}}};
  }

 private:
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  // `<[A-Za-z0-9+-]+>` or a run of characters other than `<`, digits, `:`, `.`, `+`, `-`.
  static bool name(std::string_view s, std::size_t& i) {
    const auto begin = i;
    if (i < s.size() && s[i] == '<') {
      ++i;
      while (i < s.size() &&
             (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '+' || s[i] == '-'))
        ++i;
      if (i == begin + 1 || i >= s.size() || s[i] != '>') return false;
      ++i;
      return true;
    }
    while (i < s.size() && s[i] != '<' && !is_digit(s[i]) && s[i] != ':' && s[i] != '.' &&
           s[i] != '+' && s[i] != '-')
      ++i;
    return i > begin;
  }

  // `[+-]?h{1,3}(:mm(:ss)?)?` → (negative?, seconds); nullopt when malformed.
  static std::optional<std::pair<bool, std::int64_t>> hms(std::string_view s, std::size_t& i,
                                                          std::int64_t max_hours) {
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    std::int64_t h = 0;
    std::size_t digits = 0;
    while (i < s.size() && is_digit(s[i]) && digits < 3) h = h * 10 + (s[i++] - '0'), ++digits;
    if (digits == 0 || h > max_hours) return std::nullopt;
    std::int64_t total = h * 3600;
    for (std::int64_t unit : {60, 1}) {
      if (i + 2 < s.size() && s[i] == ':' && is_digit(s[i + 1]) && is_digit(s[i + 2])) {
        total += ((s[i + 1] - '0') * 10 + (s[i + 2] - '0')) * unit;
        i += 3;
      } else {
        break;
      }
    }
    return std::pair{negative, total};
  }

  // POSIX offsets count west of UTC: "5" is UTC−5.
  static std::optional<std::int32_t> offset(std::string_view s, std::size_t& i) {
    const auto v = hms(s, i, 24);
    if (!v) return std::nullopt;
    return static_cast<std::int32_t>(v->first ? v->second : -v->second);
  }

  static std::optional<int> number(std::string_view s) {
    if (s.empty() || s.size() > 3) return std::nullopt;
    int n = 0;
    for (char c : s) {
      if (!is_digit(c)) return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return n;
  }

  static std::optional<rule_date> date(std::string_view s) {
    const auto slash = s.find('/');
    const auto day = s.substr(0, slash);
    rule_date r;
    if (!day.empty() && day[0] == 'M') {
      const auto dot1 = day.find('.');
      const auto dot2 = dot1 == std::string_view::npos ? dot1 : day.find('.', dot1 + 1);
      if (dot2 == std::string_view::npos) return std::nullopt;
      const auto m = number(day.substr(1, dot1 - 1));
      const auto w = number(day.substr(dot1 + 1, dot2 - dot1 - 1));
      const auto d = number(day.substr(dot2 + 1));
      if (!m || !w || !d || *m < 1 || *m > 12 || *w < 1 || *w > 5 || *d > 6) return std::nullopt;
      r.form = rule_date::kind::month_week_day, r.month = *m, r.week = *w, r.weekday = *d;
    } else {
      const bool julian1 = !day.empty() && day[0] == 'J';
      const auto n = number(julian1 ? day.substr(1) : day);
      if (!n || *n > 365 || (julian1 && *n < 1)) return std::nullopt;
      r.form = julian1 ? rule_date::kind::julian1 : rule_date::kind::julian0, r.n = *n;
    }
    if (slash != std::string_view::npos) {
      const auto time = s.substr(slash + 1);
      std::size_t i = 0;
      const auto v = hms(time, i, 167);
      if (!v || i != time.size()) return std::nullopt;
      r.time = v->first ? -v->second : v->second;
    }
    return r;
  }

  std::string_view s_;
};

std::optional<tzif_rules> parse_tzif(std::string_view bytes) {
  byte_reader r(bytes);
  auto h = read_header(r);
  if (!h) return std::nullopt;
  std::size_t time_size = 4;
  if (h->version >= 2) {
    // Skip the 32-bit block; the 64-bit one that follows has its own header.
    if (!r.skip(h->timecnt * 5 + h->typecnt * 6 + h->charcnt + h->leapcnt * 8 + h->isstdcnt +
                h->isutcnt))
      return std::nullopt;
    h = read_header(r);
    if (!h) return std::nullopt;
    time_size = 8;
  }
  tzif_rules z;
  std::vector<std::uint8_t> indices;
  for (std::uint64_t i = 0; i < h->timecnt; ++i) {
    const auto t = r.be(time_size);
    if (!t) return std::nullopt;
    z.trans.push_back(time_size == 8 ? static_cast<std::int64_t>(*t)
                                     : static_cast<std::int32_t>(static_cast<std::uint32_t>(*t)));
  }
  for (std::uint64_t i = 0; i < h->timecnt; ++i) {
    const auto idx = r.be(1);
    if (!idx || *idx >= h->typecnt) return std::nullopt;
    indices.push_back(static_cast<std::uint8_t>(*idx));
  }
  std::vector<ttinfo> types;
  for (std::uint64_t i = 0; i < h->typecnt; ++i) {
    const auto off = r.be(4);
    const auto dst = r.be(1);
    if (!off || !dst || !r.be(1)) return std::nullopt;
    types.push_back({static_cast<std::int32_t>(static_cast<std::uint32_t>(*off)), *dst != 0});
  }
  if (!r.skip(h->charcnt)) return std::nullopt;
  std::optional<std::pair<ttinfo, std::optional<dst_rule>>> footer;
  if (h->version >= 2) {
    // Leap-second records are skipped: zoneinfo ignores them, so right/UTC behaves as UTC.
    if (!r.skip(h->isutcnt + h->isstdcnt + h->leapcnt * 12)) return std::nullopt;
    const auto rest = r.rest();
    const auto nl = rest.size() > 1 ? rest.find('\n', 1) : std::string_view::npos;
    if (rest.empty() || rest[0] != '\n' || nl == std::string_view::npos) return std::nullopt;
    const auto text = rest.substr(1, nl - 1);
    if (!text.empty()) {
      footer = footer_parser(text).parse();
      if (!footer) return std::nullopt;
    }
  }
  if (types.empty() && !footer) return std::nullopt;
  for (auto i : indices) z.trans_types.push_back(types[i]);

  // Before the first transition: the first standard-time type, else the first transition's.
  const auto first_std = std::find_if(types.begin(), types.end(), [](auto t) { return !t.isdst; });
  z.before = first_std != types.end() ? *first_std
             : z.trans_types.empty()  ? ttinfo{}
                                      : z.trans_types.front();
  if (footer && footer->second) {
    z.rule = footer->second;
  } else if (footer) {
    z.after = footer->first;
  } else {
    z.after = z.trans_types.empty() ? types.back() : z.trans_types.back();
  }
  return z;
}

std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  return chr::sys_days{chr::year{y} / chr::month{m} / chr::day{d}}.time_since_epoch().count();
}

// Local seconds since the epoch at which `r` falls in `year`.
std::int64_t rule_local_seconds(const rule_date& r, int year) {
  const bool leap = chr::year{year}.is_leap();
  std::int64_t days = 0;
  switch (r.form) {
    case rule_date::kind::julian1:  // 1..365, February 29 never counted
      days = days_from_civil(year, 1, 1) + r.n - 1 + (leap && r.n >= 60 ? 1 : 0);
      break;
    case rule_date::kind::julian0:  // 0..365, February 29 counted
      days = days_from_civil(year, 1, 1) + r.n;
      break;
    case rule_date::kind::month_week_day: {
      const auto first = days_from_civil(year, static_cast<unsigned>(r.month), 1);
      const unsigned first_wd = chr::weekday{chr::sys_days{chr::days{first}}}.c_encoding();
      int day = (r.weekday - static_cast<int>(first_wd) + 7) % 7 + 1 + (r.week - 1) * 7;
      const auto last =
          chr::year_month_day_last{chr::year{year} / chr::month{static_cast<unsigned>(r.month)} /
                                   chr::last}
              .day();
      if (day > static_cast<int>(static_cast<unsigned>(last))) day -= 7;
      days = first + day - 1;
      break;
    }
  }
  return days * 86400 + r.time;
}

// Python zoneinfo's fromutc: the rule's year is the UTC year of the instant.
std::int32_t rule_offset(const dst_rule& rule, std::int64_t t) {
  const chr::year_month_day ymd{chr::floor<chr::days>(chr::sys_seconds{chr::seconds{t}})};
  const int year = static_cast<int>(ymd.year());
  const auto start = rule_local_seconds(rule.start, year) - rule.std_off;
  const auto end = rule_local_seconds(rule.end, year) - rule.dst_off;
  const bool dst = start < end ? (start <= t && t < end) : !(end <= t && t < start);
  return dst ? rule.dst_off : rule.std_off;
}

std::int32_t tzif_offset(const tzif_rules& z, std::int64_t t) {
  const auto n = z.trans.size();
  if (n >= 1 && t < z.trans.front()) return z.before.utoff;
  if ((n == 0 || t > z.trans.back()) && z.rule) return rule_offset(*z.rule, t);
  if (n == 0 || (n == 1 && t > z.trans.front())) return z.after.utoff;
  const auto it = std::upper_bound(z.trans.begin(), z.trans.end(), t);
  return z.trans_types[static_cast<std::size_t>(it - z.trans.begin()) - 1].utoff;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

}  // namespace

bool is_normalized_zone_key(std::string_view key) {
  if (key.empty() || key.front() == '/' || key.find('\0') != std::string_view::npos) return false;
  std::size_t begin = 0;
  while (true) {
    const auto slash = key.find('/', begin);
    const auto part = key.substr(begin, slash == std::string_view::npos ? slash : slash - begin);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) return true;
    begin = slash + 1;
  }
}

struct os_zone_database::zone_entry {
  const date::time_zone* tz = nullptr;  // date/tz's view of the same file, when it indexes it
  std::optional<tzif_rules> rules;      // our own reading of the file
};

os_zone_database::os_zone_database(std::string tzdir, engine mode) : tzdir_(std::move(tzdir)) {
  if (mode == engine::date_tz_first) {
    // date/tz (USE_OS_TZDB) always reads /usr/share/zoneinfo; any other tzdir is ours alone.
    std::error_code ec1, ec2;
    const auto ours = fs::weakly_canonical(tzdir_, ec1);
    const auto its = fs::weakly_canonical("/usr/share/zoneinfo", ec2);
    use_date_tz_ = !ec1 && !ec2 && ours == its;
  }
}

os_zone_database::~os_zone_database() = default;

std::shared_ptr<const os_zone_database::zone_entry> os_zone_database::find(
    const std::string& key) const {
  if (!is_normalized_zone_key(key)) return nullptr;
  {
    std::shared_lock lock(mutex_);
    if (const auto it = cache_.find(key); it != cache_.end()) return it->second;
  }
  const fs::path path = fs::path(tzdir_) / key;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return nullptr;  // follows symlinks
  std::ifstream in(path, std::ios::binary);
  std::string bytes(4, '\0');
  if (!in.read(bytes.data(), 4) || bytes != "TZif") return nullptr;
  const auto size = fs::file_size(path, ec);
  if (!ec && size <= max_tzif_bytes) {
    bytes.resize(static_cast<std::size_t>(size));
    in.read(bytes.data() + 4, static_cast<std::streamsize>(size - 4));
    bytes.resize(4 + static_cast<std::size_t>(in.gcount()));
  }

  auto entry = std::make_shared<zone_entry>();
  if (use_date_tz_) {
    try {
      entry->tz = date::locate_zone(key);
    } catch (const std::exception&) {
      // Not indexed by date/tz (posixrules, right/…): read the file ourselves.
    }
  }
  if (bytes.size() > 4) entry->rules = parse_tzif(bytes);

  std::unique_lock lock(mutex_);
  return cache_.emplace(key, std::move(entry)).first->second;
}

bool os_zone_database::names_zone(const std::string& key) const {
  return find(key) != nullptr;
}

std::optional<std::int32_t> os_zone_database::utc_offset(const std::string& zone,
                                                         unix_ms at) const {
  const auto entry = find(zone);
  if (!entry) return std::nullopt;
  const std::int64_t t = floor_div(at, 1000);
  // date/tz 3.0.1 ignores the footer, so past the file's last transition (2037 in Debian's
  // "fat" files) the footer rule decides, as in zoneinfo.
  const bool past_table =
      entry->rules && (entry->rules->trans.empty() || t > entry->rules->trans.back());
  if (entry->tz && !past_table) {
    try {
      const auto info = entry->tz->get_info(date::sys_seconds{chr::seconds{t}});
      return static_cast<std::int32_t>(info.offset.count());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (entry->rules) return tzif_offset(*entry->rules, t);
  return std::nullopt;
}

std::optional<hh_mm> os_zone_database::local_time(const std::string& zone, unix_ms at) const {
  const auto offset = utc_offset(zone, at);
  if (!offset) return std::nullopt;
  const std::int64_t local = floor_div(at, 1000) + *offset;
  const std::int64_t second_of_day = local - floor_div(local, 86400) * 86400;
  return hh_mm{static_cast<int>(second_of_day / 3600), static_cast<int>(second_of_day % 3600 / 60)};
}

}  // namespace opencloser
