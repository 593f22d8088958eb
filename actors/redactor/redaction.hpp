#pragma once
// Transcript redaction (dataverse.md §11): built-in or user patterns in Python `re` syntax,
// each applied in order, every match replaced by `[REDACTED]`; retention decides whether a
// transcript file exists at all.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "actors/common/pattern.hpp"
#include "messages/settings.hpp"

namespace opencloser {

/// The policy does not compile; `what()` is the readiness message of dataverse.md §11.
struct redaction_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr std::string_view redaction_marker = "[REDACTED]";

/// The two built-in patterns (e-mail, then phone), verbatim Python syntax.
std::vector<std::string> builtin_redaction_patterns();

class transcript_redactor {
 public:
  /// Compiles the policy's patterns (built-ins when the list is omitted). A `noop` policy
  /// compiles nothing. Throws redaction_error naming the first pattern that fails.
  static transcript_redactor compile(const redaction_settings& settings);

  /// `regex` policy with an explicit empty list: the caller warns `redaction_patterns_empty`.
  bool patterns_empty() const { return patterns_empty_; }

  /// Applies every pattern in order; `noop` returns the text unchanged.
  std::string redact(std::string_view text) const;

  /// The content of `transcript.txt` for a transcript rendered by `render_transcript`:
  /// nullopt under `summary-only`, else the redacted text ending in exactly one added LF
  /// (none added when it already ends in LF).
  std::optional<std::string> transcript_file_text(std::string_view rendered) const;

 private:
  transcript_redactor() = default;
  retention_mode retention_ = retention_mode::full;
  bool patterns_empty_ = false;
  std::vector<pattern> patterns_;
};

}  // namespace opencloser
