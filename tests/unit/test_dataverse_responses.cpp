// Reading Dataverse answers (dataverse.md §1, §3.2, §4, §6, §7).

#include "adapters/dataverse/dataverse_responses.hpp"
#include "tests/unit/dataverse_test_data.hpp"

using namespace opencloser;
using namespace opencloser::dataverse;
using namespace opencloser::testing;

namespace {

json::value row_json(const std::string& extra = "") {
  return json::parse(R"({"@odata.etag":"W/\"41\"","acme_callqueueid":")" + queue_id +
                     R"(","acme_phone":"+15551234567","acme_tz":"America/Chicago",)"
                     R"("acme_attempts":2,"acme_dnc":false,"acme_status":100000000,)"
                     R"("acme_lastsession":null,"acme_lastdisposition":"no_answer",)"
                     R"("acme_notes":"keep","acme_owneroverride":"",)"
                     R"("_acme_accountid_value":"b0000000-0000-4000-8000-000000000007")" +
                     extra + "}");
}

json::value with(json::value row, std::string_view key, json::value v) {
  row.set(key, std::move(v));
  return row;
}

}  // namespace

TEST_CASE("a queue row becomes a QueueItem, its facility lookup and its baseline") {
  const auto m = acme_resolved();
  const auto loaded = parse_queue_row(m, row_json());
  CHECK(loaded.item.queue_item_id == queue_id);
  CHECK(loaded.item.phone_number == nullable<std::string>("+15551234567"));
  CHECK(loaded.item.timezone == nullable<std::string>("America/Chicago"));
  CHECK(loaded.item.attempt_count == 2);
  CHECK_FALSE(loaded.item.dnc_flag);
  CHECK(loaded.item.status == callable_status::ready);
  CHECK(loaded.item.facility_name.empty());
  CHECK(loaded.facility_account_id ==
        std::optional<std::string>("b0000000-0000-4000-8000-000000000007"));
  CHECK_FALSE(loaded.owner_override);  // "" means none
  CHECK(loaded.baseline.etag == std::optional<std::string>("W/\"41\""));
  CHECK(loaded.baseline.status == json::value(100000000));
  CHECK(loaded.baseline.last_session_id.is_null());
  CHECK(loaded.baseline.last_disposition == json::value("no_answer"));
  REQUIRE(loaded.baseline.preserve.size() == 1);
  CHECK(loaded.baseline.preserve[0].first == "acme_notes");
  CHECK(loaded.baseline.preserve[0].second == json::value("keep"));
}

TEST_CASE("row values: null attempts are 0, DNC is truthy, absent columns read as null") {
  const auto m = acme_resolved();
  auto row = with(row_json(), "acme_attempts", nullptr);
  row = with(row, "acme_dnc", 1);
  row = with(row, "acme_phone", nullptr);
  const auto loaded = parse_queue_row(m, row);
  CHECK(loaded.item.attempt_count == 0);
  CHECK(loaded.item.dnc_flag);
  CHECK_FALSE(loaded.item.phone_number);
  CHECK(parse_queue_row(m, with(row_json(), "acme_dnc", "x")).item.dnc_flag);
  CHECK_FALSE(parse_queue_row(m, with(row_json(), "acme_dnc", "")).item.dnc_flag);
  CHECK(parse_queue_row(m, with(row_json(), "acme_status", 100000004)).item.status ==
        callable_status::dnc);
}

