#include "actors/common/pattern.hpp"

#include <algorithm>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include <pcre2.h>

namespace opencloser {

namespace {

// Python's `\s` on str (= the *trim* set of domain.md §1) as a class body. PCRE2's UCP `\s`
// adds U+180E and lacks U+001C–U+001F, so it is never used.
constexpr std::string_view space_body =
    R"(\x{9}-\x{d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f})"
    R"(\x{205f}\x{3000})";

// Python's IGNORECASE equates i, I, U+0130 and U+0131; PCRE2 10.42 keeps the Turkish ones apart.
constexpr std::string_view turkish_i_body = R"(iI\x{130}\x{131})";

bool is_turkish_i(char32_t c) {
  return c == 'i' || c == 'I' || c == 0x130 || c == 0x131;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::size_t hex_digits(char kind) {
  return kind == 'x' ? 2 : kind == 'u' ? 4 : 8;
}

std::string hex_escape(char32_t c) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  do {
    hex.insert(hex.begin(), digits[c & 0xF]);
    c >>= 4;
  } while (c != 0);
  return "\\x{" + hex + "}";
}

// One pass over a Python pattern, emitting PCRE2 syntax with the same meaning.
class translator {
 public:
  translator(std::string_view src, bool caseless) : s_(src), flags_{caseless, false} {}

