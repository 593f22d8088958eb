// The emulator over HTTP: metadata requests (emulator.md §2) as the product's readiness checks
// and discover-crm send them.

#include <algorithm>

#include "tests/emulator/http_test_client.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser::emulator;
using namespace opencloser::emulator::http_testing;
namespace json = opencloser::json;

namespace {

/// The member names of an object, `@odata.*` annotations left out.
std::vector<std::string> keys_of(const json::value& o) {
  std::vector<std::string> out;
  for (const auto& [k, v] : o.as_object())
    if (!k.starts_with("@")) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::int64_t> option_values(const json::value& option_set) {
  std::vector<std::int64_t> out;
  for (const auto& o : option_set.find("Options")->as_array()) {
    out.push_back(o.find("Value")->as_int());
    CHECK(o.find("Label")->find("UserLocalizedLabel")->find("Label")->as_string() ==
          std::to_string(out.back()));
  }
  return out;
}

const std::string cast_prefix = "/Microsoft.Dynamics.CRM.";

}  // namespace

TEST_CASE("EntityDefinitions answers the table's names, restricted to $select plus MetadataId",
          "[http][metadata]") {
  running_emulator e;
  auto client = e.client();

  const auto full = client.get("EntityDefinitions(LogicalName='acme_callqueue')");
  REQUIRE(full.status == 200);
  const auto def = full.json();
  CHECK(def.find("LogicalName")->as_string() == "acme_callqueue");
  CHECK(def.find("EntitySetName")->as_string() == "acme_callqueues");
  CHECK(def.find("PrimaryIdAttribute")->as_string() == "acme_callqueueid");
  CHECK(def.find("PrimaryNameAttribute")->is_null());  // the seed names no primary_name
  CHECK(opencloser::is_guid(def.find("MetadataId")->as_string()));

  const auto selected = client.get(
      "EntityDefinitions(LogicalName='acme_callqueue')?$select=EntitySetName,PrimaryIdAttribute");
  REQUIRE(selected.status == 200);
  CHECK(keys_of(selected.json()) ==
        std::vector<std::string>{"EntitySetName", "MetadataId", "PrimaryIdAttribute"});
  CHECK(selected.json().find("MetadataId")->as_string() == def.find("MetadataId")->as_string());

  SECTION("primary names of built-in tables") {
    const auto name_of = [&](const std::string& table) {
      return client
          .get("EntityDefinitions(LogicalName='" + table + "')?$select=PrimaryNameAttribute")
          .json()
          .find("PrimaryNameAttribute")
          ->as_string();
    };
    CHECK(name_of("account") == "name");
    CHECK(name_of("team") == "name");
    CHECK(name_of("systemuser") == "fullname");
    CHECK(name_of("phonecall") == "subject");
    CHECK(name_of("task") == "subject");
    CHECK(client.get("EntityDefinitions(LogicalName='phonecall')?$select=EntitySetName")
              .json()
              .find("EntitySetName")
              ->as_string() == "phonecalls");
  }
  SECTION("unknown table → 404, unknown $select property → 400") {
    const auto missing = client.get("EntityDefinitions(LogicalName='acme_nosuchtable')");
    CHECK(missing.status == 404);
    CHECK(!missing.error_code().empty());
    CHECK(client.get("EntityDefinitions(LogicalName='account')?$select=NoSuchProperty").status ==
          400);
  }
}

TEST_CASE("Attributes lists every column sorted by LogicalName with its AttributeType",
          "[http][metadata]") {
  running_emulator e;
  auto client = e.client();
  const auto types_of = [&](const std::string& table) {
    const auto r = client.get("EntityDefinitions(LogicalName='" + table +
                              "')/Attributes?$select=LogicalName,AttributeType");
    REQUIRE(r.status == 200);
    std::vector<std::pair<std::string, std::string>> out;
    const auto body = r.json();
    for (const auto& a : body.find("value")->as_array()) {
      CHECK(opencloser::is_guid(a.find("MetadataId")->as_string()));
      out.emplace_back(a.find("LogicalName")->as_string(), a.find("AttributeType")->as_string());
    }
    return out;
  };

  const auto queue = types_of("acme_callqueue");
  std::vector<std::string> names;
  for (const auto& [n, t] : queue) names.push_back(n);
  CHECK(std::is_sorted(names.begin(), names.end()));
  const auto type_of = [](const auto& list, std::string_view name) {
    for (const auto& [n, t] : list)
      if (n == name) return t;
    return std::string("<absent>");
  };
  CHECK(type_of(queue, "acme_callqueueid") == "Uniqueidentifier");
  CHECK(type_of(queue, "acme_phone") == "String");
  CHECK(type_of(queue, "acme_notes") == "Memo");
  CHECK(type_of(queue, "acme_attempts") == "Integer");
  CHECK(type_of(queue, "acme_dnc") == "Boolean");
  CHECK(type_of(queue, "acme_nextattemptat") == "DateTime");
  CHECK(type_of(queue, "acme_status") == "Picklist");
  CHECK(type_of(queue, "acme_priority") == "Picklist");
  CHECK(type_of(queue, "acme_externalref") == "Uniqueidentifier");
  CHECK(type_of(queue, "acme_accountid") == "Lookup");
  CHECK(type_of(queue, "ownerid") == "Owner");
  CHECK(type_of(queue, "createdon") == "DateTime");
  CHECK(type_of(queue, "modifiedon") == "DateTime");
  CHECK(type_of(queue, "versionnumber") == "BigInt");

  const auto phonecall = types_of("phonecall");
  CHECK(type_of(phonecall, "activityid") == "Uniqueidentifier");
  CHECK(type_of(phonecall, "statecode") == "State");
  CHECK(type_of(phonecall, "statuscode") == "Status");
  CHECK(type_of(phonecall, "regardingobjectid") == "Lookup");
  CHECK(type_of(phonecall, "acme_idemkey") == "String");
  CHECK(type_of(phonecall, "directioncode") == "Boolean");

  CHECK(client.get("EntityDefinitions(LogicalName='acme_nosuchtable')/Attributes").status == 404);
}

TEST_CASE("option-set casts: options only with $expand, global sets under GlobalOptionSet",
          "[http][metadata]") {
  running_emulator e;
  auto client = e.client();
  const auto attribute = [](const std::string& table, const std::string& column,
                            const std::string& cast) {
    return "EntityDefinitions(LogicalName='" + table + "')/Attributes(LogicalName='" + column +
           "')" + cast_prefix + cast;
  };
  const auto status_cast = attribute("acme_callqueue", "acme_status", "PicklistAttributeMetadata");

  SECTION("without $expand: no OptionSet, no GlobalOptionSet") {
    const auto r = client.get(status_cast + "?$select=LogicalName");
    REQUIRE(r.status == 200);
    const auto body = r.json();
    CHECK(body.find("LogicalName")->as_string() == "acme_status");
    CHECK(opencloser::is_guid(body.find("MetadataId")->as_string()));
    CHECK_FALSE(body.contains("OptionSet"));
    CHECK_FALSE(body.contains("GlobalOptionSet"));
  }
  SECTION("a local set with $expand") {
    const auto r = client.get(
        status_cast +
        "?$select=LogicalName&$expand=OptionSet($select=Options),GlobalOptionSet($select=Options)");
    REQUIRE(r.status == 200);
    const auto body = r.json();
    CHECK(option_values(*body.find("OptionSet")) ==
          std::vector<std::int64_t>{100000000, 100000001, 100000002, 100000003, 100000004});
    CHECK(body.find("GlobalOptionSet")->is_null());
    // A bare name expands too, and only what was asked for appears.
    const auto bare = client.get(status_cast + "?$expand=OptionSet").json();
    CHECK(bare.contains("OptionSet"));
    CHECK_FALSE(bare.contains("GlobalOptionSet"));
  }
  SECTION("a global set") {
    const auto r =
        client.get(attribute("acme_callqueue", "acme_priority", "PicklistAttributeMetadata") +
                   "?$select=LogicalName&$expand=OptionSet,GlobalOptionSet");
    REQUIRE(r.status == 200);
    const auto body = r.json();
    CHECK(body.find("OptionSet")->is_null());
    CHECK(option_values(*body.find("GlobalOptionSet")) == std::vector<std::int64_t>{1, 2, 3});
  }
  SECTION("Status and State casts of activities") {
    const auto status = client.get(attribute("phonecall", "statuscode", "StatusAttributeMetadata") +
                                   "?$expand=OptionSet");
    REQUIRE(status.status == 200);
    CHECK(option_values(*status.json().find("OptionSet")) == std::vector<std::int64_t>{1, 2, 3, 4});
    const auto state =
        client.get(attribute("task", "statecode", "StateAttributeMetadata") + "?$expand=OptionSet");
    REQUIRE(state.status == 200);
    CHECK(option_values(*state.json().find("OptionSet")) == std::vector<std::int64_t>{0, 1, 2});
    const auto task_status = client.get(attribute("task", "statuscode", "StatusAttributeMetadata") +
                                        "?$expand=OptionSet");
    CHECK(option_values(*task_status.json().find("OptionSet")) ==
          std::vector<std::int64_t>{2, 3, 4, 5, 6, 7});
  }
  SECTION("a cast of the wrong kind, an unknown column or table → 404") {
    CHECK(client.get(attribute("phonecall", "statuscode", "PicklistAttributeMetadata")).status ==
          404);
    CHECK(
        client.get(attribute("acme_callqueue", "acme_status", "StatusAttributeMetadata")).status ==
        404);
    CHECK(
        client.get(attribute("acme_callqueue", "acme_phone", "PicklistAttributeMetadata")).status ==
        404);
    CHECK(client.get(attribute("acme_callqueue", "acme_nosuch", "PicklistAttributeMetadata"))
              .status == 404);
    CHECK(client.get(attribute("acme_nosuchtable", "acme_status", "PicklistAttributeMetadata"))
              .status == 404);
  }
}

TEST_CASE("ManyToOneRelationships filtered to the regarding relationship of a table",
          "[http][metadata]") {
  running_emulator e;
  auto client = e.client();
  const auto r = client.get(
      "EntityDefinitions(LogicalName='phonecall')/ManyToOneRelationships"
      "?$select=ReferencingEntityNavigationPropertyName,SchemaName"
      "&$filter=ReferencedEntity eq 'acme_callqueue' and ReferencingAttribute eq "
      "'regardingobjectid'");
  REQUIRE(r.status == 200);
  const auto value = r.json().find("value")->as_array();
  REQUIRE(value.size() == 1);
  CHECK(value[0].find("ReferencingEntityNavigationPropertyName")->as_string() ==
        "regardingobjectid_acme_callqueue_phonecall");
  CHECK(value[0].find("SchemaName")->as_string() == "acme_callqueue_PhoneCalls");
  CHECK_FALSE(value[0].contains("ReferencedEntity"));  // not selected

  const auto task = client.get(
      "EntityDefinitions(LogicalName='task')/ManyToOneRelationships"
      "?$filter=ReferencedEntity eq 'acme_callqueue' and ReferencingAttribute eq "
      "'regardingobjectid'");
  REQUIRE(task.json().find("value")->as_array().size() == 1);
  CHECK(task.json()
            .find("value")
            ->as_array()[0]
            .find("ReferencingEntityNavigationPropertyName")
            ->as_string() == "regardingobjectid_acme_callqueue_task");

  // A table that is not activity-enabled has no regarding relationship.
  const auto none = client.get(
      "EntityDefinitions(LogicalName='phonecall')/ManyToOneRelationships"
      "?$filter=ReferencedEntity eq 'systemuser' and ReferencingAttribute eq 'regardingobjectid'");
  CHECK(none.json().find("value")->as_array().empty());
  CHECK(client
            .get("EntityDefinitions(LogicalName='phonecall')/ManyToOneRelationships?$filter=Nope "
                 "eq 'x'")
            .status == 400);
}

TEST_CASE("WhoAmI names the caller's user, business unit and organization", "[http][metadata]") {
  running_emulator e;
  auto client = e.client();
  const auto r = client.get("WhoAmI");
  REQUIRE(r.status == 200);
  const auto body = r.json();
  for (const char* key : {"UserId", "BusinessUnitId", "OrganizationId"}) {
    INFO(key);
    REQUIRE(body.contains(key));
    CHECK(opencloser::is_guid(body.find(key)->as_string()));
  }
  // Rows created without an owner are owned by that user.
  const auto created = client.post("accounts", json::object{{"name", "Owned"}},
                                   {{"Prefer", "return=representation"}});
  REQUIRE(created.status == 201);
  CHECK(created.json().find("_ownerid_value")->as_string() == body.find("UserId")->as_string());
}
