#include "actors/common/text.hpp"

#include <locale.h>
#include <wctype.h>
#include <stdexcept>

#include "actors/common/pattern.hpp"

namespace opencloser::text {

namespace {

constexpr char32_t replacement_char = 0xFFFD;

struct decoded {
  char32_t cp;
  std::size_t len;  ///< bytes consumed (≥ 1)
  bool ok = true;   ///< false: an invalid subpart, cp is U+FFFD
};

bool is_cont(unsigned char b) {
  return (b & 0xC0) == 0x80;
}

// One code point at `i`; an invalid sequence yields U+FFFD over its maximal valid prefix
// (Unicode "substitution of maximal subparts", which is what Python's 'replace' does).
decoded decode_one(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {b0, 1};
  std::size_t need = 0;
  char32_t cp = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2, cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3, cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {replacement_char, 1, false};
  }
  std::size_t k = 1;
  for (; k <= need; ++k) {
    if (i + k >= s.size()) return {replacement_char, k, false};
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : !is_cont(b)) return {replacement_char, k, false};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {cp, k};
}

// Start of the code point that ends at `end` (> 0), stepping back over at most 3
// continuation bytes; an invalid tail is then treated as a single U+FFFD byte.
decoded decode_last(std::string_view s, std::size_t end, std::size_t& start) {
  std::size_t i = end - 1;
  while (i > 0 && end - i < 4 && is_cont(static_cast<unsigned char>(s[i]))) --i;
  const decoded d = decode_one(s, i);
  if (i + d.len == end && d.ok) {
    start = i;
    return d;
  }
  start = end - 1;
  return {replacement_char, 1, false};
}

void append_utf8(std::string& out, char32_t c) {
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = replacement_char;
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Code-point classes backed by PCRE2's Unicode tables (same Unicode 14 as Python 3.11).
bool in_class(const pattern& cls, char32_t c) {
  std::string buf;
  append_utf8(buf, c);
  return cls.find(buf).has_value();
}

// Python's Cased property: Lu, Ll, Lt plus Other_Lowercase/Other_Uppercase outside those.
bool is_cased(char32_t c) {
  static const pattern cls = pattern::compile(
      R"([\p{Lu}\p{Ll}\p{Lt}\x{AA}\x{BA}\x{2160}-\x{217F}\x{24B6}-\x{24E9}\x{1F130}-\x{1F149})"
      R"(\x{1F150}-\x{1F169}\x{1F170}-\x{1F189}])");
  return in_class(cls, c);
}

// Python's Case_Ignorable: Mn, Me, Cf, Lm, Sk plus Word_Break MidLetter/MidNumLet/Single_Quote.
bool is_case_ignorable(char32_t c) {
  static const pattern cls = pattern::compile(
      R"([\p{Mn}\p{Me}\p{Cf}\p{Lm}\p{Sk}'.:\x{B7}\x{387}\x{55F}\x{5F4}\x{2018}\x{2019}\x{2024})"
      R"(\x{2027}\x{FE13}\x{FE52}\x{FE55}\x{FF07}\x{FF0E}\x{FF1A}])");
  return in_class(cls, c);
}

// CPython's handle_capital_sigma: σ becomes ς at the end of a cased word.
char32_t lower_sigma(const std::u32string& cps, std::size_t i) {
  std::size_t j = i;
  while (j > 0 && is_case_ignorable(cps[j - 1])) --j;
  if (j == 0 || !is_cased(cps[j - 1])) return 0x3C3;
  std::size_t k = i + 1;
  while (k < cps.size() && is_case_ignorable(cps[k])) ++k;
  return (k == cps.size() || !is_cased(cps[k])) ? 0x3C2 : 0x3C3;
}

locale_t utf8_locale() {
  // glibc's C.UTF-8 towlower agrees with Python 3.11 for every code point but U+0130. It is
  // built into glibc ≥ 2.35; without it lower-casing would silently go wrong, so fail loudly.
  static const locale_t loc = [] {
    const locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
    if (l == static_cast<locale_t>(0)) throw std::runtime_error("C.UTF-8 locale unavailable");
    return l;
  }();
  return loc;
}

}  // namespace

std::u32string decode_utf8(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const decoded d = decode_one(bytes, i);
    out.push_back(d.cp);
    i += d.len;
  }
  return out;
}

std::string encode_utf8(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t c : code_points) append_utf8(out, c);
  return out;
}

std::string lower(std::string_view s) {
  bool ascii = true;
  for (char ch : s) ascii = ascii && static_cast<unsigned char>(ch) < 0x80;
  std::string out;
  out.reserve(s.size());
  if (ascii) {
    for (char ch : s) out.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch);
    return out;
  }
  const std::u32string cps = decode_utf8(s);
  const locale_t loc = utf8_locale();
  for (std::size_t i = 0; i < cps.size(); ++i) {
    const char32_t c = cps[i];
    if (c == 0x130) {
      append_utf8(out, U'i');
      append_utf8(out, 0x307);
    } else if (c == 0x3A3) {
      append_utf8(out, lower_sigma(cps, i));
    } else {
      append_utf8(out, static_cast<char32_t>(towlower_l(static_cast<wint_t>(c), loc)));
    }
  }
  return out;
}

bool is_trim_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

std::string trim(std::string_view s) {
  std::size_t begin = 0;
  while (begin < s.size()) {
    const decoded d = decode_one(s, begin);
    if (!is_trim_space(d.cp)) break;
    begin += d.len;
  }
  std::size_t end = s.size();
  while (end > begin) {
    std::size_t start = 0;
    const decoded d = decode_last(s, end, start);
    if (!is_trim_space(d.cp)) break;
    end = start;
  }
  return std::string(s.substr(begin, end - begin));
}

std::size_t length(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) i += decode_one(s, i).len;
  return n;
}

std::string cut(std::string_view s, std::size_t n) {
  std::size_t i = 0;
  for (std::size_t k = 0; k < n && i < s.size(); ++k) i += decode_one(s, i).len;
  return std::string(s.substr(0, i));
}

bool is_word_char(char32_t c) {
  if (c < 0x80)
    return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  // Spelled as categories rather than `\w`, whose UCP meaning grew Mn and Pc in PCRE2 10.43.
  static const pattern cls = pattern::compile(R"([\p{L}\p{N}_])");
  return in_class(cls, c);
}

}  // namespace opencloser::text
