// The emulator over HTTP: row writes (emulator.md §3.3–§3.4) — POST with supplied ids and
// @odata.bind, activity state rules, PATCH/DELETE preconditions, upserts and ETags.

#include "tests/emulator/http_test_client.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser::emulator;
using namespace opencloser::emulator::http_testing;
namespace json = opencloser::json;

namespace {

const std::string version_mismatch =
    "The version of the existing record doesn't match the RowVersion property provided.";

/// The id between the last '(' and ')' of OData-EntityId.
std::string created_id(const http_reply& r) {
  const auto url = r.header("OData-EntityId").value_or("");
  const auto open = url.rfind('('), close = url.rfind(')');
  REQUIRE(open != std::string::npos);
  REQUIRE(close > open);
  return url.substr(open + 1, close - open - 1);
}

json::value fetch(dataverse_client& c, const std::string& target) {
  const auto r = c.get(target);
  REQUIRE(r.status == 200);
  return r.json();
}

std::size_t row_count(const running_emulator& e, std::string_view table) {
  return e.tables().find(table)->as_array().size();
}

}  // namespace

TEST_CASE("POST creates a row: 204 with OData-EntityId, or 201 with the representation",
          "[http][rows]") {
  running_emulator e;
  auto client = e.client();

  SECTION("204 and a new id") {
    const auto r = client.post("accounts", json::object{{"name", "Birch Hollow"}});
    REQUIRE(r.status == 204);
    const auto id = created_id(r);
    CHECK(opencloser::is_guid(id));
    CHECK(*r.header("OData-EntityId") == e.origin + "/api/data/v9.2/accounts(" + id + ")");
    CHECK(r.body.empty());
    const auto row = fetch(client, "accounts(" + id + ")");
    CHECK(row.find("name")->as_string() == "Birch Hollow");
    CHECK(row.contains("createdon"));
    CHECK(row.contains("modifiedon"));
  }
  SECTION("a supplied id is used; a second POST with it → 412 0x80040237") {
    const std::string id = "aaaaaaaa-0000-4000-8000-000000000001";
    const auto r = client.post(
        "accounts",
        json::object{{"accountid", "AAAAAAAA-0000-4000-8000-000000000001"}, {"name", "One"}});
    REQUIRE(r.status == 204);
    CHECK(created_id(r) == id);
    const auto again = client.post("accounts", json::object{{"accountid", id}, {"name", "Two"}});
    CHECK(again.status == 412);
    CHECK(again.error_code() == "0x80040237");
    CHECK(again.error_message() == "A record with matching key values already exists.");
    CHECK(fetch(client, "accounts(" + id + ")").find("name")->as_string() == "One");
  }
  SECTION("Prefer: return=representation → 201 with the row, honouring $select") {
    const auto r = client.post("acme_callqueues?$select=acme_phone,acme_attempts",
                               json::object{{"acme_phone", "+15555550999"}, {"acme_attempts", 2}},
                               {{"Prefer", "return=representation"}});
    REQUIRE(r.status == 201);
    CHECK(r.header("Preference-Applied") == "return=representation");
    CHECK_FALSE(r.header("OData-EntityId"));
    const auto body = r.json();
    CHECK(body.find("acme_phone")->as_string() == "+15555550999");
    CHECK(body.find("acme_attempts")->as_int() == 2);
    CHECK_FALSE(body.contains("acme_tz"));
    CHECK(body.find("@odata.etag")->as_string().starts_with("W/\""));
  }
  SECTION("bad bodies → 400, nothing created") {
    const auto before = row_count(e, "acme_callqueue");
    for (const auto& body :
         {json::value(json::object{{"acme_nosuch", 1}}),
          json::value(json::object{{"acme_attempts", "three"}}),
          json::value(json::object{{"acme_status", 5}}),
          json::value(json::object{{"acme_nextattemptat", "tomorrow"}}),
          json::value(json::object{{"acme_accountid", account_row}}),
          json::value(json::object{{"versionnumber", 7}}), json::value(json::array{})}) {
      INFO(json::write_compact(body));
      const auto r = client.post("acme_callqueues", body);
      CHECK(r.status == 400);
      CHECK(!r.error_message().empty());
    }
    CHECK(row_count(e, "acme_callqueue") == before);
  }
}

