// Live metadata verification (dataverse.md §3.2) against a fake metadata service.

#include <algorithm>
#include <functional>

#include "adapters/dataverse/metadata_verifier.hpp"
#include "tests/unit/dataverse_test_data.hpp"

using namespace opencloser;
using namespace opencloser::dataverse;
using namespace opencloser::testing;

namespace {

using attrs = std::vector<std::pair<std::string, std::string>>;

/// The live side: tables, attribute types, the status option set and regarding relationships.
struct fake_live {
  struct table {
    std::string logical, set, pk, name;
    attrs columns;
  };
  std::vector<table> tables{
      {"acme_callqueue",
       "acme_callqueues",
       "acme_callqueueid",
       "acme_name",
       {{"acme_callqueueid", "Uniqueidentifier"},
        {"acme_accountid", "Lookup"},
        {"acme_phone", "String"},
        {"acme_tz", "String"},
        {"acme_attempts", "Integer"},
        {"acme_maxattempts", "Integer"},
        {"acme_dnc", "Boolean"},
        {"acme_status", "Picklist"},
        {"acme_lastdisposition", "String"},
        {"acme_lastsession", "String"},
        {"acme_lasterror", "Memo"},
        {"acme_nextattemptat", "DateTime"},
        {"acme_campaignid", "Lookup"},
        {"acme_owneroverride", "Lookup"},
        {"acme_notes", "Memo"}}},
      {"phonecall",
       "phonecalls",
       "activityid",
       "subject",
       {{"activityid", "Uniqueidentifier"},
        {"subject", "String"},
        {"description", "Memo"},
        {"actualstart", "DateTime"},
        {"actualend", "DateTime"},
        {"directioncode", "Boolean"},
        {"statecode", "State"},
        {"statuscode", "Status"},
        {"acme_idemkey", "String"},
        {"regardingobjectid", "Lookup"}}},
      {"task",
       "tasks",
       "activityid",
       "subject",
       {{"activityid", "Uniqueidentifier"},
        {"subject", "String"},
        {"description", "Memo"},
        {"ownerid", "Owner"},
        {"acme_idemkey", "String"},
        {"regardingobjectid", "Lookup"}}},
      {"account", "accounts", "accountid", "name", {{"accountid", "Uniqueidentifier"}}}};
  std::string status_options =
      R"({"OptionSet":{"Options":[{"Value":100000000},{"Value":100000001},{"Value":100000002},)"
      R"({"Value":100000003},{"Value":100000004},{"Value":100000005}]},"GlobalOptionSet":null})";
  std::map<std::string, std::string> regarding{
      {"phonecall", "regardingobjectid_acme_callqueue_phonecall"},
      {"task", "regardingobjectid_acme_callqueue_task"}};
  int entity_status = 200;

  metadata_answer serve(const dataverse_request& r) const {
    for (const auto& t : tables) {
      if (r.relative_url == entity_definition_request(t.logical).relative_url) {
        json::object def{{"LogicalName", t.logical},
                         {"EntitySetName", t.set},
                         {"PrimaryIdAttribute", t.pk},
                         {"PrimaryNameAttribute", t.name}};
        return {entity_status, json::value(std::move(def))};
      }
      if (r.relative_url == attributes_request(t.logical).relative_url) {
        json::array rows;
        for (const auto& [c, type] : t.columns)
          rows.push_back(json::object{{"LogicalName", c}, {"AttributeType", type}});
        return {200, json::object{{"value", std::move(rows)}}};
      }
      const auto rel = regarding_relationship_request(t.logical, "acme_callqueue");
      if (r.relative_url == rel.relative_url) {
        json::array rows;
        if (regarding.count(t.logical))
          rows.push_back(
              json::object{{"ReferencingEntityNavigationPropertyName", regarding.at(t.logical)}});
        return {200, json::object{{"value", std::move(rows)}}};
      }
    }
    const auto status = option_set_request("acme_callqueue", "acme_status", "Picklist");
    if (r.relative_url == status->relative_url) return {200, json::parse(status_options)};
    return {404, json::parse(R"({"error":{"code":"0x80060888","message":"not found"}})")};
  }
};

/// Calls the verifier until it needs nothing more; counts the rounds.
verification_step verify(const mapping_artifact& m, const fake_live& live, int* rounds = nullptr,
                         bool link = true) {
  metadata_answers answers;
  for (int i = 1; i <= 5; ++i) {
    auto step = verify_metadata(m, link, answers, "2026-06-01T12:00:00.000Z");
    if (step.needed.empty()) {
      if (rounds) *rounds = i;
      return step;
    }
    for (const auto& r : step.needed) answers[r.relative_url] = live.serve(r);
  }
  FAIL("the verifier kept asking for more");
  return {};
}

bool has(const std::vector<std::string>& items, const std::string& text) {
  return std::find(items.begin(), items.end(), text) != items.end();
}

}  // namespace

