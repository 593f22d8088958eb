// Text rules of domain.md §1: UTF-8 code points, Python lower-casing, trim, length/cut, \w.
#include <catch2/catch.hpp>

#include "actors/common/text.hpp"

using namespace opencloser;

TEST_CASE("UTF-8 decodes to code points and invalid bytes become U+FFFD") {
  CHECK(text::decode_utf8("a\u00e9\u20ac\U0001F600") == U"a\u00e9\u20ac\U0001F600");
  CHECK(text::decode_utf8("a\xFF"
                          "b") == U"a\uFFFDb");
  CHECK(text::decode_utf8("\xE2\x82") == U"\uFFFD");  // truncated: one maximal subpart
  CHECK(text::decode_utf8("\xED\xA0\x80") == U"\uFFFD\uFFFD\uFFFD");  // encoded surrogate
  CHECK(text::decode_utf8("\xC0\xAF") == U"\uFFFD\uFFFD");            // overlong
  CHECK(text::encode_utf8(U"a\u00e9\u20ac\U0001F600") == "a\u00e9\u20ac\U0001F600");
  CHECK(text::encode_utf8(std::u32string(1, char32_t{0xD800})) == "\uFFFD");
}

TEST_CASE("lower() is Python's str.lower()") {
  CHECK(text::lower("Call Me BACK") == "call me back");
  CHECK(text::lower("\u212A") == "k");        // KELVIN SIGN
  CHECK(text::lower("\u0130") == "i\u0307");  // full mapping: two code points
  CHECK(text::lower("\u0131") == "\u0131");   // dotless i has no lower-case form
  CHECK(text::lower("\u00C9T\u00C9") == "\u00e9t\u00e9");
  CHECK(text::lower("\u1E9E") == "\u00DF");
  CHECK(text::lower("\U00010400") == "\U00010428");  // outside the BMP
  // Final_Sigma: ς at the end of a cased word, σ elsewhere.
  CHECK(text::lower("\u039F\u0394\u039F\u03A3") == "\u03BF\u03B4\u03BF\u03C2");
  CHECK(text::lower("\u03A3") == "\u03C3");
  CHECK(text::lower("A\u03A3.") == "a\u03C2.");
  CHECK(text::lower("A\u03A3B") == "a\u03C3b");
}

TEST_CASE("trim removes exactly the trim set at both ends") {
  const char32_t trim_set[] = {0x09,   0x0A,   0x0B,   0x0C,   0x0D,   0x1C,   0x1D,
                               0x1E,   0x1F,   0x20,   0x85,   0xA0,   0x1680, 0x2000,
                               0x2005, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000};
  for (char32_t c : trim_set) {
    const std::string s = text::encode_utf8(std::u32string(1, c));
    CHECK(text::is_trim_space(c));
    CHECK(text::trim(s + "a b" + s + s) == "a b");
  }
  for (char32_t c : {char32_t{0x180E}, char32_t{0x200B}, char32_t{0xFEFF}, char32_t{'x'}}) {
    const std::string s = text::encode_utf8(std::u32string(1, c));
    CHECK_FALSE(text::is_trim_space(c));
    CHECK(text::trim(s + "a" + s) == s + "a" + s);
  }
  CHECK(text::trim(" \u00a0 \u3000") == "");
  CHECK(text::trim("\u00e9 ") == "\u00e9");
}

TEST_CASE("length and cut count code points") {
  CHECK(text::length("h\u00e9llo") == 5);
  CHECK(text::length("\U0001F600\u3000") == 2);
  CHECK(text::length("") == 0);
  CHECK(text::cut("h\u00e9llo", 2) == "h\u00e9");
  CHECK(text::cut("\u00e9\u00e9\u00e9", 2) == "\u00e9\u00e9");
  CHECK(text::cut("ab", 5) == "ab");
  CHECK(text::cut("ab", 0) == "");
}

TEST_CASE("word characters are _, letters and numbers") {
  for (char32_t c : {U'a', U'Z', U'0', U'_', U'\u00e9', U'\u00b2', U'\uff13', U'\u0663', U'\u2160',
                     U'\u4e00', U'\U00010400'})
    CHECK(text::is_word_char(c));
  for (char32_t c : {U' ', U'-', U'\'', U'\u00a0', U'\u202f', U'\u0301', U'\u2019', U'\u3000'})
    CHECK_FALSE(text::is_word_char(c));
}
