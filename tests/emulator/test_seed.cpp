// Emulator seeds (fixtures.md §5): built-in tables, rows, `generate`, queue-item imports,
// merging several seeds, and every way a seed can be refused.

#include "emulator/seed.hpp"

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "actors/common/ids.hpp"
#include "tests/unit/test_support.hpp"

using opencloser::canonical_guid;
using opencloser::opencloser_uuid_namespace;
using opencloser::uuid_v5;
using namespace opencloser::emulator;
namespace json = opencloser::json;
using Catch::Contains;

namespace {

seed_document doc(std::string name, std::string_view text) {
  return {std::move(name), ".", json::parse(text)};
}

seed_data load(std::vector<seed_document> documents) {
  return seeds_from_documents(documents);
}

/// A one-document seed with the version line added.
seed_data load_one(std::string_view body) {
  return load({doc("s.json", R"({"schema_version": "opencloser-emulator-seed-v1", )" +
                                 std::string(body) + "}")});
}

std::string error_of(const std::vector<seed_document>& documents) {
  try {
    seeds_from_documents(documents);
  } catch (const seed_error& e) {
    return e.what();
  }
  FAIL("the seed was accepted");
  return {};
}

std::string error_of_one(std::string_view body) {
  return error_of({doc("s.json", R"({"schema_version": "opencloser-emulator-seed-v1", )" +
                                     std::string(body) + "}")});
}

const std::string widget_table =
    R"("tables": {"widget": {"entity_set_name": "widgets", "primary_id": "widgetid",
        "primary_name": "label", "attributes": {
        "n": "Integer", "b": "Boolean", "d": "DateTime", "m": "Decimal", "u": "Uniqueidentifier",
        "s": "String", "memo": "Memo", "big": "Integer",
        "pick": {"type": "Picklist", "options": [5, 7]},
        "ref": {"type": "Lookup", "targets": ["account"]}}}})";

const json::value& at(const row& r, std::string_view property) {
  const auto it = r.find(property);
  REQUIRE(it != r.end());
  return it->second;
}

// The example of fixtures.md §5, verbatim.
constexpr std::string_view spec_example = R"({
  "schema_version": "opencloser-emulator-seed-v1",
  "auth": {"tenant_id": "7d3c1b7e-0000-4000-8000-00000000a001", "token_lifetime_s": 3599, "required": true,
           "clients": [{"client_id": "c0ffee00-0000-4000-8000-000000000001", "client_secret": "emu-secret"}]},
  "dop_hint": 8,
  "tables": {
    "acme_callqueue": {"entity_set_name": "acme_callqueues", "primary_id": "acme_callqueueid",
      "activity_enabled": true,
      "attributes": {"acme_phone": "String", "acme_tz": "String", "acme_attempts": "Integer",
        "acme_dnc": "Boolean", "acme_lastsession": "String", "acme_notes": "Memo",
        "acme_status": {"type": "Picklist", "options": [100000000, 100000001, 100000002, 100000003, 100000004]},
        "acme_accountid": {"type": "Lookup", "targets": ["account"]}}},
    "phonecall": {"attributes": {"acme_idemkey": "String"}},
    "task": {"attributes": {"acme_idemkey": "String"}}
  },
  "rows": {
    "account": [{"accountid": "5a1e0c6d-1111-4a2b-9c3d-000000000001", "name": "Maple Court ALF"}],
    "acme_callqueue": [{"acme_callqueueid": "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11",
      "_acme_accountid_value": "5a1e0c6d-1111-4a2b-9c3d-000000000001", "acme_phone": "+15555550142",
      "acme_tz": "America/Chicago", "acme_attempts": 1, "acme_dnc": false, "acme_status": 100000000}],
    "systemuser": [{"systemuserid": "3f0c0000-0000-4000-8000-0000000000b1", "isdisabled": false}],
    "team": [{"teamid": "3f0c0000-0000-4000-8000-0000000000b2", "name": "Review Team"}]
  },
  "generate": [{"table": "acme_callqueue", "count": 10000, "template": {"acme_callqueueid": "{{guid}}",
    "acme_phone": "+1555555{{n:4}}", "acme_tz": "America/Chicago", "acme_attempts": 0, "acme_dnc": false,
    "acme_status": 100000000, "_acme_accountid_value": "5a1e0c6d-1111-4a2b-9c3d-000000000001"}}],
  "queue_item_imports": [],
  "throttling": {"requests": 6000, "window_s": 300, "concurrency": 52, "exec_ms": 1200000}
})";

}  // namespace

// ----- built-in tables -----

