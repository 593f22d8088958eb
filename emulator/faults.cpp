#include "emulator/faults.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "actors/common/ids.hpp"

namespace opencloser::emulator {

namespace {

struct action_name {
  fault_action action;
  std::string_view name;
};

constexpr std::array<action_name, 8> action_names{{
    {fault_action::status, "status"},
    {fault_action::latency, "latency"},
    {fault_action::reset, "reset"},
    {fault_action::lost_response, "lost_response"},
    {fault_action::human_edit, "human_edit"},
    {fault_action::delete_row, "delete_row"},
    {fault_action::bump_version, "bump_version"},
    {fault_action::barrier, "barrier"},
}};

constexpr std::array<std::string_view, 13> rule_keys{
    "id",         "match", "skip", "times",  "probability", "action", "status", "retry_after_s",
    "latency_ms", "count", "when", "target", "changes"};
constexpr std::array<std::string_view, 5> match_keys{"method", "path", "query_contains", "inner",
                                                     "client_id"};
constexpr std::array<std::string_view, 2> target_keys{"table", "id"};

std::string rule_prefix(std::size_t index, std::string_view id) {
  std::string prefix = "fault rule #" + std::to_string(index);
  if (!id.empty()) {
    prefix += " (";
    prefix += id;
    prefix += ')';
  }
  return prefix + ": ";
}

template <std::size_t N>
std::string joined(const std::array<std::string_view, N>& names) {
  std::string out;
  for (const auto name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::vector<std::string> split_methods(std::string_view method) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto bar = method.find('|', start);
    out.emplace_back(method.substr(start, bar == std::string_view::npos ? bar : bar - start));
    if (bar == std::string_view::npos) return out;
    start = bar + 1;
  }
}

bool is_method_token(std::string_view m) {
  return !m.empty() && std::all_of(m.begin(), m.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool uses_target(fault_action a) {
  return a == fault_action::human_edit || a == fault_action::delete_row ||
         a == fault_action::bump_version;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

/// Reads one rule object's members into a fault_rule; `fail` throws with the rule's prefix.
class rule_reader {
 public:
  rule_reader(const json::value& obj, std::size_t index) : obj_(obj), index_(index) {}

  fault_rule read() {
    if (!obj_.is_object())
      fail(std::string("expected a rule object, got ") + std::string(obj_.kind_name()));
    fault_rule rule;
    if (const auto* id = present("id")) {
      if (!id->is_string() || id->as_string().empty()) fail("id must be a non-empty string");
      rule.id = id->as_string();
      id_ = rule.id;
    }
    check_keys(obj_, rule_keys, "");
    if (const auto* m = present("match")) read_match(*m, rule.match);
    if (const auto* v = present("skip")) rule.skip = integer(*v, "skip");
    if (const auto* v = present("times")) rule.times = integer(*v, "times");
    if (const auto* v = present("probability")) {
      if (!v->is_number()) fail("probability must be a number, got " + std::string(v->kind_name()));
      rule.probability = v->as_double();
    }
    if (const auto* v = present("action")) rule.action = action(*v);
    if (const auto* v = present("status")) {
      const auto s = integer(*v, "status");
      if (s < 100 || s > 599) fail("status must be 100–599, got " + std::to_string(s));
      rule.status = static_cast<int>(s);
    }
    if (const auto* v = present("retry_after_s")) rule.retry_after_s = integer(*v, "retry_after_s");
    if (const auto* v = present("latency_ms")) rule.latency_ms = integer(*v, "latency_ms");
    if (const auto* v = present("count")) rule.count = integer(*v, "count");
    if (const auto* v = present("when")) {
      if (!v->is_string() || (v->as_string() != "before" && v->as_string() != "after"))
        fail("when must be \"before\" or \"after\"");
      rule.after = v->as_string() == "after";
    }
    if (const auto* v = present("target")) rule.target = target(*v);
    if (const auto* v = present("changes")) {
      if (!v->is_object()) fail("changes must be an object, got " + std::string(v->kind_name()));
      rule.changes = *v;
    }
    validate_fault_rule(rule, index_);
    return rule;
  }

 private:
  [[noreturn]] void fail(const std::string& detail) const {
    throw fault_error(rule_prefix(index_, id_) + detail);
  }

  /// The member, or nullptr when absent or null.
  const json::value* present(std::string_view key) const { return present_in(obj_, key); }
  static const json::value* present_in(const json::value& obj, std::string_view key) {
    const auto* v = obj.find(key);
    return v == nullptr || v->is_null() ? nullptr : v;
  }

  template <std::size_t N>
  void check_keys(const json::value& obj, const std::array<std::string_view, N>& allowed,
                  std::string_view where) const {
    for (const auto& [key, unused] : obj.as_object()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        fail("unknown key '" + std::string(where) + key + "' (expected one of " + joined(allowed) +
             ")");
    }
  }

  std::int64_t integer(const json::value& v, std::string_view key) const {
    if (!v.is_int())
      fail(std::string(key) + " must be an integer, got " + std::string(v.kind_name()));
    return v.as_int();
  }

  std::string string(const json::value& v, std::string_view key) const {
    if (!v.is_string())
      fail(std::string(key) + " must be a string, got " + std::string(v.kind_name()));
    return v.as_string();
  }

  void read_match(const json::value& m, fault_match& out) const {
    if (!m.is_object()) fail("match must be an object, got " + std::string(m.kind_name()));
    check_keys(m, match_keys, "match.");
    if (const auto* v = present_in(m, "method")) out.method = string(*v, "match.method");
    if (const auto* v = present_in(m, "path")) out.path = string(*v, "match.path");
    if (const auto* v = present_in(m, "query_contains"))
      out.query_contains = string(*v, "match.query_contains");
    if (const auto* v = present_in(m, "inner")) {
      if (!v->is_bool()) fail("match.inner must be a boolean, got " + std::string(v->kind_name()));
      out.inner = v->as_bool();
    }
    if (const auto* v = present_in(m, "client_id")) out.client_id = string(*v, "match.client_id");
  }

  fault_action action(const json::value& v) const {
    const auto name = string(v, "action");
    for (const auto& [a, n] : action_names)
      if (n == name) return a;
    std::string expected;
    for (const auto& an : action_names)
      expected += (expected.empty() ? "" : ", ") + std::string(an.name);
    fail("unknown action '" + name + "' (expected one of " + expected + ")");
  }

  fault_target target(const json::value& v) const {
    if (!v.is_object())
      fail("target must be an object {table, id}, got " + std::string(v.kind_name()));
    check_keys(v, target_keys, "target.");
    const auto* table = present_in(v, "table");
    const auto* id = present_in(v, "id");
    if (table == nullptr || id == nullptr) fail("target needs both table and id");
    return fault_target{string(*table, "target.table"), string(*id, "target.id")};
  }

  const json::value& obj_;
  std::size_t index_;
  std::string id_;
};

}  // namespace

std::string_view fault_action_name(fault_action action) {
  for (const auto& [a, n] : action_names)
    if (a == action) return n;
  return "?";
}

void validate_fault_rule(const fault_rule& rule, std::size_t index) {
  const auto fail = [&](const std::string& detail) {
    throw fault_error(rule_prefix(index, rule.id) + detail);
  };
  const auto& m = rule.match;
  if (m.method) {
    for (const auto& alt : split_methods(*m.method))
      if (!is_method_token(alt))
        fail("match.method '" + *m.method +
             "' must be upper-case HTTP methods, several joined by '|' (e.g. POST|PATCH)");
  }
  if (m.path) {
    try {
      (void)pattern::compile(*m.path);
    } catch (const pattern_error& e) {
      fail("match.path '" + *m.path + "' is not a valid pattern: " + e.what());
    }
  }
  if (rule.skip < 0) fail("skip must be ≥ 0, got " + std::to_string(rule.skip));
  if (rule.times == 0 || rule.times < -1)
    fail("times must be ≥ 1 or -1 (unlimited), got " + std::to_string(rule.times));
  if (!(rule.probability > 0.0 && rule.probability <= 1.0))
    fail("probability must be in (0, 1], got " + std::to_string(rule.probability));
  if (rule.status < 100 || rule.status > 599)
    fail("status must be 100–599, got " + std::to_string(rule.status));
  if (rule.retry_after_s && *rule.retry_after_s < 0)
    fail("retry_after_s must be ≥ 0, got " + std::to_string(*rule.retry_after_s));
  if (rule.latency_ms < 0) fail("latency_ms must be ≥ 0, got " + std::to_string(rule.latency_ms));

  const auto action = rule.action;
  const std::string name(fault_action_name(action));
  if (action != fault_action::status && rule.retry_after_s)
    fail("retry_after_s is only for action status, not " + name);
  if (action == fault_action::latency && rule.latency_ms < 1)
    fail("action latency needs latency_ms ≥ 1");
  if (action == fault_action::barrier) {
    if (!rule.count || *rule.count < 1) fail("action barrier needs count ≥ 1");
    if (rule.latency_ms < 1) fail("action barrier needs latency_ms ≥ 1 (the longest hold)");
  } else {
    if (rule.count) fail("count is only for action barrier, not " + name);
    if (action != fault_action::latency && rule.latency_ms != 0)
      fail("latency_ms is only for actions latency and barrier, not " + name);
  }
  if (uses_target(action)) {
    if (!rule.target) fail("action " + name + " needs target {table, id}");
    if (rule.target->table.empty()) fail("target.table must be a non-empty table name");
    if (!is_guid(rule.target->id)) fail("target.id '" + rule.target->id + "' is not a GUID");
  } else {
    if (rule.target)
      fail("target is only for human_edit, delete_row and bump_version, not " + name);
    if (rule.after)
      fail("when \"after\" is only for human_edit, delete_row and bump_version, not " + name);
  }
  if (action == fault_action::human_edit) {
    if (!rule.changes.is_object())
      fail("action human_edit needs changes (an object of column values)");
  } else if (!rule.changes.is_null()) {
    fail("changes is only for action human_edit, not " + name);
  }
}

std::vector<fault_rule> parse_fault_rules(const json::value& doc) {
  std::vector<fault_rule> rules;
  if (doc.is_object()) {
    rules.push_back(rule_reader(doc, 1).read());
  } else if (doc.is_array()) {
    std::size_t index = 0;
    for (const auto& element : doc.as_array())
      rules.push_back(rule_reader(element, ++index).read());
  } else {
    throw fault_error("fault rules: expected a rule object or an array of them, got " +
                      std::string(doc.kind_name()));
  }
  for (auto& rule : rules)
    if (rule.target) rule.target->id = canonical_guid(rule.target->id);
  return rules;
}

json::value fault_rule_json(const fault_rule& rule) {
  const auto opt_string = [](const std::optional<std::string>& s) {
    return s ? json::value(*s) : json::value(nullptr);
  };
  const auto opt_int = [](const std::optional<std::int64_t>& i) {
    return i ? json::value(*i) : json::value(nullptr);
  };
  json::object match{
      {"method", opt_string(rule.match.method)},
      {"path", opt_string(rule.match.path)},
      {"query_contains", opt_string(rule.match.query_contains)},
      {"inner", rule.match.inner ? json::value(*rule.match.inner) : json::value(nullptr)},
      {"client_id", opt_string(rule.match.client_id)},
  };
  json::value target;
  if (rule.target) target = json::object{{"table", rule.target->table}, {"id", rule.target->id}};
  return json::object{
      {"id", rule.id.empty() ? json::value(nullptr) : json::value(rule.id)},
      {"match", std::move(match)},
      {"skip", rule.skip},
      {"times", rule.times},
      {"probability", rule.probability},
      {"action", fault_action_name(rule.action)},
      {"status", rule.status},
      {"retry_after_s", opt_int(rule.retry_after_s)},
      {"latency_ms", rule.latency_ms},
      {"count", opt_int(rule.count)},
      {"when", rule.after ? "after" : "before"},
      {"target", std::move(target)},
      {"changes", rule.changes},
  };
}

fault_table::fault_table(std::uint64_t rng_seed) : rng_(rng_seed) {
  random_rule_.id = "random-failure";
  random_rule_.times = -1;
}

bool fault_table::id_taken(std::string_view id) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const entry& e) { return e.rule.id == id; });
}

std::vector<std::string> fault_table::add(std::vector<fault_rule> rules) {
  // Validate and compile everything before touching the table: all or nothing.
  std::vector<entry> fresh;
  fresh.reserve(rules.size());
  std::size_t index = 0;
  for (auto& rule : rules) {
    validate_fault_rule(rule, ++index);
    entry e;
    if (rule.target) rule.target->id = canonical_guid(rule.target->id);
    if (rule.match.method) e.methods = split_methods(*rule.match.method);
    if (rule.match.path) e.path = pattern::compile(*rule.match.path);
    e.remaining = rule.times;
    e.rule = std::move(rule);
    fresh.push_back(std::move(e));
  }
  const auto taken = [&](std::string_view id, std::size_t upto) {
    return id_taken(id) ||
           std::any_of(fresh.begin(), fresh.begin() + static_cast<std::ptrdiff_t>(upto),
                       [&](const entry& e) { return e.rule.id == id; });
  };
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    if (!fresh[i].rule.id.empty() && taken(fresh[i].rule.id, i))
      throw fault_error(rule_prefix(i + 1, fresh[i].rule.id) + "duplicate id");
  }
  // Named ids are all known now, so assigned ones cannot collide with a later named rule.
  auto next = next_id_;
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    if (!fresh[i].rule.id.empty()) continue;
    std::string id;
    do {
      id = "fault-" + std::to_string(next++);
    } while (taken(id, fresh.size()));
    fresh[i].rule.id = std::move(id);
  }
  next_id_ = next;
  std::vector<std::string> ids;
  ids.reserve(fresh.size());
  for (auto& e : fresh) {
    ids.push_back(e.rule.id);
    entries_.push_back(std::move(e));
  }
  return ids;
}