TEST_CASE("bad queue rows fail with a detail naming the column") {
  const auto m = acme_resolved();
  CHECK_THROWS_WITH(
      parse_queue_row(m, with(row_json(), "acme_callqueueid", "ACME-1")),
      Catch::Matchers::Contains("'ACME-1'") && Catch::Matchers::Contains("not a GUID"));
  CHECK_THROWS_WITH(parse_queue_row(m, with(row_json(), "acme_callqueueid", queue_id + "\n")),
                    Catch::Matchers::Contains("not a GUID"));
  CHECK_THROWS_WITH(parse_queue_row(m, with(row_json(), "acme_phone", 5551234567)),
                    Catch::Matchers::Contains("'acme_phone' is not a string or null"));
  CHECK_THROWS_WITH(parse_queue_row(m, with(row_json(), "acme_attempts", -1)),
                    Catch::Matchers::Contains("acme_attempts"));
  CHECK_THROWS_WITH(parse_queue_row(m, with(row_json(), "acme_attempts", "2")),
                    Catch::Matchers::Contains("is not an integer >= 0"));
  CHECK_THROWS_WITH(
      parse_queue_row(m, with(row_json(), "acme_status", 7)),
      Catch::Matchers::Contains("status value 7 is not a mapped queue_status option"));
  CHECK_THROWS_AS(parse_queue_row(m, with(row_json(), "acme_status", nullptr)), response_error);
}

TEST_CASE("facility name: the primary name column, else the raw id") {
  auto m = acme_resolved();
  m.name_table_primary_name = "name";
  CHECK(facility_name_from(m, json::parse(R"({"value":[{"name":"Acme Care"}]})"), "id") ==
        "Acme Care");
  CHECK(facility_name_from(m, json::parse(R"({"value":[]})"), "raw-id") == "raw-id");
  CHECK(facility_name_from(m, json::parse(R"({"value":[{"name":null}]})"), "raw-id") == "raw-id");
  CHECK_THROWS_AS(facility_name_from(m, json::parse(R"({"error":{}})"), "x"), response_error);
}

TEST_CASE("OData error codes and the duplicate-key answer") {
  const std::string dup = R"({"error":{"code":"0x80040237","message":"duplicate"}})";
  CHECK(odata_error_code(dup) == std::optional<std::string>("0x80040237"));
  CHECK_FALSE(odata_error_code("not json"));
  CHECK_FALSE(odata_error_code(R"({"error":"x"})"));
  CHECK(is_duplicate_key(412, dup));
  CHECK(is_duplicate_key(400, dup));
  CHECK_FALSE(is_duplicate_key(409, dup));
  CHECK_FALSE(is_duplicate_key(412, R"({"error":{"code":"0x80040265"}})"));
}

TEST_CASE("created ids come from OData-EntityId or a 201 body and must be GUIDs") {
  const std::string id = "7b7c0c0e-1d5a-4f34-9a71-8b1f0a3c2d10";
  CHECK(created_record_id("https://x/api/data/v9.2/phonecalls(" + id + ")", 204, "",
                          "activityid") == id);
  CHECK(created_record_id("https://x/api/data/v9.2/phonecalls('" + id + "')", 204, "",
                          "activityid") == id);
  CHECK(created_record_id(std::nullopt, 201, R"({"activityid":")" + id + "\"}", "activityid") ==
        id);
  CHECK_THROWS_WITH(
      created_record_id("https://x/api/data/v9.2/phonecalls(42)", 204, "", "activityid"),
      "Dataverse returned a created record id '42' that is not a GUID");
  CHECK_THROWS_WITH(created_record_id(std::nullopt, 204, "", "activityid"),
                    "Dataverse did not return the created record id");
  CHECK_THROWS_AS(created_record_id(std::nullopt, 201, "{}", "activityid"), response_error);
}

TEST_CASE("pre-query hits: id, miss, or a hit without an id") {
  const std::string id = "7b7c0c0e-1d5a-4f34-9a71-8b1f0a3c2d10";
  CHECK(prequery_hit_id(json::parse(R"({"value":[{"activityid":")" + id + R"(","statecode":1}]})"),
                        "activityid") == std::optional<std::string>(id));
  CHECK_FALSE(prequery_hit_id(json::parse(R"({"value":[]})"), "activityid"));
  CHECK_THROWS_AS(prequery_hit_id(json::parse(R"({"value":[{"statecode":0}]})"), "activityid"),
                  response_error);
  CHECK(row_statecode(json::parse(R"({"statecode":1})")) == std::optional<std::int64_t>(1));
  CHECK_FALSE(row_statecode(json::parse(R"({})")));
}

