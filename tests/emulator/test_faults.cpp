#include "emulator/faults.hpp"

#include <string>
#include <vector>

#include "tests/unit/test_support.hpp"

using namespace opencloser;
using namespace opencloser::emulator;

namespace {

std::vector<fault_rule> parse(std::string_view text) {
  return parse_fault_rules(json::parse(text));
}

fault_table table_with(std::string_view rules_json, std::uint64_t seed = 0) {
  fault_table table(seed);
  table.add(parse(rules_json));
  return table;
}

request_facts req(std::string_view method, std::string_view path, std::string_view query = "",
                  bool inner = false, std::string_view client = "") {
  return request_facts{method, path, query, inner, client};
}

/// The id of the rule selected for the request, or "" when none.
std::string pick(fault_table& table, const request_facts& facts) {
  const auto* rule = table.select(facts);
  return rule == nullptr ? std::string() : rule->id;
}

/// list() as an array (through a const value: json's mutable as_array() is not linkable
/// outside json.cpp).
json::array listed(const fault_table& table) {
  const json::value list = table.list();
  return list.as_array();
}

constexpr std::string_view row_guid = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Parsing the documented examples

TEST_CASE("the emulator.md §6 example rule parses and re-serialises to the same JSON") {
  const std::string example =
      R"({"id": "tasks-down", "match": {"method": "POST", "path": "^tasks$", "query_contains": null,
 "inner": false, "client_id": null}, "skip": 0, "times": 4, "probability": 1.0,
 "action": "status", "status": 503, "retry_after_s": null, "latency_ms": 0, "count": null,
 "when": "before", "target": null, "changes": null})";
  const auto rules = parse(example);
  REQUIRE(rules.size() == 1);
  const auto& r = rules[0];
  CHECK(r.id == "tasks-down");
  CHECK(r.match.method == "POST");
  CHECK(r.match.path == "^tasks$");
  CHECK_FALSE(r.match.query_contains.has_value());
  CHECK(r.match.inner == false);
  CHECK(r.times == 4);
  CHECK(r.action == fault_action::status);
  CHECK(r.status == 503);
  CHECK_FALSE(r.retry_after_s.has_value());
  CHECK_FALSE(r.after);
  CHECK(r.changes.is_null());
  CHECK(fault_rule_json(r) == json::parse(example));
  // The materialised form parses back to the same rule.
  CHECK(fault_rule_json(parse_fault_rules(fault_rule_json(r))[0]) == fault_rule_json(r));
}

TEST_CASE("the conformance §10 barrier rule holds both queue PATCHes") {
  const auto rules = parse(
      R"({"match": {"method": "PATCH", "path": "^new_callqueueitems\\("}, "action": "barrier",
          "count": 2, "times": 2, "latency_ms": 30000})");
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].action == fault_action::barrier);
  CHECK(rules[0].count == 2);
  CHECK(rules[0].latency_ms == 30000);
  fault_table table;
  table.add(rules);
  CHECK(pick(table, req("PATCH", "new_callqueueitems")).empty());
  CHECK(pick(table, req("GET", "new_callqueueitems(1)")).empty());
  CHECK(pick(table, req("PATCH", "new_callqueueitems(3f2504e0-4f89-11d3-9a0c-0305e82c3301)")) ==
        "fault-1");
  CHECK(pick(table, req("PATCH", "new_callqueueitems(3f2504e0-4f89-11d3-9a0c-0305e82c3302)")) ==
        "fault-1");
  CHECK(pick(table, req("PATCH", "new_callqueueitems(3f2504e0-4f89-11d3-9a0c-0305e82c3303)"))
            .empty());
}

TEST_CASE("the conformance §10 bump_version rule before the claim parses with a canonical target") {
  const auto rules = parse(
      std::string(R"({"id": "bump", "match": {"method": "PATCH", "path": "^new_callqueueitems\\("},
      "action": "bump_version", "when": "before", "target": {"table": "new_callqueueitem", "id": ")") +
      std::string(row_guid) + R"("}})");
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].action == fault_action::bump_version);
  CHECK_FALSE(rules[0].after);
  REQUIRE(rules[0].target.has_value());
  CHECK(rules[0].target->table == "new_callqueueitem");
  CHECK(rules[0].target->id == "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
}

