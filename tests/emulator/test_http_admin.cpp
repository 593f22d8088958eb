// The emulator over HTTP: the admin API (emulator.md §7) — request log with redaction, state
// dump and counters, fault rules, row edits, config and reset — and the rule that a dump
// after a run shows exactly the rows the requests created or changed.

#include <algorithm>
#include <map>
#include <set>

#include "actors/common/utc_ms.hpp"

#include "tests/emulator/http_test_client.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser::emulator;
using namespace opencloser::emulator::http_testing;
namespace json = opencloser::json;

namespace {

std::set<std::string> keys_of(const json::value& o) {
  std::set<std::string> out;
  for (const auto& [k, v] : o.as_object()) out.insert(k);
  return out;
}

json::value counters(const running_emulator& e) {
  return *e.admin("GET", "state").json().find("counters");
}

/// Rows of a dumped table keyed by primary id.
std::map<std::string, json::value> by_id(const json::value& tables, std::string_view table,
                                         std::string_view pk) {
  std::map<std::string, json::value> out;
  for (const auto& r : tables.find(table)->as_array()) out.emplace(r.find(pk)->as_string(), r);
  return out;
}

}  // namespace

TEST_CASE("GET /_emulator/requests returns the log in seq order, optionally since a seq",
          "[http][admin]") {
  running_emulator e;
  auto client = e.client();
  CHECK(client.get("WhoAmI").status == 200);
  CHECK(client.get("accounts?$select=name").status == 200);
  CHECK(client.post("accounts", json::object{{"name", "Logged"}}).status == 204);

  const auto log = e.log();
  REQUIRE(log.size() == 4);  // token + 3
  CHECK(log[0].find("path")->as_string() == "token");
  CHECK(log[0].find("status")->as_int() == 200);
  CHECK(log[1].find("path")->as_string() == "WhoAmI");
  CHECK(log[2].find("query")->as_string() == "$select=name");
  CHECK(log[3].find("method")->as_string() == "POST");
  CHECK(log[3].find("body")->find("name")->as_string() == "Logged");  // parsed JSON
  CHECK(log[3].find("committed")->as_bool() == true);
  CHECK(log[1].find("committed")->as_bool() == false);
  for (std::size_t i = 0; i < log.size(); ++i) {
    for (const char* key :
         {"seq", "at", "client_id", "method", "path", "query", "headers", "body", "status", "fault",
          "committed", "duration_ms", "batch_seq", "inner_index"})
      CHECK(log[i].contains(key));
    CHECK(opencloser::is_utc_ms(log[i].find("at")->as_string()));
    if (i > 0) CHECK(log[i].find("seq")->as_int() > log[i - 1].find("seq")->as_int());
  }
  CHECK(log[1].find("client_id")->as_string() == e.credentials().client_id);

  const auto tail = e.log(static_cast<std::uint64_t>(log[1].find("seq")->as_int()));
  REQUIRE(tail.size() == 2);
  CHECK(tail[0] == log[2]);
  CHECK(e.admin("GET", "requests?since=abc").status == 400);
}

TEST_CASE("the request log, its file and the dump never hold a secret or a token",
          "[http][admin]") {
  opencloser::testing::temp_dir dir;
  auto options = default_options();
  options.request_log = dir.path / "requests.jsonl";
  running_emulator e(options);
  auto client = e.client(awkward_secret_client);
  const auto secret = e.credentials(awkward_secret_client).client_secret;
  CHECK(client.get("WhoAmI").status == 200);
  // Header names are case-insensitive: a lower-case one is redacted too.
  CHECK(client.connection()
            .request("GET", api_target("accounts"), {{"authorization", "Bearer " + client.token()}})
            .status == 200);

  const auto requests = e.admin("GET", "requests").body;
  const auto state = e.admin("GET", "state").body;
  e.emu.stop();  // flushes the log file
  const auto file = opencloser::testing::read_file(dir.path / "requests.jsonl");
  for (const auto* text : {&requests, &state, &file}) {
    CHECK(text->find(client.token()) == std::string::npos);
    CHECK(text->find(secret) == std::string::npos);
    CHECK(text->find(form_encode(secret)) == std::string::npos);
    CHECK(text->find("client_secret") == std::string::npos);
  }
  CHECK(requests.find("Bearer <redacted>") != std::string::npos);
  const auto log = json::parse(requests).as_array();
  REQUIRE(log.size() == 3);
  CHECK(log[0].find("body")->is_null());  // the token form is not logged
  CHECK(*log[1].find("headers")->find("Authorization") == json::value("Bearer <redacted>"));
  REQUIRE(log[2].find("headers")->contains("authorization"));
  CHECK(*log[2].find("headers")->find("authorization") == json::value("Bearer <redacted>"));
  // The file has one JSON line per request.
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = file.find('\n', at)) != std::string::npos; ++at) ++lines;
  CHECK(lines == 3);
}

