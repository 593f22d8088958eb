#pragma once
// The text rules of domain.md §1: UTF-8 handled as code points, Python 3 `str.lower()`, the
// *trim* set, code-point length and cut, and the word-character class of `\w` / `\b`.

#include <cstddef>
#include <string>
#include <string_view>

namespace opencloser::text {

/// Decodes UTF-8; each maximal invalid subpart becomes one U+FFFD (as Python's 'replace').
std::u32string decode_utf8(std::string_view bytes);

/// Encodes code points; surrogates and values above U+10FFFF become U+FFFD.
std::string encode_utf8(std::u32string_view code_points);

/// Python 3 `str.lower()`: full lower-case mapping (U+0130 → `i` U+0307, U+212A → `k`) and the
/// Final_Sigma rule for U+03A3.
std::string lower(std::string_view s);

/// True for the code points of the *trim* set (= Python's `str.isspace()`, = `\s`).
bool is_trim_space(char32_t c);

/// Removes *trim*-set code points at both ends.
std::string trim(std::string_view s);

/// Number of code points.
std::size_t length(std::string_view s);

/// The first `n` code points (the whole string when shorter).
std::string cut(std::string_view s, std::size_t n);

/// `_` or a letter or number code point (general categories L*, Nd, Nl, No).
bool is_word_char(char32_t c);

}  // namespace opencloser::text