TEST_CASE("the conformance §11 adaptation rule lets 10 PATCHes through, then answers one 429") {
  auto table = table_with(
      R"({"match": {"method": "PATCH"}, "action": "status", "status": 429, "retry_after_s": 1,
          "skip": 10, "times": 1})");
  for (int i = 0; i < 10; ++i) CHECK(pick(table, req("PATCH", "tasks(1)")).empty());
  CHECK(pick(table, req("GET", "tasks")).empty());
  const auto* rule = table.select(req("PATCH", "tasks(1)"));
  REQUIRE(rule != nullptr);
  CHECK(rule->status == 429);
  CHECK(rule->retry_after_s == 1);
  for (int i = 0; i < 5; ++i) CHECK(pick(table, req("PATCH", "tasks(1)")).empty());
  CHECK(table.applied_total() == 1);
}

TEST_CASE(
    "the conformance §12 random rules apply at roughly their rates, reproducibly with seed 42") {
  const std::string_view rules = R"([
    {"match": {}, "action": "status", "status": 503, "probability": 0.05, "times": -1},
    {"match": {"method": "POST|PATCH|DELETE"}, "action": "lost_response", "probability": 0.02, "times": -1}])";
  auto a = table_with(rules, 42);
  auto b = table_with(rules, 42);
  int status = 0, lost = 0;
  const char* methods[] = {"GET", "POST", "PATCH", "DELETE"};
  for (int i = 0; i < 20000; ++i) {
    const auto facts = req(methods[i % 4], "tasks");
    const auto* ra = a.select(facts);
    const auto* rb = b.select(facts);
    REQUIRE((ra == nullptr) == (rb == nullptr));
    if (ra == nullptr) continue;
    REQUIRE(ra->id == rb->id);
    if (ra->action == fault_action::status) ++status;
    if (ra->action == fault_action::lost_response) {
      CHECK(facts.method != "GET");
      ++lost;
    }
  }
  CHECK(status > 800);  // expected 1000
  CHECK(status < 1200);
  CHECK(lost > 200);  // expected 0.95 * 0.02 * 15000 = 285
  CHECK(lost < 380);
}

TEST_CASE("the conformance §13 human_edit rule inside a $batch parses with its changes") {
  const auto rules = parse(
      std::string(R"({"match": {"method": "PATCH", "inner": true, "path": "^new_callqueueitems\\("},
      "action": "human_edit", "when": "before",
      "target": {"table": "new_callqueueitem", "id": ")") +
      std::string(row_guid) + R"("}, "changes": {"new_status": 100000003}})");
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].action == fault_action::human_edit);
  CHECK(rules[0].match.inner == true);
  CHECK(rules[0].changes == json::parse(R"({"new_status": 100000003})"));
  fault_table table;
  table.add(rules);
  CHECK(pick(table, req("PATCH", "new_callqueueitems(x)", "", false)).empty());
  CHECK(pick(table, req("PATCH", "new_callqueueitems(x)", "", true)) == "fault-1");
}