TEST_CASE("@odata.bind sets lookups, owners and the pinned regarding property", "[http][rows]") {
  running_emulator e;
  auto client = e.client();

  SECTION("regarding a queue row, owned by a user") {
    const auto r = client.post(
        "phonecalls", json::object{{"subject", "Call"},
                                   {"regardingobjectid_acme_callqueue_phonecall@odata.bind",
                                    "/acme_callqueues(" + queue_row + ")"},
                                   {"ownerid@odata.bind", "/systemusers(" + user_row + ")"}});
    REQUIRE(r.status == 204);
    const auto row = fetch(client, "phonecalls(" + created_id(r) + ")");
    CHECK(row.find("_regardingobjectid_value")->as_string() == queue_row);
    CHECK(row.find("_ownerid_value")->as_string() == user_row);
  }
  SECTION("a task owned by a team, a lookup column bound by absolute URL") {
    const auto task = client.post(
        "tasks", json::object{{"subject", "Follow up"},
                              {"regardingobjectid_acme_callqueue_task@odata.bind",
                               e.origin + "/api/data/v9.2/acme_callqueues(" + queue_row + ")"},
                              {"ownerid@odata.bind", "/teams(" + team_row + ")"}});
    REQUIRE(task.status == 204);
    CHECK(fetch(client, "tasks(" + created_id(task) + ")").find("_ownerid_value")->as_string() ==
          team_row);
    const auto queue =
        client.post("acme_callqueues",
                    json::object{{"acme_accountid@odata.bind", "accounts(" + account_row + ")"}});
    REQUIRE(queue.status == 204);
    CHECK(fetch(client, "acme_callqueues(" + created_id(queue) + ")")
              .find("_acme_accountid_value")
              ->as_string() == account_row);
  }
  SECTION("a bind to a missing row → 404 0x80040217, nothing created") {
    const auto before = row_count(e, "phonecall");
    const auto r = client.post(
        "phonecalls", json::object{{"subject", "Call"},
                                   {"regardingobjectid_acme_callqueue_phonecall@odata.bind",
                                    "/acme_callqueues(" + missing_row + ")"}});
    CHECK(r.status == 404);
    CHECK(r.error_code() == "0x80040217");
    CHECK(row_count(e, "phonecall") == before);
  }
  SECTION("a bind to the wrong table or an unknown navigation property → 400") {
    CHECK(client
              .post("phonecalls",
                    json::object{{"regardingobjectid_acme_callqueue_phonecall@odata.bind",
                                  "/accounts(" + account_row + ")"}})
              .status == 400);
    CHECK(
        client.post("tasks", json::object{{"ownerid@odata.bind", "/accounts(" + account_row + ")"}})
            .status == 400);
    CHECK(client
              .post("tasks",
                    json::object{{"acme_nosuch@odata.bind", "/accounts(" + account_row + ")"}})
              .status == 400);
    CHECK(client.post("tasks", json::object{{"ownerid@odata.bind", "/systemusers(not-a-guid)"}})
              .status == 400);
  }
}

TEST_CASE("activity state rules on create and update", "[http][rows]") {
  running_emulator e;
  auto client = e.client();

  SECTION("statecode in a create body → 400; statuscode of state 0 is accepted") {
    CHECK(client.post("phonecalls", json::object{{"subject", "x"}, {"statecode", 0}}).status ==
          400);
    CHECK(client.post("phonecalls", json::object{{"subject", "x"}, {"statuscode", 2}}).status ==
          400);
    CHECK(client.post("tasks", json::object{{"subject", "x"}, {"statuscode", 5}}).status == 400);
    const auto ok = client.post("phonecalls", json::object{{"subject", "x"}, {"statuscode", 1}});
    REQUIRE(ok.status == 204);
    const auto row = fetch(client, "phonecalls(" + created_id(ok) + ")");
    CHECK(row.find("statecode")->as_int() == 0);
    CHECK(row.find("statuscode")->as_int() == 1);
    CHECK(row.find("directioncode")->as_bool() == true);
    const auto task = client.post("tasks", json::object{{"subject", "t"}, {"statuscode", 3}});
    REQUIRE(task.status == 204);
    CHECK(fetch(client, "tasks(" + created_id(task) + ")").find("statuscode")->as_int() == 3);
    const auto plain = client.post("tasks", json::object{{"subject", "t"}});
    CHECK(fetch(client, "tasks(" + created_id(plain) + ")").find("statuscode")->as_int() == 2);
  }
  SECTION("closing a phone call (1,2) with If-Match: *, then it is read-only") {
    const auto created = client.post("phonecalls", json::object{{"subject", "to close"}});
    REQUIRE(created.status == 204);
    const auto target = "phonecalls(" + created_id(created) + ")";
    const auto bad_pair = client.patch(target, json::object{{"statecode", 1}, {"statuscode", 3}},
                                       {{"If-Match", "*"}});
    CHECK(bad_pair.status == 400);
    CHECK(fetch(client, target).find("statecode")->as_int() == 0);

    const auto closed = client.patch(target, json::object{{"statecode", 1}, {"statuscode", 2}},
                                     {{"If-Match", "*"}});
    REQUIRE(closed.status == 204);
    const auto row = fetch(client, target);
    CHECK(row.find("statecode")->as_int() == 1);
    CHECK(row.find("statuscode")->as_int() == 2);

    const auto edit =
        client.patch(target, json::object{{"subject", "changed"}}, {{"If-Match", "*"}});
    CHECK(edit.status == 400);
    CHECK(fetch(client, target).find("subject")->as_string() == "to close");
  }
  SECTION("a task completes with (1,5) and cancels with (2,6); (1,6) is refused") {
    const auto t1 =
        "tasks(" + created_id(client.post("tasks", json::object{{"subject", "a"}})) + ")";
    const auto t2 =
        "tasks(" + created_id(client.post("tasks", json::object{{"subject", "b"}})) + ")";
    CHECK(client.patch(t1, json::object{{"statecode", 1}, {"statuscode", 6}}, {{"If-Match", "*"}})
              .status == 400);
    CHECK(client.patch(t1, json::object{{"statecode", 1}, {"statuscode", 5}}, {{"If-Match", "*"}})
              .status == 204);
    CHECK(client.patch(t2, json::object{{"statecode", 2}, {"statuscode", 6}}, {{"If-Match", "*"}})
              .status == 204);
    CHECK(fetch(client, t2).find("statecode")->as_int() == 2);
  }
}

