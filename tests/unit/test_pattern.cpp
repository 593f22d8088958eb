// Python `re` semantics on PCRE2 (domain.md §1): \s, \d, \b, caseless, syntax translation,
// find_all's empty-match rule, errors and sharing across threads.
#include <catch2/catch.hpp>

#include <thread>

#include "actors/common/pattern.hpp"
#include "actors/common/text.hpp"

using namespace opencloser;

namespace {

std::string cp(char32_t c) {
  return text::encode_utf8(std::u32string(1, c));
}

bool full_match(std::string_view re, std::string_view subject, bool caseless = false) {
  const auto m = pattern::compile(re, caseless).find(subject);
  return m && m->begin == 0 && m->end == subject.size();
}

}  // namespace

TEST_CASE("backslash-s and backslash-S are exactly the trim set, in and out of classes") {
  const auto space = pattern::compile(R"(^\s$)");
  const auto non_space = pattern::compile(R"(^\S$)");
  const auto in_class = pattern::compile(R"(^[\s]$)");
  const auto negated = pattern::compile(R"(^[^\s]$)");
  for (char32_t c = 1; c < 0x3100; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    const std::string s = cp(c);
    const bool expected = text::is_trim_space(c);
    if (space.find(s).has_value() != expected || non_space.find(s).has_value() == expected ||
        in_class.find(s).has_value() != expected || negated.find(s).has_value() == expected)
      FAIL("\\s disagrees with the trim set at U+" << std::hex << static_cast<unsigned>(c));
  }
  CHECK(space.find(cp(0x180E)) == std::nullopt);  // PCRE2's own \s would match it
  CHECK(space.find(cp(0x1C)).has_value());        // and would not match this one
  // \S inside a class, alone and with other members.
  CHECK(full_match(R"([\S]+)", "ab\u00e9"));
  CHECK_FALSE(full_match(R"([\S])", "\u00a0"));
  CHECK(full_match(R"([^\S])", "\u202f"));
  CHECK(full_match(R"([a\S]+)", "xa\u00e9"));
  CHECK_FALSE(full_match(R"([^a\S])", "a"));
  CHECK(full_match(R"([^a\S])", "\u3000"));
  CHECK_FALSE(full_match(R"([^a\S])", "b"));
}

TEST_CASE("backslash-d is any Nd digit and backslash-b follows Unicode word characters") {
  CHECK(full_match(R"(\d\d\d)", "3\uff13\u0663"));
  CHECK_FALSE(full_match(R"(\d)", "\u00b2"));  // No, not Nd
  CHECK(pattern::compile(R"(\bcaf\u00e9\b)").find("un caf\u00e9!").has_value());
  CHECK_FALSE(pattern::compile(R"(\bcaf\b)").find("caf\u00e9").has_value());
  CHECK(pattern::compile(R"(\bx\b)").find("\u00a0x\u00a0").has_value());
  CHECK_FALSE(pattern::compile(R"(\B)").find("").has_value());  // Python quirk kept
  CHECK(pattern::compile(R"(\B)").find("ab") == match_span{1, 1});
}

TEST_CASE("hour pattern treats no-break spaces as backslash-s") {
  const auto hour = pattern::compile(R"(\b\d{1,2}(?::\d{2}\s*(?:am|pm)?|\s*(?:am|pm))\b)", true);
  const std::string narrow = "at 2:30\u202fPM then";
  const auto m = hour.find(narrow);
  REQUIRE(m);
  CHECK(narrow.substr(m->begin, m->end - m->begin) == "2:30\u202fPM");
  const std::string trailing = "call me back at 2:30 please";
  const auto t = hour.find(trailing);
  REQUIRE(t);
  CHECK(trailing.substr(t->begin, t->end - t->begin) == "2:30 ");
  CHECK_FALSE(hour.find("call back at 3").has_value());
  const std::string fullwidth = "at \uff13pm";
  const auto f = hour.find(fullwidth);
  REQUIRE(f);
  CHECK(fullwidth.substr(f->begin) == "\uff13pm");
}

TEST_CASE("case-insensitive matching equates the Python special cases") {
  CHECK(full_match("k", "\u212a", true));
  CHECK(full_match("\u212a", "K", true));
  CHECK(full_match("s", "\u017f", true));
  CHECK(full_match("i", "\u0130", true));
  CHECK(full_match("I", "\u0131", true));
  CHECK(full_match("\u0130", "i", true));
  CHECK(full_match("\u0131", "\u0130", true));
  CHECK(full_match("fr[a-z]day", "FR\u0130DAY", true));
  CHECK(full_match("friday", "FR\u0130DAY", true));
  CHECK(full_match("tonight", "ton\u0131ght", true));
  CHECK_FALSE(full_match("[^a-z]", "\u0131", true));
  CHECK_FALSE(full_match("[a-h]", "\u0131", true));
  // Only in case-insensitive scopes.
  CHECK_FALSE(full_match("i", "\u0130"));
  CHECK_FALSE(full_match("i", "I"));
  CHECK(full_match("(?i)i", "\u0130"));
  CHECK(full_match("(?i:i)x", "\u0131x"));
  CHECK_FALSE(full_match("(?i:i)x", "\u0131X"));
  CHECK_FALSE(full_match("(?i)(?-i:i)", "\u0130"));
  // Group names and flag letters are not pattern text.
  CHECK(full_match("(?P<id>i)(?P=id)", "II", true));
}