TEST_CASE("builtin tables have the names, keys and columns of fixtures.md 5.1", "[seed]") {
  const auto s = builtin_schema();
  REQUIRE(s.tables.size() == 5);
  const auto* account = s.by_logical_name("account");
  const auto* user = s.by_logical_name("systemuser");
  const auto* team = s.by_logical_name("team");
  const auto* phonecall = s.by_entity_set("phonecalls");
  const auto* task = s.by_entity_set("tasks");
  REQUIRE(account);
  REQUIRE(user);
  REQUIRE(team);
  REQUIRE(phonecall);
  REQUIRE(task);
  CHECK(account->entity_set_name == "accounts");
  CHECK(account->primary_id == "accountid");
  CHECK(account->primary_name == "name");
  CHECK(user->entity_set_name == "systemusers");
  CHECK(user->primary_id == "systemuserid");
  CHECK(user->primary_name == "fullname");
  CHECK(user->attribute("isdisabled")->kind == attribute_kind::boolean);
  CHECK(team->primary_id == "teamid");
  CHECK(team->primary_name == "name");
  CHECK(team->attribute("teamtype")->kind == attribute_kind::picklist);
  CHECK(team->attribute("teamtype")->options == std::vector<std::int64_t>{0, 1});
  for (const auto* activity : {phonecall, task}) {
    CHECK(activity->is_activity);
    CHECK_FALSE(activity->activity_enabled);
    CHECK(activity->primary_id == "activityid");
    CHECK(activity->primary_name == "subject");
    CHECK(activity->attribute("subject")->kind == attribute_kind::string_);
    CHECK(activity->attribute("description")->kind == attribute_kind::memo);
    for (const char* c : {"actualstart", "actualend", "scheduledend"})
      CHECK(activity->attribute(c)->kind == attribute_kind::datetime);
    CHECK(activity->attribute("directioncode")->kind == attribute_kind::boolean);
    CHECK(activity->attribute("phonenumber")->kind == attribute_kind::string_);
    CHECK(activity->attribute("regardingobjectid")->kind == attribute_kind::lookup);
    CHECK(activity->attribute("regardingobjectid")->targets.empty());  // nothing activity-enabled
    CHECK(activity->attribute("statecode")->kind == attribute_kind::state);
    CHECK(activity->attribute("statecode")->options == std::vector<std::int64_t>{0, 1, 2});
    CHECK(activity->attribute("statuscode")->kind == attribute_kind::status);
  }
  CHECK(phonecall->attribute("statuscode")->options == std::vector<std::int64_t>{1, 2, 3, 4});
  CHECK(task->attribute("statuscode")->options == std::vector<std::int64_t>{2, 3, 4, 5, 6, 7});
  CHECK_FALSE(account->is_activity);
}

TEST_CASE("every table has the system columns and deterministic metadata ids", "[seed]") {
  const auto s = builtin_schema();
  for (const auto& [name, t] : s.tables) {
    INFO(name);
    CHECK(t.attribute(t.primary_id)->kind == attribute_kind::uniqueidentifier);
    CHECK(t.attribute("createdon")->kind == attribute_kind::datetime);
    CHECK(t.attribute("modifiedon")->kind == attribute_kind::datetime);
    CHECK(t.attribute("versionnumber")->kind == attribute_kind::bigint);
    const auto* owner = t.attribute("ownerid");
    REQUIRE(owner);
    CHECK(owner->kind == attribute_kind::owner);
    CHECK(owner->targets == std::vector<std::string>{"systemuser", "team"});
    CHECK(t.metadata_id == uuid_v5(opencloser_uuid_namespace, "opencloser:metadata:" + name));
    for (const auto& [column, a] : t.attributes)
      CHECK(a.metadata_id ==
            uuid_v5(opencloser_uuid_namespace, "opencloser:metadata:" + name + "." + column));
  }
  CHECK(builtin_schema().by_logical_name("task")->metadata_id ==
        s.by_logical_name("task")->metadata_id);
}

// ----- whole seeds -----

TEST_CASE("the fixtures.md 5 example loads", "[seed]") {
  const auto seed = load({doc("example.json", spec_example)});
  CHECK(seed.tenant_id == "7d3c1b7e-0000-4000-8000-00000000a001");
  CHECK(seed.token_lifetime_s == 3599);
  CHECK(seed.auth_required);
  REQUIRE(seed.clients.size() == 1);
  CHECK(seed.clients[0].client_secret == "emu-secret");
  CHECK(seed.dop_hint == 8);
  CHECK(seed.throttling.requests == 6000);
  CHECK(seed.throttling.concurrency == 52);

  const auto* queue = seed.tables.by_entity_set("acme_callqueues");
  REQUIRE(queue);
  CHECK(queue->activity_enabled);
  CHECK_FALSE(queue->primary_name.has_value());
  CHECK(queue->attribute("acme_status")->options.size() == 5);
  CHECK(queue->attribute("acme_accountid")->targets == std::vector<std::string>{"account"});
  CHECK(queue->property("_acme_accountid_value"));
  CHECK(queue->attribute("ownerid"));
  CHECK(queue->metadata_id ==
        uuid_v5(opencloser_uuid_namespace, "opencloser:metadata:acme_callqueue"));
  CHECK(queue->attribute("acme_phone")->metadata_id ==
        uuid_v5(opencloser_uuid_namespace, "opencloser:metadata:acme_callqueue.acme_phone"));
  for (const char* activity : {"phonecall", "task"}) {
    const auto* t = seed.tables.by_logical_name(activity);
    CHECK(t->attribute("acme_idemkey")->kind == attribute_kind::string_);
    CHECK(t->attribute("regardingobjectid")->targets == std::vector<std::string>{"acme_callqueue"});
  }

  const auto& rows = seed.rows.at("acme_callqueue");
  REQUIRE(rows.size() == 10001);
  CHECK(at(rows[0], "acme_callqueueid") == json::value("0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11"));
  CHECK(at(rows[0], "createdon") == json::value("2026-01-01T00:00:00.000Z"));
  CHECK(at(rows[1], "acme_phone") == json::value("+15555550000"));
  CHECK(at(rows[10000], "acme_phone") == json::value("+15555559999"));
  CHECK(at(rows[10000], "createdon") == json::value("2026-01-01T00:00:10.000Z"));
  CHECK(seed.rows.at("account").size() == 1);
  CHECK(seed.rows.at("systemuser").size() == 1);
  CHECK(at(seed.rows.at("team")[0], "name") == json::value("Review Team"));
}