TEST_CASE("every action parses from its JSON name") {
  const std::string target =
      std::string(R"("target": {"table": "account", "id": ")") + std::string(row_guid) + R"("})";
  const std::vector<std::pair<std::string, fault_action>> cases = {
      {R"({"action": "status", "status": 500})", fault_action::status},
      {R"({"action": "latency", "latency_ms": 250})", fault_action::latency},
      {R"({"action": "reset"})", fault_action::reset},
      {R"({"action": "lost_response"})", fault_action::lost_response},
      {R"({"action": "human_edit", "when": "after", "changes": {}, )" + target + "}",
       fault_action::human_edit},
      {R"({"action": "delete_row", "when": "after", )" + target + "}", fault_action::delete_row},
      {R"({"action": "bump_version", )" + target + "}", fault_action::bump_version},
      {R"({"action": "barrier", "count": 3, "latency_ms": 1000})", fault_action::barrier},
  };
  for (const auto& [text, action] : cases) {
    INFO(text);
    const auto rules = parse(text);
    REQUIRE(rules.size() == 1);
    CHECK(rules[0].action == action);
    CHECK(fault_action_name(action) == fault_rule_json(rules[0]).find("action")->as_string());
    // Round trip through the materialised JSON.
    CHECK(fault_rule_json(parse_fault_rules(fault_rule_json(rules[0]))[0]) ==
          fault_rule_json(rules[0]));
  }
  CHECK(parse(R"({"action": "delete_row", "when": "after", )" + target + "}")[0].after);
}

TEST_CASE("defaults of an omitted field: status 503, times 1, probability 1, when before") {
  const auto rules = parse(R"([{}, {"id": "x", "match": null, "skip": null, "times": null}])");
  REQUIRE(rules.size() == 2);
  for (const auto& r : rules) {
    CHECK(r.action == fault_action::status);
    CHECK(r.status == 503);
    CHECK(r.times == 1);
    CHECK(r.skip == 0);
    CHECK(r.probability == 1.0);
    CHECK_FALSE(r.after);
    CHECK_FALSE(r.match.method.has_value());
  }
  CHECK(rules[0].id.empty());
  CHECK(rules[1].id == "x");
  CHECK(parse("[]").empty());
}

// ---------------------------------------------------------------------------------------------
// Validation

TEST_CASE("invalid fault rules are refused with a message naming the rule and the problem") {
  const std::string target =
      std::string(R"("target": {"table": "account", "id": ")") + std::string(row_guid) + R"("})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"metod": "POST"})", "fault rule #1: unknown key 'metod'"},
      {R"({"id": "t", "match": {"methods": "POST"}})",
       "fault rule #1 (t): unknown key 'match.methods'"},
      {R"({"match": "POST"})", "match must be an object"},
      {R"({"action": "explode"})", "unknown action 'explode'"},
      {R"({"action": 3})", "action must be a string"},
      {R"({"status": 600})", "status must be 100–599, got 600"},
      {R"({"status": 99})", "status must be 100–599, got 99"},
      {R"({"status": "503"})", "status must be an integer"},
      {R"({"probability": 0})", "probability must be in (0, 1]"},
      {R"({"probability": 1.5})", "probability must be in (0, 1]"},
      {R"({"probability": "0.5"})", "probability must be a number"},
      {R"({"times": 0})", "times must be ≥ 1 or -1 (unlimited), got 0"},
      {R"({"times": -2})", "times must be ≥ 1 or -1"},
      {R"({"times": 2.5})", "times must be an integer"},
      {R"({"skip": -1})", "skip must be ≥ 0"},
      {R"({"skip": 1.0})", "skip must be an integer"},
      {R"({"match": {"path": "(tasks"}})", "match.path '(tasks' is not a valid pattern"},
      {R"({"match": {"method": "post"}})", "match.method 'post' must be upper-case HTTP methods"},
      {R"({"match": {"method": "POST|"}})", "match.method 'POST|'"},
      {R"({"match": {"method": "POST, PATCH"}})", "match.method 'POST, PATCH'"},
      {R"({"match": {"inner": "yes"}})", "match.inner must be a boolean"},
      {R"({"match": {"client_id": 5}})", "match.client_id must be a string"},
      {R"({"action": "human_edit", "changes": {}})", "action human_edit needs target {table, id}"},
      {R"({"action": "human_edit", )" + target + "}", "action human_edit needs changes"},
      {R"({"action": "human_edit", "changes": [1], )" + target + "}", "changes must be an object"},
      {R"({"action": "delete_row", "target": {"table": "account", "id": "not-a-guid"}})",
       "target.id 'not-a-guid' is not a GUID"},
      {R"({"action": "delete_row", "target": {"table": "", "id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}})",
       "target.table must be a non-empty"},
      {R"({"action": "delete_row", "target": {"table": "account"}})",
       "target needs both table and id"},
      {R"({"action": "delete_row", "target": {"table": "account", "id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "row": 1}})",
       "unknown key 'target.row'"},
      {R"({"action": "bump_version", "target": "account"})", "target must be an object"},
      {R"({"action": "barrier", "latency_ms": 100})", "action barrier needs count ≥ 1"},
      {R"({"action": "barrier", "count": 0, "latency_ms": 100})", "action barrier needs count ≥ 1"},
      {R"({"action": "barrier", "count": 2})", "action barrier needs latency_ms ≥ 1"},
      {R"({"action": "latency"})", "action latency needs latency_ms ≥ 1"},
      {R"({"action": "latency", "latency_ms": -5})", "latency_ms must be ≥ 0"},
      {R"({"when": "later"})", "when must be \"before\" or \"after\""},
      {R"({"when": "after"})", "when \"after\" is only for human_edit"},
      {R"({"action": "latency", "latency_ms": 5, "retry_after_s": 1})",
       "retry_after_s is only for action status"},
      {R"({"retry_after_s": -1})", "retry_after_s must be ≥ 0"},
      {R"({"count": 2})", "count is only for action barrier"},
      {R"({"latency_ms": 100})", "latency_ms is only for actions latency and barrier"},
      {R"({"action": "reset", )" + target + "}", "target is only for human_edit"},
      {R"({"changes": {"a": 1}})", "changes is only for action human_edit"},
      {R"({"id": ""})", "id must be a non-empty string"},
      {R"({"id": 7})", "id must be a non-empty string"},
      {R"("status")", "fault rules: expected a rule object or an array of them, got a string"},
      {R"([{"times": 1}, 5])", "fault rule #2: expected a rule object"},
      {R"([{}, {"id": "second", "status": 42}])", "fault rule #2 (second): status must be 100–599"},
  };
  for (const auto& [text, expected] : cases) {
    INFO(text);
    try {
      parse(text);
      FAIL("accepted");
    } catch (const fault_error& e) {
      CHECK_THAT(e.what(), Catch::Matchers::Contains(expected));
    }
  }
}

