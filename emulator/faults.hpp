#pragma once
// Fault-injection rules of the emulator (emulator.md §6): parsing and validating rule
// documents, and deciding which rule (if any) applies to a request. Pure logic: the HTTP
// server does the waiting, dropping and row edits a rule asks for.
//
// Thread safety: none. The emulator serialises every call on a fault_table under one mutex.

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "actors/common/pattern.hpp"
#include "adapters/json/json.hpp"

namespace opencloser::emulator {

enum class fault_action {
  status,         ///< answer `status` (+ optional Retry-After) with an error body; no effect
  latency,        ///< delay `latency_ms`, then process normally
  reset,          ///< close the connection without a response and without effect
  lost_response,  ///< process and commit, then close without a response
  human_edit,     ///< apply `changes` to `target` and bump its version, before/after
  delete_row,     ///< delete `target`, before/after
  bump_version,   ///< new ETag on `target`, no column change, before/after
  barrier,        ///< hold until `count` requests are held or `latency_ms` passed
};

/// The JSON spelling of an action ("status", "lost_response", …).
std::string_view fault_action_name(fault_action action);

/// Every given field must match; an absent field matches anything.
struct fault_match {
  std::optional<std::string> method;  ///< exact, or alternatives joined by '|': "POST|PATCH"
  std::optional<std::string> path;    ///< Python-`re` pattern searched in the decoded path
  std::optional<std::string> query_contains;  ///< substring of the decoded query
  std::optional<bool> inner;                  ///< true: operations inside a `$batch`
  std::optional<std::string> client_id;       ///< compared ASCII case-insensitively (GUIDs)
};

/// The row a human_edit / delete_row / bump_version acts on.
struct fault_target {
  std::string table;  ///< logical name
  std::string id;     ///< GUID, canonical lower case after parsing / adding
};

struct fault_rule {
  std::string id;  ///< empty → fault_table::add assigns "fault-<n>"
  fault_match match;
  std::int64_t skip = 0;     ///< matching requests let through before the rule can apply
  std::int64_t times = 1;    ///< affected requests the rule has; -1 = unlimited
  double probability = 1.0;  ///< 0 < p ≤ 1, one draw per eligible request when p < 1
  fault_action action = fault_action::status;
  int status = 503;                           ///< action status: 100–599
  std::optional<std::int64_t> retry_after_s;  ///< action status only
  std::int64_t latency_ms = 0;         ///< action latency: the delay; barrier: the longest hold
  std::optional<std::int64_t> count;   ///< barrier only: requests to gather (≥ 1)
  bool after = false;                  ///< `when`: false "before", true "after" the request
  std::optional<fault_target> target;  ///< human_edit, delete_row, bump_version
  json::value changes;                 ///< human_edit: object of column → value; else null
};

/// A rule that cannot be used. what() is `fault rule #<i> (<id>): <detail>` where i counts
/// from 1 within the document (or the vector given to add); `fault rule #<i>: <detail>` when
/// the rule has no id.
struct fault_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parses one rule object or an array of them, validating everything (validate_fault_rule).
/// Unknown keys anywhere are errors: a typo must not turn into a rule that matches everything.
/// A JSON null for any key means "absent" (the default), so fault_rule_json output re-parses.
/// Integers must be JSON integers (`4`, not `4.0`); probability may be any number.
std::vector<fault_rule> parse_fault_rules(const json::value& doc);

/// Checks one rule built in C++ or parsed; throws fault_error with `index` (1-based) in the
/// message. Rules:
/// - method: alternatives joined by '|', each non-empty upper-case ASCII letters;
/// - path: compiles as a pattern (actors/common/pattern.hpp);
/// - skip ≥ 0; times ≥ 1 or exactly -1 (0 would be a rule that never applies);
/// - 0 < probability ≤ 1; status 100–599; retry_after_s ≥ 0; latency_ms ≥ 0;
/// - latency needs latency_ms ≥ 1; barrier needs count ≥ 1 and latency_ms ≥ 1 (its longest
///   hold: a barrier that never releases on its own would hang the server);
/// - human_edit / delete_row / bump_version need a target with a non-empty table and a GUID
///   id; human_edit needs `changes` to be an object (possibly empty);
/// - fields an action does not use must stay at their defaults (retry_after_s null unless
///   status, latency_ms 0 unless latency/barrier, count null unless barrier, when "before",
///   target null and changes null unless the action uses them), so a misplaced field is an
///   error instead of being silently ignored.
void validate_fault_rule(const fault_rule& rule, std::size_t index);

/// The rule as JSON, every field materialised, in the key order of emulator.md §6:
/// {"id", "match": {"method", "path", "query_contains", "inner", "client_id"}, "skip",
/// "times", "probability", "action", "status", "retry_after_s", "latency_ms", "count", "when",
/// "target": null | {"table", "id"}, "changes"}. An empty id is written as null.
json::value fault_rule_json(const fault_rule& rule);

/// What the server knows about a request when it asks for a fault.
struct request_facts {
  std::string_view method;     ///< upper case: "GET", "POST", …
  std::string_view path;       ///< decoded path after /api/data/v9.2/, or "token"
  std::string_view query;      ///< decoded query string
  bool inner = false;          ///< an operation inside a $batch
  std::string_view client_id;  ///< "" when auth is off
};

/// The active rules, their budgets and the seeded random stream.
class fault_table {
 public:
  explicit fault_table(std::uint64_t rng_seed = 0);