TEST_CASE("applied checks and baseline conflicts on a re-read row") {
  const auto m = acme_resolved();
  const auto loaded = parse_queue_row(m, row_json());
  auto claimed = with(with(row_json(), "acme_status", 100000001), "acme_lastsession", session_id);
  CHECK(claim_applied(m, claimed, session_id));
  CHECK_FALSE(claim_applied(m, claimed, "ses_ffffffffffffffffffffffffffffffff"));
  CHECK_FALSE(claim_applied(m, row_json(), session_id));

  auto update = sample_status_update();
  auto done = with(with(row_json(), "acme_lastsession", session_id), "acme_lastdisposition",
                   update.transition_reason);
  CHECK(status_update_applied(m, done, update));
  CHECK_FALSE(status_update_applied(m, with(done, "acme_lastdisposition", "x"), update));

  CHECK(baseline_conflicts(m, loaded.baseline, row_json()).empty());
  auto changed = with(with(row_json(), "acme_notes", "edited"), "acme_status", 100000003);
  changed = with(changed, "acme_phone", "+15550000000");  // not a baseline column here
  CHECK(baseline_conflicts(m, loaded.baseline, changed) ==
        std::vector<std::string>{"acme_status", "acme_notes"});
  json::value missing_notes = json::parse(R"({"acme_status":100000000})");
  CHECK(baseline_conflicts(m, loaded.baseline, missing_notes) ==
        std::vector<std::string>{"acme_notes"});
}

TEST_CASE("$batch outcomes: first failing part, else the envelope") {
  CHECK(batch_result(200, "", {{204, ""}, {204, ""}, {204, ""}}, 3).success);
  const auto failed = batch_result(200, "", {{204, ""}, {412, "{\"error\":{}}"}}, 3);
  CHECK_FALSE(failed.success);
  CHECK(failed.status == 412);
  CHECK(failed.body == "{\"error\":{}}");
  const auto plain = batch_result(400, "{\"error\":{\"code\":\"0x0\"}}", {}, 3);
  CHECK(plain.status == 400);
  CHECK_FALSE(plain.success);
  CHECK_FALSE(batch_result(200, "", {{204, ""}}, 3).success);  // parts missing
}

TEST_CASE("metadata answers: entity definition, attributes, option values, regarding") {
  const auto def = parse_entity_definition(json::parse(
      R"({"LogicalName":"account","EntitySetName":"accounts","PrimaryIdAttribute":"accountid","PrimaryNameAttribute":"name"})"));
  CHECK(def.entity_set_name == "accounts");
  CHECK(def.primary_name_attribute == "name");
  CHECK_THROWS_AS(parse_entity_definition(json::parse(R"({"LogicalName":"x"})")), response_error);

  const auto attrs = parse_attributes(json::parse(
      R"({"value":[{"LogicalName":"acme_status","AttributeType":"Picklist"},{"LogicalName":"ownerid","AttributeType":"Owner"}]})"));
  REQUIRE(attrs.size() == 2);
  CHECK(attrs[1] == std::pair<std::string, std::string>{"ownerid", "Owner"});

  CHECK(parse_option_values(json::parse(
            R"({"OptionSet":{"Options":[{"Value":1},{"Value":2}]},"GlobalOptionSet":null})")) ==
        std::vector<std::int64_t>{1, 2});
  CHECK(parse_option_values(json::parse(
            R"({"OptionSet":{"Options":[]},"GlobalOptionSet":{"Options":[{"Value":5}]}})")) ==
        std::vector<std::int64_t>{5});
  CHECK(parse_option_values(json::parse(R"({"OptionSet":null,"GlobalOptionSet":null})")).empty());

  CHECK(
      parse_regarding_navigation(json::parse(
          R"({"value":[{"ReferencingEntityNavigationPropertyName":"regardingobjectid_acme_callqueue_task"}]})")) ==
      std::optional<std::string>("regardingobjectid_acme_callqueue_task"));
  CHECK_FALSE(parse_regarding_navigation(json::parse(R"({"value":[]})")));
}
