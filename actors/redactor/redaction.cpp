#include "actors/redactor/redaction.hpp"

namespace opencloser {

std::vector<std::string> builtin_redaction_patterns() {
  return {
      R"(\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b)",
      R"((?:\+?[0-9]{1,2}[\s.\-])?\(?[0-9]{3}\)?[\s.\-]?[0-9]{3}[\s.\-]?[0-9]{4})",
  };
}

transcript_redactor transcript_redactor::compile(const redaction_settings& settings) {
  transcript_redactor r;
  r.retention_ = settings.retention;
  // `noop` never applies its patterns, so they are neither compiled nor able to block readiness.
  if (settings.policy == redaction_policy_kind::noop) return r;
  const std::vector<std::string> sources =
      settings.patterns ? *settings.patterns : builtin_redaction_patterns();
  r.patterns_empty_ = sources.empty();
  r.patterns_.reserve(sources.size());
  for (const std::string& source : sources) {
    try {
      r.patterns_.push_back(pattern::compile(source));
    } catch (const pattern_error& e) {
      throw redaction_error("redaction policy invalid: Invalid redaction regex '" + source +
                            "': " + e.what());
    }
  }
  return r;
}

std::string transcript_redactor::redact(std::string_view text) const {
  std::string out(text);
  for (const pattern& p : patterns_) out = p.replace_all(out, redaction_marker);
  return out;
}

std::optional<std::string> transcript_redactor::transcript_file_text(
    std::string_view rendered) const {
  if (retention_ == retention_mode::summary_only) return std::nullopt;
  std::string out = redact(rendered);
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

}  // namespace opencloser
