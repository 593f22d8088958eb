// Transcript redaction at the logic level (dataverse.md §11, conformance.md §14).
#include <catch2/catch.hpp>

#include "actors/call_simulator/persona.hpp"
#include "actors/redactor/redaction.hpp"

using namespace opencloser;

namespace {

transcript_redactor with_patterns(std::vector<std::string> patterns) {
  redaction_settings settings;
  settings.patterns = std::move(patterns);
  return transcript_redactor::compile(settings);
}

}  // namespace

TEST_CASE("built-in patterns are the two of dataverse.md §11, verbatim") {
  CHECK(builtin_redaction_patterns() ==
        std::vector<std::string>{
            R"(\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b)",
            R"((?:\+?[0-9]{1,2}[\s.\-])?\(?[0-9]{3}\)?[\s.\-]?[0-9]{3}[\s.\-]?[0-9]{4})"});
}

TEST_CASE("regex/full redacts phone numbers and e-mails in the transcript file") {
  const auto redactor = transcript_redactor::compile(redaction_settings{});
  CHECK_FALSE(redactor.patterns_empty());
  const std::vector<conversation_turn> turns{
      {"persona", std::string(canonical_disclosure)},
      {"contact", "Reach me at jo.smith@maple.example.org or 555-123-4567."}};
  const auto file = redactor.transcript_file_text(render_transcript(turns));
  REQUIRE(file);
  CHECK(*file == "[persona] " + std::string(canonical_disclosure) +
                     "\n[contact] Reach me at [REDACTED] or [REDACTED].\n");
  CHECK(file->find("jo.smith") == std::string::npos);
  CHECK(file->find("4567") == std::string::npos);
}

TEST_CASE("phone pattern matches each documented format as one match") {
  const auto phone = pattern::compile(builtin_redaction_patterns()[1]);
  const auto redactor = transcript_redactor::compile(redaction_settings{});
  for (const std::string number :
       {"555-123-4567", "5551234567", "555.123.4567", "(555) 123-4567", "+1 555 123 4567",
        "555\u00a0123\u00a04567", "555\u202f123\u202f4567", "+1\u00a0555\u202f123 4567"}) {
    INFO(number);
    CHECK(phone.find_all(number) == std::vector<match_span>{{0, number.size()}});
    CHECK(redactor.redact("call " + number + " now") == "call [REDACTED] now");
  }
}

TEST_CASE("user patterns in Python syntax compile and redact, in order") {
  CHECK(with_patterns({R"((?P<area>[0-9]{3})-(?P=area))"}).redact("555-555-0100, 555-556") ==
        "[REDACTED]-0100, 555-556");
  CHECK(with_patterns({"(?i)secret"}).redact("SECRET and Secret") == "[REDACTED] and [REDACTED]");
  CHECK(with_patterns({R"((?<=ssn )\d{3}-\d{2}-\d{4})"}).redact("ssn 123-45-6789") ==
        "ssn [REDACTED]");
  // The second pattern sees the output of the first.
  CHECK(with_patterns({"a", "REDACTED"}).redact("a") == "[[REDACTED]]");
  // Replacement is literal even when the match could be read as a group reference.
  CHECK(with_patterns({R"(\d)"}).redact("x1") == "x[REDACTED]");
}

TEST_CASE("summary-only retention writes no transcript file") {
  redaction_settings settings;
  settings.retention = retention_mode::summary_only;
  const std::vector<conversation_turn> turns{{"contact", "a@b.example.com"}};
  CHECK(transcript_redactor::compile(settings).transcript_file_text(render_transcript(turns)) ==
        std::nullopt);
  settings.policy = redaction_policy_kind::noop;
  CHECK(transcript_redactor::compile(settings).transcript_file_text(render_transcript(turns)) ==
        std::nullopt);
}

TEST_CASE("noop policy keeps the originals") {
  redaction_settings settings;
  settings.policy = redaction_policy_kind::noop;
  settings.patterns = std::vector<std::string>{"(unclosed"};  // never compiled under noop
  const auto redactor = transcript_redactor::compile(settings);
  CHECK_FALSE(redactor.patterns_empty());
  const std::vector<conversation_turn> turns{{"contact", "555-123-4567 a@b.example.com\n"}};
  CHECK(redactor.transcript_file_text(render_transcript(turns)) ==
        "[contact] 555-123-4567 a@b.example.com\n");
}

TEST_CASE("an invalid pattern blocks with the readiness message") {
  CHECK_THROWS_AS(with_patterns({"[0-9]+", "(unclosed"}), redaction_error);
  CHECK_THROWS_WITH(
      with_patterns({"[0-9]+", "(unclosed"}),
      "redaction policy invalid: Invalid redaction regex '(unclosed': missing closing parenthesis");
  CHECK_THROWS_WITH(
      with_patterns({"a{2,1}"}),
      Catch::StartsWith("redaction policy invalid: Invalid redaction regex 'a{2,1}': "));
}

TEST_CASE("an explicit empty pattern list redacts nothing and is reported") {
  const auto redactor = with_patterns({});
  CHECK(redactor.patterns_empty());
  CHECK(redactor.redact("555-123-4567 a@b.example.com") == "555-123-4567 a@b.example.com");
}
