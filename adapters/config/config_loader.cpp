// The configuration loader (cli.md §2).
#include "adapters/config/config_loader.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <sstream>
#include <string_view>
#include <vector>

namespace opencloser {
namespace {

[[noreturn]] void fail(const std::string& file, const std::string& detail) {
  throw config_error("config load failed: " + file + ": " + detail);
}

toml::table read_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(path, "file not found");
  if (!std::filesystem::is_regular_file(path, ec)) fail(path, "not a regular file");
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    fail(path, "invalid TOML at line " + std::to_string(at.line) + ", column " +
                   std::to_string(at.column) + ": " + std::string(e.description()));
  }
}

// "HH:MM", hour 00-23, minute 00-59, exactly five characters.
std::optional<hh_mm> parse_hh_mm(std::string_view s) {
  const auto digit = [&](std::size_t i) { return s[i] >= '0' && s[i] <= '9'; };
  if (s.size() != 5 || !digit(0) || !digit(1) || s[2] != ':' || !digit(3) || !digit(4))
    return std::nullopt;
  const hh_mm t{(s[0] - '0') * 10 + (s[1] - '0'), (s[3] - '0') * 10 + (s[4] - '0')};
  if (t.hour > 23 || t.minute > 59) return std::nullopt;
  return t;
}

// Typed reads of a TOML value; nullopt on a type mismatch. Numbers accept integers too.
template <class T>
std::optional<T> from_node(const toml::node& node);
template <>
std::optional<std::string> from_node(const toml::node& node) {
  if (const auto* v = node.as_string()) return v->get();
  return std::nullopt;
}
template <>
std::optional<std::int64_t> from_node(const toml::node& node) {
  if (const auto* v = node.as_integer()) return v->get();
  return std::nullopt;
}
template <>
std::optional<double> from_node(const toml::node& node) {
  if (const auto* v = node.as_floating_point()) return v->get();
  if (const auto* v = node.as_integer()) return static_cast<double>(v->get());
  return std::nullopt;
}
template <>
std::optional<bool> from_node(const toml::node& node) {
  if (const auto* v = node.as_boolean()) return v->get();
  return std::nullopt;
}
template <>
std::optional<hh_mm> from_node(const toml::node& node) {
  if (const auto* v = node.as_string()) return parse_hh_mm(v->get());
  return std::nullopt;
}

// The same conversions from an environment variable's text (the whole text must convert).
template <class T>
std::optional<T> from_text(const std::string& s);
template <>
std::optional<std::string> from_text(const std::string& s) {
  return s;
}
template <>
std::optional<std::int64_t> from_text(const std::string& s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}
template <>
std::optional<double> from_text(const std::string& s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}
template <>
std::optional<bool> from_text(const std::string& s) {
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
}
template <>
std::optional<hh_mm> from_text(const std::string& s) {
  return parse_hh_mm(s);
}