void fault_table::clear() {
  entries_.clear();
}

void fault_table::set_random_failures(double probability, int status) {
  if (!(probability >= 0.0 && probability <= 1.0))
    throw fault_error("random failures: fail rate must be in [0, 1], got " +
                      std::to_string(probability));
  if (status < 100 || status > 599)
    throw fault_error("random failures: status must be 100–599, got " + std::to_string(status));
  random_probability_ = probability;
  random_rule_.status = status;
  random_rule_.probability = probability > 0.0 ? probability : 1.0;
}

bool fault_table::matches(const entry& e, const request_facts& request) const {
  const auto& m = e.rule.match;
  if (!e.methods.empty() &&
      std::find(e.methods.begin(), e.methods.end(), request.method) == e.methods.end())
    return false;
  if (m.inner && *m.inner != request.inner) return false;
  if (m.client_id && !iequals_ascii(*m.client_id, request.client_id)) return false;
  if (m.query_contains && request.query.find(*m.query_contains) == std::string_view::npos)
    return false;
  if (e.path) {
    try {
      if (!e.path->find(request.path)) return false;
    } catch (const pattern_error&) {
      return false;  // a path that is not valid UTF-8 matches no pattern
    }
  }
  return true;
}

bool fault_table::draw_affected(double probability) {
  if (probability >= 1.0) return true;  // no draw: p = 1 rules leave the stream untouched
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < probability;
}

const fault_rule* fault_table::select(const request_facts& request) {
  for (auto& e : entries_) {
    if (e.remaining == 0 || !matches(e, request)) continue;
    if (e.skipped < e.rule.skip) {
      ++e.skipped;
      continue;
    }
    if (!draw_affected(e.rule.probability)) continue;
    if (e.remaining > 0) --e.remaining;
    ++e.applied;
    ++applied_total_;
    return &e.rule;
  }
  if (random_probability_ > 0.0 && !request.inner && request.path != "token" &&
      draw_affected(random_probability_)) {
    ++applied_total_;
    return &random_rule_;
  }
  return nullptr;
}

std::int64_t fault_table::draw_jitter(std::int64_t max_ms) {
  if (max_ms <= 0) return 0;
  return std::uniform_int_distribution<std::int64_t>(0, max_ms)(rng_);
}

json::value fault_table::list() const {
  json::array out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) {
    auto v = fault_rule_json(e.rule);
    v.set("remaining", e.remaining);
    v.set("skipped", e.skipped);
    v.set("applied", e.applied);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace opencloser::emulator