TEST_CASE("the demo seed fixture loads from its file", "[seed]") {
  const auto seed = load_seeds({opencloser::testing::fixture("emulator/demo_seed.json")});
  const auto& queue = seed.rows.at("acme_callqueue");
  REQUIRE(queue.size() == 3 + 20);
  // Upper-case ids are stored canonical; ISO 8601 date-times as UtcMs.
  CHECK(at(queue[1], "acme_callqueueid") == json::value("0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a12"));
  CHECK(at(queue[0], "acme_nextattemptat") == json::value("2026-06-01T15:00:00.000Z"));
  CHECK(at(queue[0], "_acme_campaignid_value") == json::value("spring-push"));
  // The third row has no id: a deterministic one from its position.
  CHECK(at(queue[2], "acme_callqueueid") ==
        json::value(uuid_v5(opencloser_uuid_namespace, "opencloser:acme_callqueue:row:2")));
  CHECK(at(queue[2], "acme_tz").is_null());
  CHECK(at(queue[22], "acme_callqueueid") ==
        json::value(uuid_v5(opencloser_uuid_namespace, "opencloser:acme_callqueue:19")));
  CHECK(seed.tables.by_logical_name("acme_callqueue")->attribute("acme_campaignid")->targets ==
        std::vector<std::string>{"campaign"});
}

// ----- generate -----

TEST_CASE("generate makes 100,000 deterministic rows", "[seed]") {
  const auto body = R"("tables": {"lead": {"attributes": {"code": "String", "rank": "Integer",
      "pick": {"type": "Picklist", "options": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}}}},
    "generate": [{"table": "lead", "count": 100000, "template": {"leadid": "{{guid}}",
      "code": "L-{{n:4}}-{{n}}-{{guid}}", "rank": "{{n}}"}}])";
  // Speed is the bench's business (no timed tests): opencloser emulator --seed a 100k seed.
  const auto seed = load_one(body);

  const auto& rows = seed.rows.at("lead");
  REQUIRE(rows.size() == 100000);
  std::set<std::string> ids;
  for (const auto& r : rows) ids.insert(at(r, "leadid").as_string());
  CHECK(ids.size() == 100000);
  const auto guid7 = uuid_v5(opencloser_uuid_namespace, "opencloser:lead:7");
  CHECK(at(rows[7], "leadid") == json::value(guid7));
  CHECK(at(rows[7], "code") == json::value("L-0007-7-" + guid7));
  CHECK(at(rows[12345], "code").as_string().starts_with("L-12345-12345-"));  // no truncation
  CHECK(at(rows[99999], "rank") == json::value(99999));  // a lone {{n}} in an Integer column
  CHECK(at(rows[99999], "createdon") == json::value("2026-01-01T00:01:39.999Z"));
  CHECK(load_one(body).rows.at("lead")[4242] == rows[4242]);
}

TEST_CASE("generate without an id template gets positional ids after the explicit rows", "[seed]") {
  const auto seed = load_one(R"("tables": {"lead": {"attributes": {"code": "String"}}},
    "rows": {"lead": [{"code": "hand"}]},
    "generate": [{"table": "lead", "count": 2, "template": {"code": "gen{{n}}"}}])");
  const auto& rows = seed.rows.at("lead");
  REQUIRE(rows.size() == 3);
  CHECK(at(rows[2], "leadid") ==
        json::value(uuid_v5(opencloser_uuid_namespace, "opencloser:lead:row:2")));
  CHECK(at(rows[2], "code") == json::value("gen1"));
  CHECK(at(rows[2], "createdon") == json::value("2026-01-01T00:00:00.002Z"));
}