// The offending value for error messages; strings in double quotes like environment values.
std::string describe(const toml::node& node) {
  if (node.is_table()) return "a table";
  if (node.is_array()) return "an array";
  if (const auto* s = node.as_string()) return "\"" + s->get() + "\"";
  std::ostringstream out;
  node.visit([&out](const auto& v) { out << v; });
  return out.str();
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// Reads one section: every key read is marked known, so that finish() can reject the rest.
class section_reader {
 public:
  section_reader(const std::string& file, std::string_view name, const toml::table* table,
                 const env_lookup& env)
      : file_(file), name_(name), table_(table), env_(env) {}

  // A scalar key: the file value (if any), then the OPENCLOSER_<SECTION>_<KEY> override; both
  // must satisfy `ok`. `out` keeps its default when neither is given.
  template <class T, class Check>
  void scalar(std::string_view key, bool required, T& out, std::string_view expected, Check ok) {
    const toml::node* node = lookup(key, required);
    if (node) {
      const auto v = from_node<T>(*node);
      if (!v || !ok(*v))
        fail(file_, at(key) + ": expected " + std::string(expected) + ", got " + describe(*node));
      out = *v;
    }
    const auto var = "OPENCLOSER_" + upper(name_) + "_" + upper(key);
    if (const auto text = env_(var)) {
      const auto v = from_text<T>(*text);
      if (!v || !ok(*v))
        fail(file_, var + ": expected " + std::string(expected) + ", got \"" + *text + "\"");
      out = *v;
    }
  }

  template <class T>
  void scalar(std::string_view key, bool required, T& out, std::string_view expected) {
    scalar(key, required, out, expected, [](const T&) { return true; });
  }

  // A string restricted to `choices`.
  void choice(std::string_view key, bool required, std::string& out,
              std::initializer_list<std::string_view> choices) {
    std::string expected;
    for (auto c : choices)
      expected += (expected.empty() ? "" : " or ") + ("\"" + std::string(c) + "\"");
    scalar(key, required, out, expected, [&](const std::string& v) {
      return std::find(choices.begin(), choices.end(), v) != choices.end();
    });
  }

  // Arrays are file-only (cli.md §2: they cannot be overridden from the environment).
  template <class T, class Check>
  std::optional<std::vector<T>> array(std::string_view key, bool required,
                                      std::string_view expected, Check ok) {
    const toml::node* node = lookup(key, required);
    if (!node) return std::nullopt;
    const auto* arr = node->as_array();
    std::vector<T> out;
    for (std::size_t i = 0; arr && i < arr->size(); ++i) {
      const auto v = from_node<T>(*arr->get(i));
      if (!v || !ok(*v))
        arr = nullptr;
      else
        out.push_back(*v);
    }
    if (!arr)
      fail(file_, at(key) + ": expected " + std::string(expected) + ", got " + describe(*node));
    return out;
  }

  void finish() const {
    if (!table_) return;
    for (const auto& [key, value] : *table_)
      if (std::find(known_.begin(), known_.end(), key.str()) == known_.end())
        fail(file_, "unknown key " + at(key.str()));
  }

 private:
  const toml::node* lookup(std::string_view key, bool required) {
    known_.push_back(key);
    const toml::node* node = table_ ? table_->get(key) : nullptr;
    if (!node && required) fail(file_, "missing key " + at(key));
    return node;
  }
  std::string at(std::string_view key) const { return "[" + name_ + "]." + std::string(key); }

  const std::string& file_;
  std::string name_;
  const toml::table* table_;
  const env_lookup& env_;
  std::vector<std::string_view> known_;
};

// Checks the file's top level against `sections` ({name, required}) and returns a reader per
// name on demand.
class file_reader {
 public:
  file_reader(const std::string& path, const env_lookup& env,
              std::initializer_list<std::pair<std::string_view, bool>> sections)
      : path_(path), env_(env), doc_(read_file(path)) {
    for (const auto& [key, value] : doc_) {
      const auto known = std::find_if(sections.begin(), sections.end(),
                                      [&](const auto& s) { return s.first == key.str(); });
      if (known == sections.end()) {
        fail(path_, value.is_table()
                        ? "unknown section [" + std::string(key.str()) + "]"
                        : "unknown key " + std::string(key.str()) + " outside any section");
      }
      if (!value.is_table()) fail(path_, "[" + std::string(key.str()) + "] must be a table");
    }
    for (const auto& [name, required] : sections)
      if (required && !doc_.contains(name))
        fail(path_, "missing section [" + std::string(name) + "]");
  }

  section_reader section(std::string_view name) const {
    return section_reader(path_, name, doc_.get_as<toml::table>(name), env_);
  }

 private:
  const std::string& path_;
  const env_lookup& env_;
  toml::table doc_;
};

constexpr bool required = true;
constexpr bool optional_key = false;

const auto at_least = [](std::int64_t min) { return [min](std::int64_t v) { return v >= min; }; };
const auto finite_at_least = [](double min) {
  return [min](double v) { return std::isfinite(v) && v >= min; };
};
const auto finite_above = [](double min) {
  return [min](double v) { return std::isfinite(v) && v > min; };
};

// "HOST:PORT" (port 0-65535, host non-empty, e.g. "[::1]:4242") or "none".
bool is_listen_address(const std::string& v) {
  if (v == "none") return true;
  const auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == v.size() || v.size() - colon > 6)
    return false;
  if (v.find_first_of(" \t") != std::string::npos) return false;
  unsigned port = 0;
  for (auto c : v.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  return port <= 65535;
}

void load_slice1(settings& s, const std::string& path, const env_lookup& env) {
  const file_reader file(path, env,
                         {{"call_window", required},
                          {"eligibility", required},
                          {"artifacts", required},
                          {"persona", required},
                          {"state", required}});
  constexpr std::string_view hhmm = "\"HH:MM\" with hour 00-23 and minute 00-59";
  auto window = file.section("call_window");
  window.scalar("start", required, s.call_window.start, hhmm);
  window.scalar("end", required, s.call_window.end, hhmm);
  window.finish();

  auto elig = file.section("eligibility");
  elig.scalar("max_attempts", required, s.eligibility.max_attempts, "an integer >= 1", at_least(1));
  // Not validated at load: rule b substitutes and checks it per row (domain.md §5).
  elig.scalar("default_timezone", required, s.eligibility.default_timezone, "a string");
  elig.finish();

  auto artifacts = file.section("artifacts");
  artifacts.scalar("dir", required, s.artifacts_dir, "a string");
  artifacts.choice("schema_version", required, s.artifacts_schema_version, {"slice1-v1"});
  artifacts.finish();

  auto persona = file.section("persona");
  // Compared with the built-in persona at run time, not here.
  persona.scalar("version", required, s.persona_version, "a string");
  persona.finish();

  auto state = file.section("state");
  state.scalar("db", required, s.state_db, "a string");
  state.finish();
}

void load_slice2(settings& s, const std::string& path, const env_lookup& env) {
  const file_reader file(path, env,
                         {{"run", required},
                          {"dataverse", required},
                          {"retry", required},
                          {"task_owners", required},
                          {"redaction", required},
                          {"writeback", optional_key},
                          {"http", optional_key},
                          {"drain", optional_key}});
  auto run = file.section("run");
  run.choice("default_mode", required, s.run_default_mode, {"dry-run", "write-enabled"});
  run.scalar("campaign", required, s.run_campaign, "a string");
  run.finish();

  auto dv = file.section("dataverse");
  dv.scalar("mapping_artifact", required, s.mapping_artifact, "a string");
  dv.choice("callable_status", required, s.callable_status, {"ready"});
  dv.scalar("authority_host", optional_key, s.authority_host, "a string");
  dv.finish();

  auto retry = file.section("retry");
  retry.scalar("max_retries", required, s.retry.max_retries, "an integer >= 0", at_least(0));
  // An empty list would leave the retry loop without a delay to use, so it is rejected too.
  auto backoff = retry.array<double>("backoff_seconds", required,
                                     "a non-empty array of numbers >= 0", finite_at_least(0));
  // An empty list is valid: every retry then waits 0 s (dataverse.md §5).
  s.retry.backoff_seconds = std::move(*backoff);
  retry.scalar("retry_after_cap_seconds", required, s.retry.retry_after_cap_seconds, "a number > 0",
               finite_above(0));
  retry.scalar("max_throttle_wait_seconds", optional_key, s.retry.max_throttle_wait_seconds,
               "a number > 0", finite_above(0));
  retry.finish();

  auto owners = file.section("task_owners");
  // Any string at load; GUID shape and existence are verified at readiness (the predecessor's
  // shipped file carries placeholder text).
  owners.scalar("callback", required, s.task_owner_callback, "a string");
  owners.scalar("review", required, s.task_owner_review, "a string");
  owners.finish();

  auto redaction = file.section("redaction");
  std::string policy = "regex";
  std::string retention = "full";
  redaction.choice("policy", required, policy, {"regex", "noop"});
  redaction.choice("retention", required, retention, {"full", "summary-only"});
  s.redaction.policy =
      policy == "regex" ? redaction_policy_kind::regex : redaction_policy_kind::noop;
  s.redaction.retention = retention == "full" ? retention_mode::full : retention_mode::summary_only;
  // Omitted → built-in patterns (null); a list, even empty, replaces them.
  s.redaction.patterns = redaction.array<std::string>(
      "patterns", optional_key, "an array of strings", [](const std::string&) { return true; });
  redaction.finish();

  auto wb = file.section("writeback");
  wb.choice("mode", optional_key, s.writeback.mode, {"sequential", "batch"});
  wb.scalar("link_regarding", optional_key, s.writeback.link_regarding, "true or false");
  wb.scalar("lease_seconds", optional_key, s.writeback.lease_seconds, "an integer >= 30",
            at_least(30));
  wb.finish();

  auto http = file.section("http");
  http.scalar("timeout_seconds", optional_key, s.http.timeout_seconds, "a number > 0",
              finite_above(0));
  http.scalar("max_in_flight", optional_key, s.http.max_in_flight, "an integer >= 1", at_least(1));
  http.finish();

  auto drain = file.section("drain");
  drain.scalar("concurrency", optional_key, s.drain.concurrency, "an integer >= 1", at_least(1));
  drain.scalar("max_concurrency", optional_key, s.drain.max_concurrency, "an integer >= 1",
               at_least(1));
  drain.scalar("page_size", optional_key, s.drain.page_size, "an integer from 1 to 5000",
               [](std::int64_t v) { return v >= 1 && v <= 5000; });
  drain.scalar("increase_after", optional_key, s.drain.increase_after, "an integer >= 1",
               at_least(1));
  drain.scalar("respect_dop_hint", optional_key, s.drain.respect_dop_hint, "true or false");
  drain.scalar("max_requests_per_second", optional_key, s.drain.max_requests_per_second,
               "a number >= 0", finite_at_least(0));
  drain.scalar("listen", optional_key, s.drain.listen, "\"HOST:PORT\" or \"none\"",
               is_listen_address);
  drain.finish();
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  if (const char* v = std::getenv(name.c_str())) return std::string(v);
  return std::nullopt;
}

settings load_settings(const std::string& slice1_path, const std::string& slice2_path,
                       const env_lookup& getenv_fn) {
  settings s;
  load_slice1(s, slice1_path, getenv_fn);
  load_slice2(s, slice2_path, getenv_fn);
  return s;
}

}  // namespace opencloser