TEST_CASE("add validates rules built in C++ and adds nothing when one is bad") {
  fault_table table;
  table.add(parse(R"({"id": "keep"})"));
  fault_rule good;
  fault_rule bad;
  bad.id = "bad";
  bad.times = 0;
  REQUIRE_THROWS_WITH(table.add({good, bad}),
                      Catch::Matchers::Contains("fault rule #2 (bad): times"));
  fault_rule bad_path;
  bad_path.match.path = "[";
  REQUIRE_THROWS_WITH(table.add({bad_path}), Catch::Matchers::Contains("match.path '['"));
  CHECK(listed(table).size() == 1);
}

// ---------------------------------------------------------------------------------------------
// Ids and the table

TEST_CASE("ids are assigned fault-<n>, skipping taken ones, duplicates are refused") {
  fault_table table;
  CHECK(table.add(parse(R"([{"id": "fault-1"}, {}, {"id": "named"}, {}])")) ==
        std::vector<std::string>{"fault-1", "fault-2", "named", "fault-3"});
  CHECK(table.add(parse("{}")) == std::vector<std::string>{"fault-4"});
  REQUIRE_THROWS_WITH(table.add(parse(R"({"id": "named"})")),
                      Catch::Matchers::Contains("fault rule #1 (named): duplicate id"));
  REQUIRE_THROWS_WITH(table.add(parse(R"([{"id": "twice"}, {"id": "twice"}])")),
                      Catch::Matchers::Contains("fault rule #2 (twice): duplicate id"));
  CHECK(listed(table).size() == 5);
  table.clear();
  CHECK(listed(table).empty());
  // The counter carries on so a request log's fault id stays unambiguous.
  CHECK(table.add(parse("{}")) == std::vector<std::string>{"fault-5"});
}