TEST_CASE("generate refuses bad templates and values", "[seed]") {
  const std::string table =
      R"("tables": {"lead": {"attributes": {"code": "String", "rank": "Integer",
      "pick": {"type": "Picklist", "options": [0, 1]}}}}, )";
  CHECK_THAT(
      error_of_one(table +
                   R"("generate": [{"table": "lead", "count": 1, "template": {"code": "{{x}}"}}])"),
      Contains("emulator seed 's.json'") && Contains("unknown placeholder {{x}}"));
  CHECK_THAT(
      error_of_one(table +
                   R"("generate": [{"table": "lead", "count": 1, "template": {"code": "{{n"}}])"),
      Contains("unterminated placeholder"));
  CHECK_THAT(error_of_one(
                 table +
                 R"("generate": [{"table": "lead", "count": 1, "template": {"code": "{{n:0}}"}}])"),
             Contains("width from 1 to 32"));
  CHECK_THAT(
      error_of_one(table +
                   R"("generate": [{"table": "lead", "count": 1, "template": {"nope": "x"}}])"),
      Contains("generate[0] (table 'lead') template: unknown column 'nope'"));
  CHECK_THAT(
      error_of_one(table +
                   R"("generate": [{"table": "lead", "count": 1, "template": {"rank": "x"}}])"),
      Contains("column 'rank': expected an integer"));
  CHECK_THAT(
      error_of_one(table +
                   R"("generate": [{"table": "lead", "count": 3, "template": {"pick": "{{n}}"}}])"),
      Contains("generate[0] (table 'lead') row 2: column 'pick': 2 is not one of the options"));
  CHECK_THAT(
      error_of_one(
          table +
          R"("generate": [{"table": "lead", "count": 2, "template": {"leadid": "5a1e0c6d-1111-4a2b-9c3d-000000000001"}}])"),
      Contains("row 1") && Contains("duplicate primary id"));
  CHECK_THAT(
      error_of_one(table + R"("generate": [{"table": "ghost", "count": 1, "template": {}}])"),
      Contains("generate[0] (table 'ghost'): unknown table 'ghost'"));
  CHECK_THAT(
      error_of_one(table + R"("generate": [{"table": "lead", "count": -1, "template": {}}])"),
      Contains("generate[0].count must be an integer >= 0"));
  CHECK_THAT(error_of_one(table +
                          R"("generate": [{"table": "lead", "count": 100000000, "template": {}}])"),
             Contains("above the limit"));
  CHECK_THAT(error_of_one(table + R"("generate": [{"table": "lead", "template": {}}])"),
             Contains("generate[0]: missing 'count'"));
  CHECK_THAT(
      error_of_one(table +
                   R"("generate": [{"table": "lead", "count": 1, "template": {}, "cuont": 2}])"),
      Contains("generate[0]: unknown key 'cuont'"));
}

// ----- rows -----

TEST_CASE("row values are checked against their column and normalised", "[seed]") {
  const auto seed = load_one(widget_table + R"(, "rows": {"widget": [
      {"widgetid": "AAAAAAAA-0000-4000-8000-000000000001", "n": 3, "b": true,
       "d": "2026-05-22T18:00:00.1234567+02:00", "m": 2.5, "u": "BBBBBBBB-0000-4000-8000-000000000002",
       "s": "x", "memo": "long", "big": 1, "pick": 7, "_ref_value": "CCCCCCCC-0000-4000-8000-000000000003",
       "createdon": "2025-12-31T23:59:59Z", "_ownerid_value": "3f0c0000-0000-4000-8000-0000000000b1"},
      {"n": null, "b": null, "d": null, "m": 4, "u": null, "s": null, "pick": null, "_ref_value": "not-a-guid"}]})");
  const auto* widget = seed.tables.by_logical_name("widget");
  CHECK(widget->primary_name == "label");
  CHECK(widget->attribute("label")->kind == attribute_kind::string_);  // added for primary_name
  const auto& rows = seed.rows.at("widget");
  REQUIRE(rows.size() == 2);
  CHECK(at(rows[0], "widgetid") == json::value("aaaaaaaa-0000-4000-8000-000000000001"));
  CHECK(at(rows[0], "d") == json::value("2026-05-22T16:00:00.123Z"));
  CHECK(at(rows[0], "u") == json::value("bbbbbbbb-0000-4000-8000-000000000002"));
  CHECK(at(rows[0], "_ref_value") == json::value("cccccccc-0000-4000-8000-000000000003"));
  CHECK(at(rows[0], "createdon") == json::value("2025-12-31T23:59:59.000Z"));
  CHECK(at(rows[1], "_ref_value") == json::value("not-a-guid"));
  CHECK(at(rows[1], "widgetid") ==
        json::value(uuid_v5(opencloser_uuid_namespace, "opencloser:widget:row:1")));
  CHECK(at(rows[1], "createdon") == json::value("2026-01-01T00:00:00.001Z"));
  CHECK(at(rows[1], "d").is_null());
}