TEST_CASE("PATCH and DELETE honour If-Match / If-None-Match, versions only grow", "[http][rows]") {
  running_emulator e;
  auto client = e.client();
  const auto target = "acme_callqueues(" + queue_row + ")";
  const auto before = fetch(client, target);
  const auto etag = before.find("@odata.etag")->as_string();
  const auto version = before.find("versionnumber")->as_int();

  SECTION("the current ETag updates; the old one then 412s") {
    const auto ok = client.patch(target, json::object{{"acme_attempts", 2}}, {{"If-Match", etag}});
    REQUIRE(ok.status == 204);
    CHECK(ok.header("OData-EntityId") == e.origin + "/api/data/v9.2/" + target);
    const auto after = fetch(client, target);
    CHECK(after.find("acme_attempts")->as_int() == 2);
    CHECK(after.find("versionnumber")->as_int() > version);
    CHECK(after.find("@odata.etag")->as_string() ==
          "W/\"" + std::to_string(after.find("versionnumber")->as_int()) + "\"");
    CHECK(after.find("acme_phone")->as_string() ==
          before.find("acme_phone")->as_string());  // merged

    const auto stale =
        client.patch(target, json::object{{"acme_attempts", 3}}, {{"If-Match", etag}});
    CHECK(stale.status == 412);
    CHECK(stale.error_code() == "0x80060882");
    CHECK(stale.error_message() == version_mismatch);
    CHECK(fetch(client, target).find("acme_attempts")->as_int() == 2);
  }
  SECTION("return=representation on PATCH → 200 with the row") {
    const auto r = client.patch(target, json::object{{"acme_attempts", 4}},
                                {{"If-Match", etag}, {"Prefer", "return=representation"}});
    REQUIRE(r.status == 200);
    CHECK(r.json().find("acme_attempts")->as_int() == 4);
    CHECK(r.json().find("@odata.etag")->as_string() != etag);
  }
  SECTION("If-Match on a missing row → 404; If-Match: * never creates") {
    for (const auto& m : {std::string("*"), etag}) {
      const auto r = client.patch("acme_callqueues(" + missing_row + ")",
                                  json::object{{"acme_attempts", 1}}, {{"If-Match", m}});
      CHECK(r.status == 404);
      CHECK(r.error_code() == "0x80040217");
    }
    CHECK(client.get("acme_callqueues(" + missing_row + ")").status == 404);
  }
  SECTION("If-None-Match: * creates only") {
    const auto exists =
        client.patch(target, json::object{{"acme_attempts", 9}}, {{"If-None-Match", "*"}});
    CHECK(exists.status == 412);
    CHECK(fetch(client, target).find("acme_attempts")->as_int() == 1);
    const auto created = client.patch("acme_callqueues(" + missing_row + ")",
                                      json::object{{"acme_attempts", 9}}, {{"If-None-Match", "*"}});
    CHECK(created.status == 204);
    CHECK(fetch(client, "acme_callqueues(" + missing_row + ")").find("acme_attempts")->as_int() ==
          9);
  }
  SECTION("no precondition = upsert") {
    CHECK(client.patch(target, json::object{{"acme_attempts", 5}}).status == 204);
    CHECK(fetch(client, target).find("acme_attempts")->as_int() == 5);
    CHECK(client.patch("acme_callqueues(" + missing_row + ")", json::object{{"acme_phone", "+1"}})
              .status == 204);
    CHECK(fetch(client, "acme_callqueues(" + missing_row + ")").find("acme_phone")->as_string() ==
          "+1");
  }
  SECTION("DELETE: stale If-Match 412, current 204, then 404") {
    CHECK(client.patch(target, json::object{{"acme_attempts", 2}}).status == 204);
    const auto stale = client.del(target, {{"If-Match", etag}});
    CHECK(stale.status == 412);
    CHECK(stale.error_code() == "0x80060882");
    const auto current = fetch(client, target).find("@odata.etag")->as_string();
    CHECK(client.del(target, {{"If-Match", current}}).status == 204);
    CHECK(client.get(target).status == 404);
    CHECK(client.del(target).status == 404);
    CHECK(e.dumped_row("acme_callqueue", queue_row).is_null());
  }
  SECTION("writes to unknown sets or with unsupported methods are refused") {
    CHECK(client.patch("acme_nosuchsets(" + queue_row + ")", json::object{}).status == 404);
    CHECK(client.send("PUT", target, "{}").status == 405);
    CHECK(client.send("DELETE", "acme_callqueues", "").status == 405);
  }
}