  std::string run() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '\\') {
        escape_outside_class();
      } else if (c == '[') {
        char_class();
      } else if (c == '(') {
        group_open();
      } else if (c == ')') {
        out_ += ')';
        ++i_;
        if (!scopes_.empty()) {
          flags_ = scopes_.back();
          scopes_.pop_back();
        }
      } else if (c == '{') {
        brace();
      } else if (c == '#' && flags_.verbose) {
        const std::size_t nl = s_.find('\n', i_);
        copy_to(nl == std::string_view::npos ? s_.size() : nl + 1);
      } else {
        const std::size_t len = cp_len(i_);
        literal(decode(i_, len), s_.substr(i_, len));
        i_ += len;
      }
    }
    return std::move(out_);
  }

 private:
  struct flags {
    bool caseless;
    bool verbose;
  };

  struct class_item {
    std::string text;
    std::optional<char32_t> cp;  ///< set when the item is a single code point
    bool non_space = false;      ///< `\S`
  };

  std::size_t cp_len(std::size_t at) const {
    const auto b = static_cast<unsigned char>(s_[at]);
    const std::size_t len = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    return std::min(len, s_.size() - at);
  }

  char32_t decode(std::size_t at, std::size_t len) const {
    const auto b = static_cast<unsigned char>(s_[at]);
    if (len == 1) return b;
    char32_t c = b & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k)
      c = (c << 6) | (static_cast<unsigned char>(s_[at + k]) & 0x3F);
    return c;
  }

  void copy_to(std::size_t end) {
    out_.append(s_.substr(i_, end - i_));
    i_ = end;
  }

  // Copies from i_ through the first `close` at or after `from` (or to the end).
  void copy_through(std::size_t from, char close) {
    const std::size_t at = s_.find(close, from);
    copy_to(at == std::string_view::npos ? s_.size() : at + 1);
  }

  void literal(char32_t c, std::string_view text) {
    if (flags_.caseless && is_turkish_i(c)) {
      out_ += '[';
      out_ += turkish_i_body;
      out_ += ']';
    } else {
      out_ += text;
    }
  }

  // `\xHH`, `\uHHHH`, `\UHHHHHHHH` (Python requires exactly that many digits).
  std::optional<char32_t> hex_code(char kind) const {
    const std::size_t digits = hex_digits(kind);
    if (i_ + 2 + digits > s_.size()) return std::nullopt;
    char32_t c = 0;
    for (std::size_t k = 0; k < digits; ++k) {
      const char h = s_[i_ + 2 + k];
      if (!is_hex(h)) return std::nullopt;
      c = c * 16 + static_cast<char32_t>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
    }
    return c;
  }

  void escape_outside_class() {
    if (i_ + 1 >= s_.size()) return copy_to(s_.size());  // PCRE2 reports the trailing `\`
    const char e = s_[i_ + 1];
    switch (e) {
      case 's':
        out_.append("[").append(space_body).append("]");
        i_ += 2;
        return;
      case 'S':
        out_.append("[^").append(space_body).append("]");
        i_ += 2;
        return;
      case 'Z':  // Python's \Z is the very end; PCRE2's would also allow a final newline
        out_ += "\\z";
        i_ += 2;
        return;
      case 'B':  // Python's \B never matches an empty subject
        out_ += "(?:\\B(?!\\A\\z))";
        i_ += 2;
        return;
      case 'v':  // Python: the VT character; PCRE2: vertical-space class
        out_ += "\\x{b}";
        i_ += 2;
        return;
      case 'x':
      case 'u':
      case 'U':
        if (const auto c = hex_code(e)) {
          literal(*c, hex_escape(*c));
          i_ += 2 + hex_digits(e);
          return;
        }
        break;
      default:
        break;
    }
    if ((e == 'p' || e == 'P' || e == 'x' || e == 'N') && i_ + 2 < s_.size() && s_[i_ + 2] == '{')
      return copy_through(i_ + 2, '}');
    copy_to(i_ + 1 + cp_len(i_ + 1));
  }

  // `{,n}` is Python's `{0,n}`; PCRE2 10.42 would read it as literal text.
  void brace() {
    std::size_t k = i_ + 1;
    if (k < s_.size() && s_[k] == ',') {
      std::size_t m = k + 1;
      while (m < s_.size() && s_[m] >= '0' && s_[m] <= '9') ++m;
      if (m < s_.size() && s_[m] == '}') {
        out_ += "{0";
        ++i_;
        return copy_to(m + 1);
      }
    }
    out_ += '{';
    ++i_;
  }

  void group_open() {
    if (i_ + 1 >= s_.size() || s_[i_ + 1] != '?') {
      out_ += '(';
      ++i_;
      scopes_.push_back(flags_);
      return;
    }
    const std::string_view rest = s_.substr(i_ + 2);
    if (rest.starts_with("#") || rest.starts_with("P=") || rest.starts_with("P>"))
      return copy_through(i_ + 2, ')');  // comment or back-reference: no scope
    scopes_.push_back(flags_);
    if (rest.starts_with("P<") ||
        (rest.starts_with("<") && !rest.starts_with("<=") && !rest.starts_with("<!")))
      return copy_through(i_ + 2, '>');  // named group: the name is not pattern text
    if (rest.starts_with("'")) return copy_through(i_ + 3, '\'');
    if (rest.starts_with("(")) return copy_through(i_ + 3, ')');  // conditional
    if (flag_group(rest)) return;
    out_ += "(?";
    i_ += 2;
  }

  // `(?aiLmsux-imsx)` or `(?aiLmsux-imsx:`; returns false when `rest` is something else.
  bool flag_group(std::string_view rest) {
    static constexpr std::string_view letters = "aiLmsux";
    std::size_t k = 0;
    while (k < rest.size() && letters.find(rest[k]) != std::string_view::npos) ++k;
    const std::size_t on_end = k;
    if (k < rest.size() && rest[k] == '-')
      while (++k < rest.size() && letters.find(rest[k]) != std::string_view::npos) {
      }
    if (k == 0 || k >= rest.size() || (rest[k] != ')' && rest[k] != ':')) return false;
    flags next = flags_;
    std::string emitted;
    for (std::size_t j = 0; j < k; ++j) {
      const char f = rest[j];
      const bool on = j < on_end;
      if (f == 'i') next.caseless = on;
      if (f == 'x') next.verbose = on;
      if (f != 'u') emitted += f;  // Unicode is already the default of Python 3 str patterns
    }
    if (emitted == "-") emitted.clear();
    if (rest[k] == ')') {
      scopes_.pop_back();  // a bare flag setting lasts to the end of the enclosing group
      if (!emitted.empty()) out_ += "(?" + emitted + ")";
    } else {
      out_ += "(?" + emitted + ":";
    }
    flags_ = next;
    i_ += 2 + k + 1;
    return true;
  }

  class_item next_class_item() {
    class_item item;
    const char c = s_[i_];
    if (c == '[') {  // literal in Python; PCRE2 would see a POSIX class `[:…:]`
      ++i_;
      return {"\\[", U'[', false};
    }
    if (c == ']') {
      ++i_;
      return {"\\]", U']', false};
    }
    if (c != '\\' || i_ + 1 >= s_.size()) {
      const std::size_t len = cp_len(i_);
      item = {std::string(s_.substr(i_, len)), decode(i_, len), false};
      i_ += len;
      return item;
    }
    const char e = s_[i_ + 1];
    if (e == 's' || e == 'S') {
      i_ += 2;
      return {e == 's' ? std::string(space_body) : std::string(), std::nullopt, e == 'S'};
    }
    if (e == 'x' || e == 'u' || e == 'U' || e == 'v') {
      const auto code = e == 'v' ? std::optional<char32_t>(0x0B) : hex_code(e);
      if (code) {
        i_ += 2 + (e == 'v' ? 0 : hex_digits(e));
        return {hex_escape(*code), code, false};
      }
    }
    if ((e == 'p' || e == 'P' || e == 'x') && i_ + 2 < s_.size() && s_[i_ + 2] == '{') {
      const std::size_t close = s_.find('}', i_ + 2);
      const std::size_t end = close == std::string_view::npos ? s_.size() : close + 1;
      item.text = std::string(s_.substr(i_, end - i_));
      i_ = end;
      return item;
    }
    static constexpr std::string_view controls = "tnrfab";
    static constexpr char32_t control_codes[] = {9, 10, 13, 12, 7, 8};
    const std::size_t len = 1 + cp_len(i_ + 1);
    item.text = std::string(s_.substr(i_, len));
    if (const auto at = controls.find(e); at != std::string_view::npos)
      item.cp = control_codes[at];
    else if (!is_ascii_alnum(e))
      item.cp = decode(i_ + 1, len - 1);
    i_ += len;
    return item;
  }

  void char_class() {
    ++i_;
    const bool negated = i_ < s_.size() && s_[i_] == '^';
    if (negated) ++i_;
    std::string body;
    bool non_space = false, mentions_i = false, closed = false, first = true;
    while (i_ < s_.size()) {
      if (s_[i_] == ']' && !first) {
        ++i_;
        closed = true;
        break;
      }
      first = false;
      class_item item = next_class_item();
      if (item.non_space) {
        non_space = true;
        continue;
      }
      if (item.cp && i_ + 1 < s_.size() && s_[i_] == '-' && s_[i_ + 1] != ']') {
        ++i_;
        const class_item hi = next_class_item();
        body += item.text + "-" + (hi.non_space ? std::string("\\S") : hi.text);
        if (hi.cp)
          for (char32_t c : {U'I', U'i', char32_t{0x130}, char32_t{0x131}})
            mentions_i = mentions_i || (*item.cp <= c && c <= *hi.cp);
        continue;
      }
      body += item.text;
      mentions_i = mentions_i || (item.cp && is_turkish_i(*item.cp));
    }
    if (!closed) {  // unterminated: let PCRE2 report it
      out_ += negated ? "[^" : "[";
      out_ += body;
      return;
    }
    if (flags_.caseless && mentions_i) body += turkish_i_body;
    const std::string space(space_body);
    if (!non_space)
      out_ += (negated ? "[^" : "[") + body + "]";
    else if (body.empty())
      out_ += negated ? "[" + space + "]" : "[^" + space + "]";
    else if (!negated)  // [X\S] = X or a non-space
      out_ += "(?:[" + body + "]|[^" + space + "])";
    else  // [^X\S] = a space that is not X
      out_ += "(?:(?![" + body + "])[" + space + "])";
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::string out_;
  flags flags_;
  std::vector<flags> scopes_;  ///< flags to restore at each open group's `)`
};

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  const int n = pcre2_get_error_message(code, buffer, sizeof buffer);
  if (n < 0) return "PCRE2 error " + std::to_string(code);
  return std::string(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(n));
}