TEST_CASE("a row value of the wrong type names file, table, row and column", "[seed]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"n": "3"})", "column 'n': expected an integer"},
      {R"({"n": 1.5})", "column 'n': expected an integer"},
      {R"({"b": 0})", "column 'b': expected a boolean"},
      {R"({"d": "yesterday"})", "column 'd': expected a UtcMs or ISO 8601 date-time"},
      {R"({"d": "2026-02-30T00:00:00Z"})", "column 'd': expected a UtcMs or ISO 8601"},
      {R"({"d": 5})", "column 'd': expected a UtcMs or ISO 8601 string"},
      {R"({"m": "1"})", "column 'm': expected a number"},
      {R"({"u": "xyz"})", "column 'u': expected a GUID"},
      {R"({"s": 1})", "column 's': expected a string"},
      {R"({"memo": false})", "column 'memo': expected a string"},
      {R"({"pick": 6})", "column 'pick': 6 is not one of the options"},
      {R"({"pick": "5"})", "column 'pick': expected an integer option value"},
      {R"({"_ref_value": 5})", "column '_ref_value': expected a string"},
      {R"({"widgetid": "w-1"})", "column 'widgetid': expected a GUID"},
      {R"({"colour": "red"})", "unknown column 'colour' for table 'widget'"},
      {R"({"ref": "5a1e0c6d-1111-4a2b-9c3d-000000000001"})",
       "unknown column 'ref' for table 'widget' (a lookup is written '_ref_value')"},
  };
  for (const auto& [row_text, expected] : cases) {
    INFO(row_text);
    CHECK_THAT(error_of_one(widget_table + R"(, "rows": {"widget": [{}, )" + row_text + "]}"),
               Contains("emulator seed 's.json': table 'widget' row 1: " + expected));
  }
  CHECK_THAT(error_of_one(widget_table + R"(, "rows": {"widget": [5]})"),
             Contains("rows.widget[0] must be an object"));
  CHECK_THAT(error_of_one(widget_table + R"(, "rows": {"widget": {}})"),
             Contains("rows.widget must be an array"));
  CHECK_THAT(error_of_one(R"("rows": {"gadget": [{}]})"), Contains("rows: unknown table 'gadget'"));
}

TEST_CASE("a duplicate primary id is refused, naming both rows", "[seed]") {
  CHECK_THAT(error_of_one(R"("rows": {"account": [
      {"accountid": "5a1e0c6d-1111-4a2b-9c3d-000000000001"},
      {"accountid": "5A1E0C6D-1111-4A2B-9C3D-000000000001"}]})"),
             Contains("table 'account' row 1 in 's.json': duplicate primary id "
                      "'5a1e0c6d-1111-4a2b-9c3d-000000000001' (already used by table 'account' "
                      "row 0 in 's.json')"));
}

// ----- tables -----

TEST_CASE("table declarations are checked", "[seed]") {
  CHECK(load_one(R"("tables": {"gizmo": {}})").tables.by_entity_set("gizmos")->primary_id ==
        "gizmoid");  // the defaults for a new table
  CHECK_THAT(error_of_one(R"("tables": {"gizmo": {"attributes": {"x": "Float"}}})"),
             Contains("tables.gizmo.attributes.x: unknown attribute type 'Float'"));
  CHECK_THAT(error_of_one(R"("tables": {"gizmo": {"attributes": {"x": {"type": "Money"}}}})"),
             Contains("unknown attribute type 'Money'"));
  CHECK_THAT(error_of_one(R"("tables": {"gizmo": {"attributes": {"x": "Picklist"}}})"),
             Contains("a Picklist needs its options"));
  CHECK_THAT(error_of_one(R"("tables": {"gizmo": {"attributes": {"x": "Lookup"}}})"),
             Contains("a Lookup needs its targets"));
  CHECK_THAT(error_of_one(
                 R"("tables": {"gizmo": {"attributes": {"x": {"type": "State", "options": []}}}})"),
             Contains("tables.gizmo.attributes.x.options must not be empty"));
  CHECK_THAT(
      error_of_one(
          R"("tables": {"gizmo": {"attributes": {"x": {"type": "Status", "options": [1, 1]}}}})"),
      Contains("1 appears twice"));
  CHECK_THAT(
      error_of_one(
          R"("tables": {"gizmo": {"attributes": {"x": {"type": "Status", "options": ["a"]}}}})"),
      Contains("options[0] must be an integer"));
  CHECK_THAT(
      error_of_one(
          R"("tables": {"gizmo": {"attributes": {"x": {"type": "Lookup", "targets": []}}}})"),
      Contains("targets must not be empty"));
  CHECK_THAT(
      error_of_one(
          R"("tables": {"gizmo": {"attributes": {"x": {"type": "Lookup", "targets": ["a"], "options": [1]}}}})"),
      Contains("unknown key 'options'"));
  CHECK_THAT(error_of_one(R"("tables": {"gizmo": {"attributes": {"x": 5}}})"),
             Contains("tables.gizmo.attributes.x must be an object, not an integer"));
  CHECK_THAT(error_of_one(R"("tables": {"Gizmo": {}})"),
             Contains("table name 'Gizmo' is not a logical name"));
  CHECK_THAT(error_of_one(R"("tables": {"gizmo": {"entity_set_name": "Gizmos"}})"),
             Contains("tables.gizmo.entity_set_name: 'Gizmos' is not a logical name"));
  CHECK_THAT(error_of_one(R"("tables": {"gizmo": {"entityset": "gizmos"}})"),
             Contains("tables.gizmo: unknown key 'entityset'"));
  CHECK_THAT(error_of_one(R"("tables": {"gizmo": {"activity_enabled": "yes"}})"),
             Contains("tables.gizmo.activity_enabled must be a boolean"));
  CHECK_THAT(error_of_one(R"("tables": {"gizmo": {"entity_set_name": "accounts"}})"),
             Contains("share the entity set 'accounts'"));
  CHECK_THAT(
      error_of_one(R"("tables": {"gizmo": {"primary_name": "n", "attributes": {"n": "Integer"}}})"),
      Contains("tables.gizmo.primary_name: 'n' is a Integer column"));
  CHECK_THAT(error_of_one(R"("tables": {"gizmo": {"attributes": {"gizmoid": "String"}}})"),
             Contains("declared as String but table 'gizmo' already has it as Uniqueidentifier"));
  CHECK_THAT(
      error_of_one(
          R"("tables": {"gizmo": {"attributes": {"ownerid": {"type": "Lookup", "targets": ["team"]}}}})"),
      Contains("already has it as Owner"));
}