TEST_CASE("a matching live schema verifies, reports drift and resolves live names") {
  int rounds = 0;
  const auto step = verify(acme_mapping(), fake_live{}, &rounds);
  CHECK(rounds == 3);  // tables + relationships, then the option set, then the report
  REQUIRE(step.report);
  INFO(json::write_compact(to_json(*step.report)));
  CHECK(step.report->ok);
  CHECK(step.report->missing.empty());
  CHECK(step.report->drift ==
        std::vector<std::string>{"queue.status: live option 100000005 of column "
                                 "'acme_callqueue.acme_status' is not mapped"});
  CHECK(step.report->checked_at == "2026-06-01T12:00:00.000Z");
  REQUIRE(step.resolved);
  const auto& r = *step.resolved;
  CHECK(r.queue.entity_set == "acme_callqueues");
  CHECK(r.name_table_primary_name == "name");
  CHECK(r.task_regarding == std::optional<std::string>("regardingobjectid_acme_callqueue_task"));
  // The override column is a live lookup: selected as _<c>_value.
  const auto sel = queue_select(r);
  CHECK(std::count(sel.begin(), sel.end(), "_acme_owneroverride_value") == 1);
  CHECK(json::write_compact(to_json(*step.report)).rfind("{\"checked_at\":", 0) == 0);
}

TEST_CASE("missing items name the mapping key and the table, column or value") {
  fake_live live;
  SECTION("mapped column absent") {
    auto& cols = live.tables[0].columns;
    cols.erase(std::remove_if(cols.begin(), cols.end(),
                              [](const auto& c) { return c.first == "acme_phone"; }),
               cols.end());
    const auto step = verify(acme_mapping(), live);
    CHECK_FALSE(step.report->ok);
    CHECK_FALSE(step.resolved);
    CHECK(has(step.report->missing,
              "fields.queue.phone: column 'acme_callqueue.acme_phone' not found"));
  }
  SECTION("mapped option value absent lists the sorted live values") {
    live.status_options =
        R"({"OptionSet":{"Options":[{"Value":100000003},{"Value":100000001},{"Value":100000000},)"
        R"({"Value":100000002}]}})";
    const auto step = verify(acme_mapping(), live);
    CHECK(step.report->missing ==
          std::vector<std::string>{"option_sets.queue_status.dnc: value 100000004 not in the live "
                                   "options of column 'acme_callqueue.acme_status' [100000000, "
                                   "100000001, 100000002, 100000003]"});
  }
  SECTION("options served as a global option set verify") {
    live.status_options =
        R"({"OptionSet":null,"GlobalOptionSet":{"Options":[{"Value":100000000},{"Value":100000001},)"
        R"({"Value":100000002},{"Value":100000003},{"Value":100000004}]}})";
    const auto step = verify(acme_mapping(), live);
    CHECK(step.report->ok);
    CHECK(step.report->drift.empty());
  }
  SECTION("entity set differing from live") {
    live.tables[2].set = "tasksets";
    const auto step = verify(acme_mapping(), live);
    CHECK(has(step.report->missing,
              "entities.task: entity_set_name 'tasks' differs from live 'tasksets'"));
  }
  SECTION("a string field whose live column is a lookup") {
    live.tables[0].columns.emplace_back("acme_tz", "Lookup");
    live.tables[0].columns.erase(live.tables[0].columns.begin() + 3);  // the String acme_tz
    const auto step = verify(acme_mapping(), live);
    CHECK(has(step.report->missing,
              "fields.queue.timezone: column 'acme_callqueue.acme_tz' is a "
              "lookup ('Lookup') but mapped as 'string'"));
  }
  SECTION("an option set key on a column that is not an option set") {
    for (auto& [c, type] : live.tables[0].columns)
      if (c == "acme_status") type = "Integer";
    const auto step = verify(acme_mapping(), live);
    CHECK(has(step.report->missing, "queue.status: column 'acme_status' is not an option set"));
  }
  SECTION("queue table not enabled for activities") {
    live.regarding.erase("task");
    const auto step = verify(acme_mapping(), live);
    CHECK(has(step.report->missing,
              "task.regarding: table 'acme_callqueue' is not enabled for activities (no "
              "regarding relationship on 'task')"));
    CHECK(verify(acme_mapping(), live, nullptr, false).report->ok);  // link_regarding off
  }
  SECTION("preserve column absent and a missing table") {
    auto& cols = live.tables[0].columns;
    cols.erase(std::remove_if(cols.begin(), cols.end(),
                              [](const auto& c) { return c.first == "acme_notes"; }),
               cols.end());
    live.tables.pop_back();  // account
    const auto step = verify(acme_mapping(), live);
    CHECK(has(step.report->missing,
              "preserve_if_present: column 'acme_callqueue.acme_notes' not found"));
    CHECK(has(step.report->missing, "entities.account: table 'account' not found"));
  }
}

TEST_CASE("errors other than 404 propagate instead of becoming missing items") {
  fake_live live;
  live.entity_status = 403;
  CHECK_THROWS_AS(verify(acme_mapping(), live), std::invalid_argument);
}
