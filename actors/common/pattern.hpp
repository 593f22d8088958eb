#pragma once
// Regular expressions with Python 3 `re` semantics on Unicode text (domain.md §1), compiled by
// PCRE2 (8-bit, UTF + UCP, JIT when available) after a small Python-to-PCRE2 translation.
// A compiled pattern is immutable and may be shared by any number of threads.

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct pcre2_real_code_8;

namespace opencloser {

/// A pattern that does not compile, or a subject PCRE2 rejects (invalid UTF-8, bad offset);
/// `what()` is PCRE2's message.
struct pattern_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Byte offsets of a match in the subject: [begin, end).
struct match_span {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool operator==(const match_span&) const = default;
};

class pattern {
 public:
  /// Compiles a pattern written in Python `re` syntax; `caseless` is `re.IGNORECASE`.
  static pattern compile(std::string_view python_re, bool caseless = false);

  /// The leftmost match starting at or after `start_byte` (a code-point boundary).
  std::optional<match_span> find(std::string_view subject, std::size_t start_byte = 0) const;

  /// Every non-overlapping leftmost match, as Python's `re.finditer` (an empty match may follow a
  /// non-empty one; after an empty match the scan moves on by one code point).
  std::vector<match_span> find_all(std::string_view subject, std::size_t start_byte = 0) const;

  /// Replaces every match of find_all by `replacement`, taken literally.
  std::string replace_all(std::string_view subject, std::string_view replacement) const;

 private:
  explicit pattern(std::shared_ptr<const pcre2_real_code_8> code) : code_(std::move(code)) {}
  std::shared_ptr<const pcre2_real_code_8> code_;
};

/// The PCRE2 source compile() feeds to PCRE2 for a Python pattern (exposed for tests):
/// `\s`/`\S` spelled as the *trim* set, `\Z` → `\z`, `{,n}` → `{0,n}`, `\v`/`\uXXXX`/`\UXXXXXXXX`
/// → `\x{…}`, `(?u)` dropped, `[` inside a class escaped, and in case-insensitive scopes `i`, `I`,
/// U+0130 and U+0131 made equivalent (PCRE2 10.42 does not fold the Turkish i's, Python does).
std::string translate_python_re(std::string_view python_re, bool caseless = false);

}  // namespace opencloser