TEST_CASE("a tables entry naming a built-in table only adds attributes", "[seed]") {
  const auto seed = load_one(R"("tables": {"account": {"entity_set_name": "accounts",
      "attributes": {"name": "String", "acme_region": "String"}}})");
  const auto* account = seed.tables.by_logical_name("account");
  CHECK(account->attribute("acme_region"));
  CHECK(account->primary_name == "name");
  CHECK_THAT(error_of_one(R"("tables": {"account": {"entity_set_name": "companies"}})"),
             Contains("tables.account.entity_set_name: 'account' is a built-in table"));
  CHECK_THAT(error_of_one(R"("tables": {"task": {"primary_id": "taskid"}})"),
             Contains("tables.task.primary_id"));
  CHECK_THAT(
      error_of_one(
          R"("tables": {"team": {"attributes": {"teamtype": {"type": "Picklist", "options": [0, 1, 2]}}}})"),
      Contains("already has it as Picklist [0, 1]"));
}

// ----- merging -----

TEST_CASE("merging seeds follows fixtures.md 5", "[seed]") {
  const auto first = doc("a.json", R"({"schema_version": "opencloser-emulator-seed-v1",
      "auth": {"tenant_id": "t-one", "token_lifetime_s": 100, "required": true,
               "clients": [{"client_id": "one", "client_secret": "s1"}]},
      "dop_hint": 2, "throttling": {"requests": 10, "window_s": 2},
      "tables": {"lead": {"activity_enabled": true, "attributes": {"a": "String"}}},
      "rows": {"lead": [{"a": "first"}]},
      "generate": [{"table": "lead", "count": 1, "template": {"a": "gen-a"}}]})");
  const auto second = doc("b.json", R"({"schema_version": "opencloser-emulator-seed-v1",
      "auth": {"tenant_id": "t-two", "required": false,
               "clients": [{"client_id": "two", "client_secret": "s2"}]},
      "throttling": {"window_s": 5, "concurrency": 3},
      "tables": {"lead": {"entity_set_name": "leads", "attributes": {"a": "String", "b": "Integer"}}},
      "rows": {"lead": [{"b": 2}]},
      "generate": [{"table": "lead", "count": 1, "template": {"a": "gen-b"}}]})");
  const auto seed = load({first, second});
  REQUIRE(seed.clients.size() == 2);
  CHECK(seed.clients[0].client_id == "one");
  CHECK(seed.clients[1].client_id == "two");
  CHECK(seed.tenant_id == "t-two");
  CHECK(seed.token_lifetime_s == 100);  // not restated: the earlier value stays
  CHECK_FALSE(seed.auth_required);
  CHECK(seed.dop_hint == 2);
  CHECK(seed.throttling.requests == 10);
  CHECK(seed.throttling.window_s == 5);
  CHECK(seed.throttling.concurrency == 3);
  CHECK(seed.throttling.exec_ms == 1'200'000);
  const auto* lead = seed.tables.by_logical_name("lead");
  CHECK(lead->activity_enabled);
  CHECK(lead->attribute("a"));
  CHECK(lead->attribute("b"));
  const auto& rows = seed.rows.at("lead");
  REQUIRE(rows.size() == 4);  // rows of both files, then both generate entries
  CHECK(at(rows[0], "a") == json::value("first"));
  CHECK(at(rows[1], "b") == json::value(2));
  CHECK(at(rows[2], "a") == json::value("gen-a"));
  CHECK(at(rows[3], "a") == json::value("gen-b"));
}