TEST_CASE("add canonicalises a C++ rule's target id") {
  fault_table table;
  fault_rule rule;
  rule.action = fault_action::delete_row;
  rule.target = fault_target{"account", std::string(row_guid)};
  table.add({rule});
  CHECK(listed(table)[0].find("target")->find("id")->as_string() ==
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
}

// ---------------------------------------------------------------------------------------------
// Matching

TEST_CASE("method matches exactly or one of its '|' alternatives, case-sensitively") {
  auto table =
      table_with(R"([{"id": "w", "match": {"method": "POST|PATCH|DELETE"}, "times": -1}])");
  CHECK(pick(table, req("POST", "tasks")) == "w");
  CHECK(pick(table, req("PATCH", "tasks(1)")) == "w");
  CHECK(pick(table, req("DELETE", "tasks(1)")) == "w");
  CHECK(pick(table, req("GET", "tasks")).empty());
  CHECK(pick(table, req("post", "tasks")).empty());
  CHECK(pick(table, req("PUT", "tasks")).empty());
  CHECK(pick(table, req("POS", "tasks")).empty());
}

TEST_CASE("path is a pattern search in the decoded path, anchors are up to the rule") {
  auto anchored = table_with(R"({"id": "a", "match": {"path": "^tasks$"}, "times": -1})");
  CHECK(pick(anchored, req("POST", "tasks")) == "a");
  CHECK(pick(anchored, req("POST", "tasks(1)")).empty());
  CHECK(pick(anchored, req("POST", "phonecalls")).empty());
  auto loose = table_with(R"({"id": "l", "match": {"path": "calls"}, "times": -1})");
  CHECK(pick(loose, req("GET", "phonecalls")) == "l");
  CHECK(pick(loose, req("GET", "token")).empty());
  auto token = table_with(R"({"id": "t", "match": {"path": "^token$"}, "times": -1})");
  CHECK(pick(token, req("POST", "token")) == "t");
  // A decoded path that is not UTF-8 matches no pattern rather than throwing.
  CHECK(pick(loose, req("GET",
                        "phone\xff"
                        "calls"))
            .empty());
}

TEST_CASE("query_contains, inner and client_id each narrow the match") {
  auto q = table_with(
      R"({"id": "q", "match": {"query_contains": "$filter=statuscode eq 1"}, "times": -1})");
  CHECK(pick(q, req("GET", "tasks", "$select=subject&$filter=statuscode eq 1")) == "q");
  CHECK(pick(q, req("GET", "tasks", "$filter=statuscode eq 2")).empty());
  CHECK(pick(q, req("GET", "tasks")).empty());

  auto top = table_with(R"({"id": "top", "match": {"inner": false}, "times": -1})");
  CHECK(pick(top, req("POST", "$batch", "", false)) == "top");
  CHECK(pick(top, req("POST", "tasks", "", true)).empty());

  auto client = table_with(
      R"({"id": "c", "match": {"client_id": "C0FFEE00-0000-4000-8000-000000000001"}, "times": -1})");
  CHECK(pick(client, req("GET", "tasks", "", false, "c0ffee00-0000-4000-8000-000000000001")) ==
        "c");
  CHECK(
      pick(client, req("GET", "tasks", "", false, "c0ffee00-0000-4000-8000-000000000002")).empty());
  CHECK(pick(client, req("GET", "tasks", "", false, "")).empty());
}

TEST_CASE("every given match field must match at once") {
  auto table = table_with(
      R"({"id": "all", "match": {"method": "PATCH", "path": "^tasks\\(", "query_contains": "x",
      "inner": true, "client_id": "abc"}, "times": -1})");
  const auto ok = req("PATCH", "tasks(1)", "x=1", true, "abc");
  CHECK(pick(table, ok) == "all");
  auto variant = ok;
  variant.method = "POST";
  CHECK(pick(table, variant).empty());
  variant = ok;
  variant.path = "phonecalls(1)";
  CHECK(pick(table, variant).empty());
  variant = ok;
  variant.query = "y=1";
  CHECK(pick(table, variant).empty());
  variant = ok;
  variant.inner = false;
  CHECK(pick(table, variant).empty());
  variant = ok;
  variant.client_id = "abd";
  CHECK(pick(table, variant).empty());
}