TEST_CASE("GET /_emulator/state has the documented shape and counters", "[http][admin]") {
  running_emulator e;
  const auto fresh = e.admin("GET", "state");
  REQUIRE(fresh.status == 200);
  const auto dump = fresh.json();
  CHECK(keys_of(dump) == std::set<std::string>{"counters", "schema_version", "tables"});
  CHECK(dump.find("schema_version")->as_string() == "opencloser-emulator-state-v1");
  CHECK(keys_of(*dump.find("counters")) ==
        std::set<std::string>{"faults_applied", "max_in_flight", "max_in_flight_by_client",
                              "requests", "throttled", "tokens_issued", "writes"});
  CHECK(keys_of(*dump.find("tables")) == std::set<std::string>{"account", "acme_callqueue",
                                                               "phonecall", "systemuser", "task",
                                                               "team"});
  for (const auto& [table, rows] : dump.find("tables")->as_object()) {
    const auto pk = e.emu.seed().tables.by_logical_name(table)->primary_id;
    std::vector<std::string> ids;
    for (const auto& r : rows.as_array()) {
      CHECK(r.as_object().front().first == "@odata.etag");
      ids.push_back(r.find(pk)->as_string());
    }
    CHECK(std::is_sorted(ids.begin(), ids.end()));
  }
  CHECK(dump.find("tables")->find("acme_callqueue")->as_array().size() == 23);

  auto client = e.client();
  CHECK(client.post("accounts", json::object{{"name", "Counted"}}).status == 204);
  CHECK(client.get("WhoAmI").status == 200);
  const auto c = counters(e);
  CHECK(c.find("tokens_issued")->as_int() == 1);
  CHECK(c.find("requests")->as_int() == 2);
  CHECK(c.find("writes")->as_int() == 1);
  CHECK(c.find("faults_applied")->as_int() == 0);
  CHECK(c.find("throttled")->as_int() == 0);
  CHECK(c.find("max_in_flight")->as_int() == 1);
  CHECK(c.find("max_in_flight_by_client")->find(e.credentials().client_id)->as_int() == 1);
}

TEST_CASE("fault rules are listed, added all-or-nothing and cleared through the admin API",
          "[http][admin]") {
  running_emulator e;
  const auto added = e.admin(
      "POST", "faults",
      R"([{"id": "mine", "match": {"path": "^teams$"}, "action": "status", "status": 503, "times": 3},
                                 {"match": {"method": "DELETE"}, "action": "latency", "latency_ms": 10}])");
  REQUIRE(added.status == 200);
  CHECK(*added.json().find("ids") == json::value(json::array{"mine", "fault-1"}));

  auto client = e.client();
  CHECK(client.get("teams").status == 503);
  auto listed = e.admin("GET", "faults").json().as_array();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].find("remaining")->as_int() == 2);
  CHECK(listed[0].find("applied")->as_int() == 1);
  CHECK(listed[1].find("action")->as_string() == "latency");
  CHECK(listed[1].find("remaining")->as_int() == 1);

  for (const char* bad :
       {R"({"action": "explode"})", R"({"match": {"methd": "GET"}, "action": "status"})",
        R"([{"id": "ok", "action": "status"}, {"id": "ok2", "action": "status", "status": 99}])",
        R"({"id": "mine", "action": "status"})", "not json"}) {
    INFO(bad);
    const auto r = e.admin("POST", "faults", bad);
    CHECK(r.status == 400);
    CHECK(!r.error_message().empty());
  }
  CHECK(e.admin("GET", "faults").json().as_array().size() == 2);  // nothing of the bad batches

  CHECK(e.admin("DELETE", "faults").status == 200);
  CHECK(e.admin("GET", "faults").json().as_array().empty());
  CHECK(client.get("teams").status == 200);
}