// One ovector pair is enough: only the overall match is used (rc 0 = "ovector too small" is
// still a match). Per thread, because a compiled pattern is shared across threads.
pcre2_match_data* thread_match_data() {
  struct holder {
    pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
    ~holder() { pcre2_match_data_free(data); }
  };
  thread_local holder h;
  if (h.data == nullptr) throw std::bad_alloc();
  return h.data;
}

// Runs one match; nullopt on no match, pattern_error on a subject PCRE2 rejects.
std::optional<match_span> match_once(const pcre2_code* code, std::string_view subject,
                                     std::size_t start, std::uint32_t options) {
  static constexpr char empty[] = "";
  const auto* data = reinterpret_cast<PCRE2_SPTR>(subject.data() ? subject.data() : empty);
  pcre2_match_data* md = thread_match_data();
  int rc = pcre2_match(code, data, subject.size(), start, options, md, nullptr);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT)  // the interpreter keeps its backtracking on the heap
    rc = pcre2_match(code, data, subject.size(), start, options | PCRE2_NO_JIT, md, nullptr);
  if (rc == PCRE2_ERROR_NOMATCH) return std::nullopt;
  if (rc < 0) throw pattern_error(pcre2_message(rc));
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  return match_span{ov[0], ov[1]};
}

std::size_t utf8_len(unsigned char lead) {
  return lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

}  // namespace