// ---------------------------------------------------------------------------------------------
// Budgets and evaluation order

TEST_CASE("skip lets matching requests through first, then times are used up") {
  auto table = table_with(R"({"id": "s", "match": {"method": "POST"}, "skip": 2, "times": 3})");
  std::vector<std::string> seen;
  for (int i = 0; i < 7; ++i) seen.push_back(pick(table, req("POST", "tasks")));
  CHECK(seen == std::vector<std::string>{"", "", "s", "s", "s", "", ""});
  // Non-matching requests neither skip nor use budget.
  auto other = table_with(R"({"id": "s", "match": {"method": "POST"}, "skip": 1})");
  CHECK(pick(other, req("GET", "tasks")).empty());
  CHECK(pick(other, req("POST", "tasks")).empty());
  CHECK(pick(other, req("POST", "tasks")) == "s");
}

TEST_CASE("times -1 never runs out") {
  auto table = table_with(R"({"id": "u", "times": -1})");
  for (int i = 0; i < 1000; ++i) REQUIRE(pick(table, req("GET", "tasks")) == "u");
  CHECK(listed(table)[0].find("remaining")->as_int() == -1);
  CHECK(listed(table)[0].find("applied")->as_int() == 1000);
}

TEST_CASE("rules are evaluated in order and one rule applies per request") {
  auto table = table_with(R"([{"id": "first", "match": {"method": "POST"}, "times": 2},
                              {"id": "second", "times": 2}])");
  CHECK(pick(table, req("POST", "tasks")) == "first");
  CHECK(pick(table, req("GET", "tasks")) == "second");
  CHECK(pick(table, req("POST", "tasks")) == "first");
  // `first` is used up: the next POST falls through to `second`.
  CHECK(pick(table, req("POST", "tasks")) == "second");
  CHECK(pick(table, req("POST", "tasks")).empty());
  CHECK(table.applied_total() == 4);
}

TEST_CASE("a request a rule skips is still offered to the following rules") {
  auto table = table_with(R"([{"id": "later", "skip": 1}, {"id": "now", "times": 1}])");
  CHECK(pick(table, req("GET", "tasks")) == "now");
  CHECK(pick(table, req("GET", "tasks")) == "later");
  CHECK(pick(table, req("GET", "tasks")).empty());
}

TEST_CASE("list reports each rule with its remaining budget, skips and applications") {
  auto table = table_with(R"([{"id": "a", "skip": 1, "times": 3, "match": {"method": "GET"}},
                              {"id": "b", "action": "reset", "times": -1, "match": {"method": "POST"}}])");
  pick(table, req("GET", "x"));
  pick(table, req("GET", "x"));
  pick(table, req("POST", "x"));
  const auto rules = listed(table);
  REQUIRE(rules.size() == 2);
  const auto& a = rules[0];
  CHECK(a.find("id")->as_string() == "a");
  CHECK(a.find("remaining")->as_int() == 2);
  CHECK(a.find("skipped")->as_int() == 1);
  CHECK(a.find("applied")->as_int() == 1);
  CHECK(a.find("times")->as_int() == 3);
  CHECK(a.find("match")->find("method")->as_string() == "GET");
  const auto& b = rules[1];
  CHECK(b.find("action")->as_string() == "reset");
  CHECK(b.find("remaining")->as_int() == -1);
  CHECK(b.find("applied")->as_int() == 1);
}

TEST_CASE("clear forgets the rules but keeps the applied total") {
  auto table = table_with(R"({"times": 5})");
  CHECK_FALSE(pick(table, req("GET", "x")).empty());
  table.clear();
  CHECK(pick(table, req("GET", "x")).empty());
  CHECK(table.applied_total() == 1);
}

TEST_CASE("select() pointers survive a later add") {
  fault_table table;
  table.add(parse(R"({"id": "p", "times": -1})"));
  const auto* rule = table.select(req("GET", "x"));
  REQUIRE(rule != nullptr);
  for (int i = 0; i < 100; ++i) table.add(parse("{}"));
  CHECK(rule->id == "p");
}