TEST_CASE("Python syntax is translated where PCRE2 differs") {
  CHECK(translate_python_re(R"(a\Z)") == R"(a\z)");
  CHECK(translate_python_re("a{,3}") == "a{0,3}");
  CHECK(translate_python_re("a{,}") == "a{0,}");
  CHECK(translate_python_re(R"(\u00e9\U0001F600)") == R"(\x{e9}\x{1f600})");
  CHECK(translate_python_re("(?u)a(?u:b)") == "a(?:b)");
  CHECK(translate_python_re("[[:a]") == R"([\[:a])");
  CHECK(translate_python_re("(?P<id>i)", true) == R"((?P<id>[iI\x{130}\x{131}]))");
  CHECK_FALSE(pattern::compile(R"(a\Z)").find("a\n").has_value());
  CHECK(pattern::compile(R"(a$)").find("a\n").has_value());
  CHECK(full_match("a{,2}", "aa"));
  CHECK_FALSE(full_match("a{,2}", "aaa"));
  CHECK(full_match(R"(\v)", "\v"));
  CHECK_FALSE(full_match(R"(\v)", "\n"));
  CHECK(full_match("[[:a]+", "[:a"));
  CHECK(full_match(R"((?P<area>[0-9]{3})-(?P=area))", "555-555"));
  CHECK_FALSE(full_match(R"((?P<area>[0-9]{3})-(?P=area))", "555-556"));
  CHECK(pattern::compile(R"((?<=ssn )\d+)").find("ssn 123") == match_span{4, 7});
  CHECK(full_match("(?i)secret", "SeCrEt"));
  CHECK(full_match("(?x) a  b # comment (with [ brackets\n c", "abc"));
  CHECK(full_match(R"((?#note)x)", "x"));
}

TEST_CASE("find_all steps over empty matches like Python's finditer") {
  const auto x = pattern::compile("x*");
  CHECK(x.find_all("abxd") == std::vector<match_span>{{0, 0}, {1, 1}, {2, 3}, {3, 3}, {4, 4}});
  CHECK(x.replace_all("abxd", "-") == "-a-b--d-");
  CHECK(x.find_all("\u00e9") == std::vector<match_span>{{0, 0}, {2, 2}});  // one code point
  const auto digits = pattern::compile(R"(\d+)");
  CHECK(digits.find_all("a1b22c333") == std::vector<match_span>{{1, 2}, {3, 5}, {6, 9}});
  CHECK(digits.find_all("a1b22", 2) == std::vector<match_span>{{3, 5}});
  CHECK(digits.find("a1b22", 2) == match_span{3, 5});
  CHECK(digits.replace_all("a1b22", "$0\\1") == "a$0\\1b$0\\1");  // literal replacement
  CHECK(digits.replace_all("none", "#") == "none");
}

TEST_CASE("compile errors and bad subjects raise pattern_error with PCRE2's message") {
  CHECK_THROWS_AS(pattern::compile("(unclosed"), pattern_error);
  CHECK_THROWS_WITH(pattern::compile("(unclosed"), "missing closing parenthesis");
  CHECK_THROWS_AS(pattern::compile("[a"), pattern_error);
  const auto p = pattern::compile("b");
  CHECK_THROWS_AS(p.find("a\xFF"
                         "b"),
                  pattern_error);
  CHECK_THROWS_AS(p.find("\u00e9b", 1), pattern_error);  // not a code-point boundary
}

TEST_CASE("a compiled pattern is shared read-only across threads") {
  const auto email = pattern::compile(R"(\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b)");
  std::string subject;
  for (int i = 0; i < 200; ++i) subject += "mail user" + std::to_string(i) + "@host.example.com; ";
  const auto expected = email.find_all(subject);
  REQUIRE(expected.size() == 200);
  bool same[2] = {false, false};
  std::thread workers[2];
  for (int t = 0; t < 2; ++t)
    workers[t] = std::thread([&, t] {
      bool ok = true;
      for (int round = 0; round < 50; ++round) ok = ok && email.find_all(subject) == expected;
      same[t] = ok;
    });
  for (auto& w : workers) w.join();
  CHECK(same[0]);
  CHECK(same[1]);
}