TEST_CASE("merge conflicts name the file that brought them", "[seed]") {
  const auto base = doc("a.json", R"({"schema_version": "opencloser-emulator-seed-v1",
      "tables": {"lead": {"entity_set_name": "leads", "attributes": {"a": "String"}}},
      "rows": {"lead": [{"leadid": "5a1e0c6d-1111-4a2b-9c3d-000000000009"}]}})");
  CHECK_THAT(error_of({base, doc("b.json", R"({"schema_version": "opencloser-emulator-seed-v1",
      "tables": {"lead": {"attributes": {"a": "Integer"}}}})")}),
             Contains("emulator seed 'b.json': tables.lead.attributes.a: declared as Integer "
                      "but as String in 'a.json'"));
  CHECK_THAT(error_of({base, doc("b.json", R"({"schema_version": "opencloser-emulator-seed-v1",
      "tables": {"lead": {"entity_set_name": "prospects"}}})")}),
             Contains("emulator seed 'b.json': tables.lead.entity_set_name: 'prospects' "
                      "conflicts with 'leads' declared in 'a.json'"));
  CHECK_THAT(
      error_of({base, doc("b.json",
                          R"({"lead": [{"leadid": "5A1E0C6D-1111-4A2B-9C3D-000000000009"}]})")}),
      Contains("emulator seed 'b.json': table 'lead' row 0 in 'b.json': duplicate primary "
               "id") &&
          Contains("row 0 in 'a.json'"));
  // A bare-rows seed is validated against the tables of the merged seed, wherever declared.
  const auto merged =
      load({doc("rows.json", R"({"_comment": "x", "lead": [{"a": "late"}]})"), base});
  CHECK(merged.rows.at("lead").size() == 2);
}

TEST_CASE("the default client is added when no seed names one", "[seed]") {
  const auto seed = load({doc("bare.json", R"({"account": []})")});
  REQUIRE(seed.clients.size() == 1);
  CHECK(seed.clients[0].client_id == default_client_id);
  CHECK(seed.clients[0].client_secret == default_client_secret);
  CHECK(seed.tenant_id == default_tenant_id);
  CHECK(seed.dop_hint == 4);
  CHECK(seed.tables.tables.size() == 5);
  CHECK(seed.rows.empty());
}

// ----- document-level errors -----

TEST_CASE("unusable seed documents are refused with the file named", "[seed]") {
  CHECK_THAT(error_of({doc("v.json", R"({"schema_version": "opencloser-emulator-seed-v2"})")}),
             Contains("emulator seed 'v.json': unsupported schema_version "
                      "'opencloser-emulator-seed-v2'"));
  CHECK_THAT(error_of({doc("v.json", R"({"schema_version": 1})")}),
             Contains("unsupported schema_version an integer"));
  CHECK_THAT(error_of({doc("a.json", "[1, 2]")}),
             Contains("emulator seed 'a.json': the seed must be an object, not an array"));
  CHECK_THAT(error_of_one(R"("tabels": {})"),
             Contains("emulator seed 's.json': the seed: unknown key 'tabels'"));
  CHECK_NOTHROW(load_one(R"("_comment": "ignored", "_notes": [1])"));
  CHECK_THAT(error_of({doc("bare.json", R"({"tables": {"x": {}}})")}),
             Contains("emulator seed 'bare.json': has no schema_version") &&
                 Contains("'tables' is an object"));
  CHECK_THAT(error_of_one(R"("auth": {"tenant_id": ""})"),
             Contains("auth.tenant_id must be a non-empty string, not an empty one"));
  CHECK_THAT(error_of_one(R"("auth": {"token_lifetime_s": 0})"),
             Contains("auth.token_lifetime_s must be an integer >= 1, not 0"));
  CHECK_THAT(error_of_one(R"("auth": {"required": "yes"})"),
             Contains("auth.required must be a boolean"));
  CHECK_THAT(error_of_one(R"("auth": {"clients": [{"client_id": "x"}]})"),
             Contains("auth.clients[0]: missing 'client_secret'"));
  CHECK_THAT(error_of_one(R"("auth": {"clients": {}})"), Contains("auth.clients must be an array"));
  CHECK_THAT(error_of_one(R"("auth": {"tenant": "x"})"), Contains("auth: unknown key 'tenant'"));
  CHECK_THAT(error_of_one(R"("dop_hint": 0)"), Contains("dop_hint must be an integer >= 1"));
  CHECK_THAT(error_of_one(R"("throttling": {"requests": -1})"),
             Contains("throttling.requests must be an integer >= 0"));
  CHECK_THAT(error_of_one(R"("throttling": {"burst": 1})"),
             Contains("throttling: unknown key 'burst'"));
  CHECK_THAT(error_of_one(R"("generate": {})"), Contains("generate must be an array"));
  CHECK_THAT(error_of_one(R"("queue_item_imports": [{"file": "x.json"}])"),
             Contains("queue_item_imports[0]: missing 'mapping'"));
  CHECK_THAT(
      error_of_one(R"("queue_item_imports": [{"file": "x", "mapping": "m", "campaign": 5}])"),
      Contains("queue_item_imports[0].campaign must be a string or null"));
  CHECK_THAT(
      error_of_one(
          R"("queue_item_imports": [{"file": "x", "mapping": "m", "next_attempt_at": "soon"}])"),
      Contains("queue_item_imports[0].next_attempt_at must be a UtcMs string or null"));
}

TEST_CASE("seed files that cannot be read or parsed are refused with the file named", "[seed]") {
  opencloser::testing::temp_dir dir;
  const auto broken = dir.write("broken.json", R"({"schema_version": )");
  CHECK_THROWS_WITH(load_seeds({broken}),
                    Contains("emulator seed '" + broken + "': not valid JSON"));
  const auto missing = (dir.path / "missing.json").string();
  CHECK_THROWS_WITH(load_seeds({missing}),
                    Contains("emulator seed '" + missing + "': not found or not a regular file"));
  CHECK_THROWS_WITH(load_seeds({dir.path}), Contains("not found or not a regular file"));
}

// ----- queue-item imports -----

TEST_CASE("queue-item imports become queue rows through the mapping", "[seed]") {
  const auto seed = load_seeds({opencloser::testing::fixture("emulator/demo_seed.json"),
                                opencloser::testing::fixture("emulator/imports_seed.json")});
  const auto& queue = seed.rows.at("acme_callqueue");
  REQUIRE(queue.size() == 23 + 3);
  const auto oak = uuid_v5(opencloser_uuid_namespace, "opencloser:account:Oak Terrace ALF");
  const auto& ready = queue[23];
  CHECK(at(ready, "acme_callqueueid") ==
        json::value(uuid_v5(opencloser_uuid_namespace, "opencloser:queue_item:oak-terrace-1")));
  CHECK(at(ready, "acme_phone") == json::value("+15555550170"));
  CHECK(at(ready, "acme_tz") == json::value("America/Los_Angeles"));
  CHECK(at(ready, "acme_attempts") == json::value(0));
  CHECK(at(ready, "acme_dnc") == json::value(false));
  CHECK(at(ready, "acme_status") == json::value(100000000));
  CHECK(at(ready, "_acme_accountid_value") == json::value(oak));
  CHECK(at(ready, "_acme_campaignid_value") == json::value("spring-push"));
  CHECK(at(ready, "acme_nextattemptat") == json::value("2026-06-01T16:00:00.000Z"));
  CHECK(at(ready, "createdon") == json::value("2026-01-01T00:00:00.023Z"));
  CHECK_FALSE(ready.contains("email"));

  const auto& dnc = queue[24];
  CHECK(at(dnc, "acme_dnc") == json::value(true));
  CHECK(at(dnc, "_acme_campaignid_value").is_null());
  CHECK(at(dnc, "_acme_accountid_value") == json::value(oak));

  const auto& birch = queue[25];
  CHECK(at(birch, "acme_callqueueid") == json::value("7e57ab1e-0000-4000-8000-00000000c0de"));
  CHECK(at(birch, "acme_status") == json::value(100000003));
  CHECK(at(birch, "acme_attempts") == json::value(2));
  CHECK(at(birch, "acme_tz").is_null());
  CHECK_FALSE(birch.contains("_acme_campaignid_value"));  // not given: left out

  // Oak Terrace's account is created once and reused; Birch Hollow gets its own.
  const auto& accounts = seed.rows.at("account");
  REQUIRE(accounts.size() == 3);
  CHECK(at(accounts[1], "accountid") == json::value(oak));
  CHECK(at(accounts[1], "name") == json::value("Oak Terrace ALF"));
  CHECK(at(accounts[2], "name") == json::value("Birch Hollow Memory Care"));
}

TEST_CASE("queue-item imports that cannot be translated name the seed file", "[seed]") {
  opencloser::testing::temp_dir dir;
  const auto fixtures = opencloser::testing::fixture("emulator");
  const auto demo = (fixtures / "demo_seed.json").string();
  const auto mapping = (fixtures / "acme_mapping.json").string();
  const auto ready = opencloser::testing::fixture("queue_items/ready.json").string();
  const auto import_seed = [&](const std::string& name, const std::string& file,
                               const std::string& map) {
    return dir.write(name, R"({"schema_version": "opencloser-emulator-seed-v1",
        "queue_item_imports": [{"file": ")" +
                               file + R"(", "mapping": ")" + map + R"("}]})");
  };

  const auto missing_item = import_seed("a.json", "nowhere.json", mapping);
  CHECK_THROWS_WITH(load_seeds({demo, missing_item}),
                    Contains("emulator seed '" + missing_item + "': queue_item_imports[0]") &&
                        Contains("nowhere.json"));

  const auto bad_mapping = dir.write("bad_mapping.json", R"({"entities": {}})");
  const auto with_bad_mapping = import_seed("b.json", ready, bad_mapping);
  CHECK_THROWS_WITH(
      load_seeds({demo, with_bad_mapping}),
      Contains("emulator seed '" + with_bad_mapping + "'") && Contains("mapping artifact error"));

  // The mapping's queue table exists only when the demo seed declares it.
  const auto alone = import_seed("c.json", ready, mapping);
  CHECK_THROWS_WITH(load_seeds({alone}),
                    Contains("emulator seed '" + alone + "'") &&
                        Contains("queue_item table 'acme_callqueue' is not declared"));

  // An option the mapping lacks (the whole `queue_status.ready` entry removed).
  auto text = opencloser::testing::read_file(mapping);
  const auto cut = text.find(R"("queue_status.ready")");
  REQUIRE(cut != std::string::npos);
  text.erase(cut, text.find('\n', cut) + 1 - cut);
  const auto partial_mapping = dir.write("partial_mapping.json", text);
  const auto with_partial = import_seed("d.json", ready, partial_mapping);
  CHECK_THROWS_WITH(load_seeds({demo, with_partial}),
                    Contains("emulator seed '" + with_partial + "'") &&
                        Contains("the mapping has no option_sets entry 'queue_status.ready'"));

  // Importing the same queue item twice is a duplicate primary id.
  const auto twice = dir.write("e.json", R"({"schema_version": "opencloser-emulator-seed-v1",
      "queue_item_imports": [{"file": ")" + ready +
                                             R"(", "mapping": ")" + mapping + R"("},
                             {"file": ")" + ready +
                                             R"(", "mapping": ")" + mapping + R"("}]})");
  CHECK_THROWS_WITH(load_seeds({demo, twice}),
                    Contains("emulator seed '" + twice + "'") && Contains("duplicate primary id"));
}