TEST_CASE("admin row edits: insert, human edit ignoring ETags, delete", "[http][admin]") {
  running_emulator e;
  auto client = e.client();

  const auto inserted = e.admin("POST", "rows/account", R"({"name": "Admin Row"})");
  REQUIRE(inserted.status == 201);
  const auto id = inserted.json().find("accountid")->as_string();
  CHECK(opencloser::is_guid(id));
  const auto read = client.get("accounts(" + id + ")");
  REQUIRE(read.status == 200);
  CHECK(read.json().find("name")->as_string() == "Admin Row");
  const auto etag = read.json().find("@odata.etag")->as_string();

  const auto edited = e.admin("PATCH", "rows/account/" + id, R"({"name": "Edited by a human"})");
  REQUIRE(edited.status == 200);
  CHECK(edited.json().find("@odata.etag")->as_string() != etag);
  CHECK(client.patch("accounts(" + id + ")", json::object{{"name", "mine"}}, {{"If-Match", etag}})
            .status == 412);
  CHECK(client.get("accounts(" + id + ")").json().find("name")->as_string() == "Edited by a human");

  // Lookups are written as _<c>_value by the admin API.
  const auto relinked = e.admin("PATCH", "rows/acme_callqueue/" + queue_row,
                                R"({"_acme_accountid_value": ")" + id + "\"}");
  REQUIRE(relinked.status == 200);
  CHECK(e.dumped_row("acme_callqueue", queue_row).find("_acme_accountid_value")->as_string() == id);

  CHECK(e.admin("DELETE", "rows/account/" + id).status == 200);
  CHECK(client.get("accounts(" + id + ")").status == 404);
  CHECK(e.admin("DELETE", "rows/account/" + id).status == 404);

  CHECK(e.admin("POST", "rows/acme_nosuchtable", R"({"x": 1})").status == 404);
  CHECK(e.admin("POST", "rows/account", R"({"nosuchcolumn": 1})").status == 400);
  CHECK(e.admin("POST", "rows/account", R"({"accountid": ")" + account_row + "\"}").status == 412);
  CHECK(e.admin("POST", "rows/account", "{oops").status == 400);
  CHECK(e.admin("PATCH", "rows/account/" + id, R"({"name": "x"})").status == 404);
  CHECK(e.admin("GET", "nosuchroute").status == 404);
}

TEST_CASE("POST /_emulator/reset restores the seed and clears log, faults, tokens and counters",
          "[http][admin]") {
  running_emulator e;
  const auto initial = e.tables();
  auto client = e.client();
  CHECK(client.post("accounts", json::object{{"name", "Gone after reset"}}).status == 204);
  CHECK(client.patch("acme_callqueues(" + queue_row + ")", json::object{{"acme_attempts", 3}})
            .status == 204);
  CHECK(client.del("teams(" + team_row + ")").status == 204);
  REQUIRE(
      e.admin("POST", "faults", R"({"match": {"path": "^never$"}, "action": "status"})").status ==
      200);
  REQUIRE(e.tables() != initial);

  REQUIRE(e.admin("POST", "reset").status == 200);
  CHECK(e.tables() == initial);
  CHECK(e.log().empty());
  CHECK(e.admin("GET", "faults").json().as_array().empty());
  const auto c = counters(e);
  for (const char* key :
       {"requests", "writes", "tokens_issued", "faults_applied", "throttled", "max_in_flight"}) {
    INFO(key);
    CHECK(c.find(key)->as_int() == 0);
  }
  CHECK(client.get("WhoAmI").status == 401);  // tokens are gone
  auto fresh = e.client();
  CHECK(fresh.get("WhoAmI").status == 200);
}