// ---------------------------------------------------------------------------------------------
// Probability and the seeded stream

namespace {

std::vector<bool> decisions(std::uint64_t seed, int n) {
  auto table = table_with(R"({"probability": 0.3, "times": -1})", seed);
  std::vector<bool> out;
  for (int i = 0; i < n; ++i) out.push_back(table.select(req("GET", "tasks")) != nullptr);
  return out;
}

}  // namespace

TEST_CASE("probability draws are reproducible for a seed and differ for another seed") {
  CHECK(decisions(7, 200) == decisions(7, 200));
  CHECK(decisions(7, 200) != decisions(8, 200));
  const auto many = decisions(7, 10000);
  const auto hits = std::count(many.begin(), many.end(), true);
  CHECK(hits > 2800);
  CHECK(hits < 3200);
}

TEST_CASE("a request the probability spares uses no budget and goes on to the next rule") {
  auto table = table_with(
      R"([{"id": "rare", "probability": 0.5, "times": 1}, {"id": "always", "times": -1}])", 3);
  int rare = 0, always = 0;
  for (int i = 0; i < 100; ++i) {
    const auto id = pick(table, req("GET", "x"));
    rare += id == "rare";
    always += id == "always";
  }
  CHECK(rare == 1);
  CHECK(always == 99);
}

TEST_CASE("probability 1 rules draw nothing from the stream") {
  auto with_rule = table_with(R"({"times": -1})", 11);
  fault_table without(11);
  for (int i = 0; i < 10; ++i) with_rule.select(req("GET", "x"));
  for (int i = 0; i < 10; ++i) CHECK(with_rule.draw_jitter(1000) == without.draw_jitter(1000));
}

TEST_CASE("jitter is uniform in [0, max], reproducible, and 0 for max 0") {
  fault_table a(5), b(5);
  bool saw_zero = false, saw_max = false;
  for (int i = 0; i < 2000; ++i) {
    const auto x = a.draw_jitter(10);
    REQUIRE(x == b.draw_jitter(10));
    REQUIRE(x >= 0);
    REQUIRE(x <= 10);
    saw_zero |= x == 0;
    saw_max |= x == 10;
  }
  CHECK(saw_zero);
  CHECK(saw_max);
  CHECK(a.draw_jitter(0) == 0);
  CHECK(a.draw_jitter(-3) == 0);
}

// ---------------------------------------------------------------------------------------------
// The random-failure knob

TEST_CASE("random failures answer the configured status on top-level Web API requests only") {
  fault_table table(1);
  table.set_random_failures(1.0, 503);
  const auto* rule = table.select(req("GET", "tasks"));
  REQUIRE(rule != nullptr);
  CHECK(rule->id == "random-failure");
  CHECK(rule->action == fault_action::status);
  CHECK(rule->status == 503);
  for (int i = 0; i < 100; ++i) {
    REQUIRE(table.select(req("POST", "token")) == nullptr);
    REQUIRE(table.select(req("PATCH", "tasks(1)", "", true)) == nullptr);
  }
  CHECK(table.applied_total() == 1);
  table.set_random_failures(0.0, 503);
  CHECK(table.select(req("GET", "tasks")) == nullptr);
}

TEST_CASE("random failures come after the explicit rules and hit at roughly their rate") {
  fault_table table(9);
  table.add(parse(R"({"id": "explicit", "match": {"method": "DELETE"}, "times": -1})"));
  table.set_random_failures(0.1, 500);
  int random = 0;
  for (int i = 0; i < 10000; ++i) {
    REQUIRE(pick(table, req("DELETE", "tasks(1)")) == "explicit");
    random += table.select(req("GET", "tasks")) != nullptr;
  }
  CHECK(random > 850);
  CHECK(random < 1150);
  CHECK_THROWS_AS(table.set_random_failures(1.5, 503), fault_error);
  CHECK_THROWS_AS(table.set_random_failures(0.5, 99), fault_error);
}