  /// Validates and appends rules, all or nothing. Empty ids become "fault-<n>" (n counts up
  /// from 1 over the table's life, skipping ids already taken); a duplicate id (against the
  /// table or within `rules`) → fault_error. Target ids are canonicalised. Returns the ids in
  /// order. Pointers returned by select() stay valid across add().
  std::vector<std::string> add(std::vector<fault_rule> rules);

  /// Forgets every rule (DELETE /_emulator/faults). applied_total(), the id counter and the
  /// random stream carry on; the random-failure knob stays. Invalidates select() pointers.
  void clear();

  /// Global knob (--fail-rate P --fail-status S): after the explicit rules, a top-level
  /// (inner = false) Web API request — any path but "token" — gets a `status` fault with
  /// probability P. P = 0 switches it off. Throws fault_error unless 0 ≤ P ≤ 1 and S is 100–599.
  void set_random_failures(double probability, int status);

  /// The rule that applies to this request, or nullptr. Evaluation, rule by rule in order:
  /// 1. a rule whose budget is used up (`times` affected requests) is passed over;
  /// 2. a rule applies only when every given match field matches: method equals one of its
  ///    '|'-separated alternatives (case-sensitive); path is a pattern *search* in the decoded
  ///    path (anchor with ^…$ as needed); query_contains is a substring of the query; inner
  ///    equals; client_id equals ignoring ASCII case;
  /// 3. while the rule has let fewer than `skip` matching requests through, this request is
  ///    counted as skipped by the rule and evaluation continues with the next rule;
  /// 4. when probability < 1 one number is drawn from the stream; if the request is not
  ///    affected evaluation continues with the next rule (no budget used);
  /// 5. otherwise one of `times` is used (unless -1) and the rule is returned.
  /// After all rules, the random-failure knob (when set) draws once for eligible requests and
  /// may return a synthetic status rule with id "random-failure". At most one rule per
  /// request. The pointer is valid until clear() or destruction.
  const fault_rule* select(const request_facts& request);

  /// Uniform integer in [0, max_ms] from the same seeded stream (latency jitter). max_ms ≤ 0
  /// gives 0 without drawing.
  std::int64_t draw_jitter(std::int64_t max_ms);

  /// For GET /_emulator/faults: [{...fault_rule_json..., "remaining": times left (-1 unlimited),
  /// "skipped": n, "applied": n}] in evaluation order.
  json::value list() const;

  /// Requests a rule (or the random-failure knob) has been applied to, over the table's life.
  std::uint64_t applied_total() const { return applied_total_; }

 private:
  struct entry {
    fault_rule rule;
    std::vector<std::string> methods;  ///< the '|' alternatives; empty = any
    std::optional<pattern> path;
    std::int64_t remaining = 0;  ///< -1 unlimited
    std::int64_t skipped = 0;
    std::int64_t applied = 0;
  };

  bool matches(const entry& e, const request_facts& request) const;
  bool draw_affected(double probability);
  bool id_taken(std::string_view id) const;

  std::deque<entry> entries_;  // deque: push_back keeps select() pointers valid
  std::mt19937_64 rng_;
  std::uint64_t next_id_ = 1;
  std::uint64_t applied_total_ = 0;
  double random_probability_ = 0.0;
  fault_rule random_rule_;
};

}  // namespace opencloser::emulator