std::string translate_python_re(std::string_view python_re, bool caseless) {
  return translator(python_re, caseless).run();
}

pattern pattern::compile(std::string_view python_re, bool caseless) {
  const std::string source = translate_python_re(python_re, caseless);
  pcre2_compile_context* ctx = pcre2_compile_context_create(nullptr);
  if (ctx == nullptr) throw std::bad_alloc();
  pcre2_set_newline(ctx, PCRE2_NEWLINE_LF);  // Python's `.`, `$` and `^` only know LF
  int error = 0;
  PCRE2_SIZE offset = 0;
  const std::uint32_t options =
      PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C | (caseless ? PCRE2_CASELESS : 0u);
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(source.data()), source.size(),
                                   options, &error, &offset, ctx);
  pcre2_compile_context_free(ctx);
  if (code == nullptr) throw pattern_error(pcre2_message(error));
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // failure is fine: the interpreter still works
  return pattern(std::shared_ptr<const pcre2_real_code_8>(code, [](const pcre2_real_code_8* c) {
    pcre2_code_free(const_cast<pcre2_real_code_8*>(c));
  }));
}

std::optional<match_span> pattern::find(std::string_view subject, std::size_t start_byte) const {
  return match_once(code_.get(), subject, start_byte, 0);
}

std::vector<match_span> pattern::find_all(std::string_view subject, std::size_t start_byte) const {
  std::vector<match_span> spans;
  std::size_t pos = start_byte;
  // The first call validates the UTF-8 from `start_byte` (minus any look-behind) to the end,
  // which covers every later call.
  std::uint32_t checked = 0;
  bool after_empty = false;
  while (pos <= subject.size()) {
    // After an empty match, first try a non-empty match at the same place (Python ≥ 3.7).
    const std::uint32_t retry = after_empty ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
    const auto m = match_once(code_.get(), subject, pos, checked | retry);
    checked = PCRE2_NO_UTF_CHECK;
    if (!m) {
      if (!after_empty || pos >= subject.size()) break;
      after_empty = false;
      pos += utf8_len(static_cast<unsigned char>(subject[pos]));
      continue;
    }
    spans.push_back(*m);
    after_empty = m->begin == m->end;
    pos = m->end;
  }
  return spans;
}

std::string pattern::replace_all(std::string_view subject, std::string_view replacement) const {
  std::string out;
  out.reserve(subject.size());
  std::size_t copied = 0;
  for (const match_span& m : find_all(subject)) {
    out.append(subject.substr(copied, m.begin - copied));
    out.append(replacement);
    copied = m.end;
  }
  out.append(subject.substr(copied));
  return out;
}

}  // namespace opencloser