TEST_CASE("a dump after a run shows exactly the rows the requests created or changed",
          "[http][admin]") {
  running_emulator e;
  const auto initial = e.tables();
  auto client = e.client();
  const auto user = client.get("WhoAmI").json().find("UserId")->as_string();
  const std::string new_account = "abcdef00-0000-4000-8000-000000000001";
  const std::string new_call = "abcdef00-0000-4000-8000-000000000002";
  const auto queue_etag =
      client.get("acme_callqueues(" + queue_row + ")").json().find("@odata.etag")->as_string();

  // The known sequence: five writes that land, and requests that must change nothing.
  REQUIRE(
      client.post("accounts", json::object{{"accountid", new_account}, {"name", "New Facility"}})
          .status == 204);
  REQUIRE(client
              .patch("acme_callqueues(" + queue_row + ")",
                     json::object{{"acme_attempts", 2}, {"acme_notes", "n"}},
                     {{"If-Match", queue_etag}})
              .status == 204);
  CHECK(client
            .patch("acme_callqueues(" + queue_row + ")", json::object{{"acme_attempts", 9}},
                   {{"If-Match", queue_etag}})
            .status == 412);
  REQUIRE(
      client
          .post("phonecalls", json::object{{"activityid", new_call},
                                           {"subject", "Call"},
                                           {"regardingobjectid_acme_callqueue_phonecall@odata.bind",
                                            "/acme_callqueues(" + queue_row + ")"}})
          .status == 204);
  REQUIRE(client
              .patch("phonecalls(" + new_call + ")",
                     json::object{{"statecode", 1}, {"statuscode", 2}}, {{"If-Match", "*"}})
              .status == 204);
  REQUIRE(client.del("teams(" + team_row + ")").status == 204);
  CHECK(client.post("tasks", json::object{{"subject", "x"}, {"statecode", 1}}).status == 400);
  CHECK(client.post("accounts", json::object{{"nosuch", 1}}).status == 400);
  CHECK(client
            .patch("phonecalls(" + new_call + ")", json::object{{"subject", "late"}},
                   {{"If-Match", "*"}})
            .status == 400);
  CHECK(client.del("teams(" + team_row + ")").status == 404);

  const auto final = e.tables();
  CHECK(keys_of(final) == keys_of(initial));
  // Untouched tables are byte-for-byte the seed's.
  for (const char* table : {"systemuser", "task"})
    CHECK(*final.find(table) == *initial.find(table));

  // account: the seed's rows plus exactly the new one.
  auto accounts = by_id(final, "account", "accountid");
  const auto seed_accounts = by_id(initial, "account", "accountid");
  REQUIRE(accounts.size() == seed_accounts.size() + 1);
  for (const auto& [id, r] : seed_accounts) CHECK(accounts.at(id) == r);
  const auto& created = accounts.at(new_account);
  CHECK(keys_of(created) == std::set<std::string>{"@odata.etag", "_ownerid_value", "accountid",
                                                  "createdon", "modifiedon", "name",
                                                  "versionnumber"});
  CHECK(created.find("name")->as_string() == "New Facility");
  CHECK(created.find("_ownerid_value")->as_string() == user);

  // acme_callqueue: one row changed in exactly the patched columns (and its version).
  const auto queue = by_id(final, "acme_callqueue", "acme_callqueueid");
  const auto seed_queue = by_id(initial, "acme_callqueue", "acme_callqueueid");
  REQUIRE(queue.size() == seed_queue.size());
  for (const auto& [id, r] : seed_queue) {
    if (id != queue_row) {
      CHECK(queue.at(id) == r);
      continue;
    }
    const auto& now = queue.at(id);
    CHECK(keys_of(now) == keys_of(r));  // acme_notes was set in the seed already
    for (const auto& [k, v] : r.as_object()) {
      INFO(k);
      if (k == "acme_attempts")
        CHECK(now.find(k)->as_int() == 2);
      else if (k == "versionnumber")
        CHECK(now.find(k)->as_int() > v.as_int());
      else if (k == "@odata.etag")
        CHECK(*now.find(k) != v);
      else if (k == "modifiedon")
        CHECK(now.find(k)->as_string() >= v.as_string());
      else if (k == "acme_notes")
        CHECK(now.find(k)->as_string() == "n");
      else
        CHECK(*now.find(k) == v);
    }
    CHECK(now.find("acme_notes")->as_string() == "n");
  }

  // phonecall: exactly the new, closed call.
  const auto calls = by_id(final, "phonecall", "activityid");
  REQUIRE(calls.size() == by_id(initial, "phonecall", "activityid").size() + 1);
  const auto& call = calls.at(new_call);
  CHECK(keys_of(call) ==
        std::set<std::string>{"@odata.etag", "_ownerid_value", "_regardingobjectid_value",
                              "activityid", "createdon", "directioncode", "modifiedon", "statecode",
                              "statuscode", "subject", "versionnumber"});
  CHECK(call.find("_regardingobjectid_value")->as_string() == queue_row);
  CHECK(call.find("statecode")->as_int() == 1);
  CHECK(call.find("statuscode")->as_int() == 2);
  CHECK(call.find("subject")->as_string() == "Call");

  // team: the seed's rows minus the deleted one.
  auto teams = by_id(initial, "team", "teamid");
  teams.erase(team_row);
  CHECK(by_id(final, "team", "teamid") == teams);

  CHECK(counters(e).find("writes")->as_int() == 5);
}

TEST_CASE("the admin API refuses non-loopback peers, even with --allow-remote", "[http][admin]") {
  auto refused = default_options();
  refused.host = "192.0.2.55";  // not loopback: refused before binding
  dataverse_emulator emu;
  CHECK_THROWS_WITH(emu.start(refused), Catch::Contains("--allow-remote"));

  const auto address = non_loopback_ipv4();
  if (!address) {
    WARN("no non-loopback IPv4 address on this machine: the 403 check is skipped");
    return;
  }
  auto options = default_options();
  options.host = *address;
  options.allow_remote = true;
  running_emulator e(options);
  http_connection remote(e.port, *address);
  const auto r = remote.request("GET", "/_emulator/state");
  CHECK(r.status == 403);
  CHECK(r.body.find("\"tables\"") == std::string::npos);
  CHECK(remote.request("POST", "/_emulator/reset").status == 403);
  // The Web API itself serves remote peers under --allow-remote.
  const auto token = request_token(remote, e.origin, e.credentials());
  REQUIRE(token.status == 200);
  CHECK(
      remote
          .request("GET", api_target("WhoAmI"),
                   {{"Authorization", "Bearer " + token.json().find("access_token")->as_string()}})
          .status == 200);
}
