// The emulator over HTTP: every fault action and matching rule (emulator.md §6), checked by
// what the client sees, what the request log says and what the state dump holds. Latency is
// asserted only through the log's fault id, never by the clock.

#include "tests/emulator/http_test_client.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser::emulator;
using namespace opencloser::emulator::http_testing;
namespace json = opencloser::json;

namespace {

const std::string queue_target = "acme_callqueues(" + queue_row + ")";

void add_faults(const running_emulator& e, const std::string& rules) {
  const auto r = e.admin("POST", "faults", rules);
  INFO(r.body);
  REQUIRE(r.status == 200);
}

json::value last_entry(const running_emulator& e) {
  const auto log = e.log();
  REQUIRE(!log.empty());
  return log.back();
}

json::value queue_now(const running_emulator& e) {
  return e.dumped_row("acme_callqueue", queue_row);
}

std::string etag_of(const json::value& row) {
  return row.find("@odata.etag")->as_string();
}

std::string row_fault(const std::string& id, const std::string& action, const std::string& when,
                      const std::string& extra = "") {
  return R"({"id": ")" + id +
         R"(", "match": {"method": "PATCH", "path": "^acme_callqueues\\("}, "action": ")" + action +
         R"(", "when": ")" + when + R"(", "target": {"table": "acme_callqueue", "id": ")" +
         queue_row + "\"}" + extra + "}";
}

}  // namespace

TEST_CASE("status faults answer the injected status with Retry-After and have no effect",
          "[http][faults]") {
  running_emulator e;
  auto client = e.client();
  add_faults(
      e,
      R"({"id": "accounts-503", "match": {"method": "POST", "path": "^accounts$"}, "action": "status",
                   "status": 503, "retry_after_s": 2})");
  const std::string id = "12345678-0000-4000-8000-000000000503";
  const auto r = client.post("accounts", json::object{{"accountid", id}, {"name", "x"}});
  CHECK(r.status == 503);
  CHECK(r.header("Retry-After") == "2");
  CHECK(!r.error_code().empty());
  CHECK(r.header("OData-Version") == "4.0");
  CHECK(e.dumped_row("account", id).is_null());
  const auto entry = last_entry(e);
  CHECK(entry.find("fault")->as_string() == "accounts-503");
  CHECK(entry.find("status")->as_int() == 503);
  CHECK(entry.find("committed")->as_bool() == false);
  // times defaults to 1: the retry goes through.
  CHECK(client.post("accounts", json::object{{"accountid", id}, {"name", "x"}}).status == 204);
  CHECK(e.admin("GET", "state").json().find("counters")->find("faults_applied")->as_int() == 1);
}

TEST_CASE("faults from a --faults file apply with their budget", "[http][faults]") {
  auto options = default_options();
  options.faults_file = opencloser::testing::fixture("emulator/http/faults.json");
  running_emulator e(options);
  auto client = e.client();
  const auto first = client.get("accounts");
  CHECK(first.status == 503);
  CHECK(first.header("Retry-After") == "3");
  CHECK(client.get("accounts").status == 503);
  CHECK(client.get("accounts").status == 200);
  const auto listed = e.admin("GET", "faults").json().as_array();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].find("id")->as_string() == "accounts-down");
  CHECK(listed[0].find("remaining")->as_int() == 0);
  CHECK(listed[0].find("applied")->as_int() == 2);
}

TEST_CASE("a status fault on the token endpoint (path 'token')", "[http][faults]") {
  running_emulator e;
  add_faults(
      e,
      R"({"id": "entra-down", "match": {"path": "^token$"}, "action": "status", "status": 503})");
  auto c = e.connect();
  const auto refused = request_token(c, e.origin, e.credentials());
  CHECK(refused.status == 503);
  CHECK(e.admin("GET", "state").json().find("counters")->find("tokens_issued")->as_int() == 0);
  CHECK(request_token(c, e.origin, e.credentials()).status == 200);
}

TEST_CASE("a latency fault delays, then processes normally, the log names it", "[http][faults]") {
  running_emulator e;
  auto client = e.client();
  add_faults(
      e,
      R"({"id": "slow-patch", "match": {"method": "PATCH"}, "action": "latency", "latency_ms": 150})");
  CHECK(
      client.patch(queue_target, json::object{{"acme_attempts", 4}}, {{"If-Match", "*"}}).status ==
      204);
  const auto entry = last_entry(e);
  CHECK(entry.find("fault")->as_string() == "slow-patch");
  CHECK(entry.find("committed")->as_bool() == true);
  CHECK(queue_now(e).find("acme_attempts")->as_int() == 4);
}

TEST_CASE("reset closes the connection without a response and without effect", "[http][faults]") {
  running_emulator e;
  auto client = e.client();
  add_faults(
      e, R"({"id": "drop", "match": {"method": "POST", "path": "^accounts$"}, "action": "reset"})");
  const std::string id = "12345678-0000-4000-8000-0000000000e5";
  const auto reply =
      client.try_send("POST", "accounts", R"({"accountid":")" + id + R"(","name":"never"})");
  CHECK_FALSE(reply);
  CHECK(e.dumped_row("account", id).is_null());
  const auto entry = last_entry(e);
  CHECK(entry.find("fault")->as_string() == "drop");
  CHECK(entry.find("status")->is_null());
  CHECK(entry.find("committed")->as_bool() == false);
  client.reconnect();
  CHECK(client.get("WhoAmI").status == 200);
}

TEST_CASE("lost_response commits, then closes without a response", "[http][faults]") {
  running_emulator e;
  auto client = e.client();
  add_faults(
      e,
      R"({"id": "lost", "match": {"method": "POST|PATCH"}, "action": "lost_response", "times": 2})");
  const std::string id = "12345678-0000-4000-8000-0000000000e6";
  CHECK_FALSE(
      client.try_send("POST", "accounts", R"({"accountid":")" + id + R"(","name":"committed"})"));
  CHECK(e.dumped_row("account", id).find("name")->as_string() == "committed");
  const auto entry = last_entry(e);
  CHECK(entry.find("fault")->as_string() == "lost");
  CHECK(entry.find("committed")->as_bool() == true);
  CHECK(entry.find("status")->is_null());

  client.reconnect();
  CHECK_FALSE(
      client.try_send("PATCH", queue_target, R"({"acme_attempts":6})", {{"If-Match", "*"}}));
  CHECK(queue_now(e).find("acme_attempts")->as_int() == 6);
  client.reconnect();
  // The resent create now meets the committed row.
  const auto again =
      client.post("accounts", json::object{{"accountid", id}, {"name", "committed"}});
  CHECK(again.status == 412);
  CHECK(again.error_code() == "0x80040237");
}

TEST_CASE("row faults change the target row before or after the request", "[http][faults]") {
  running_emulator e;
  auto client = e.client();
  const auto before = queue_now(e);
  const auto etag = etag_of(before);

  SECTION("human_edit before → the If-Match PATCH 412s and the human's change stays") {
    add_faults(e, row_fault("human", "human_edit", "before",
                            R"(, "changes": {"acme_notes": "edited by a human"})"));
    const auto r =
        client.patch(queue_target, json::object{{"acme_attempts", 2}}, {{"If-Match", etag}});
    CHECK(r.status == 412);
    CHECK(r.error_code() == "0x80060882");
    const auto now = queue_now(e);
    CHECK(now.find("acme_notes")->as_string() == "edited by a human");
    CHECK(now.find("acme_attempts")->as_int() == 1);
    CHECK(etag_of(now) != etag);
  }
  SECTION("human_edit after → the PATCH lands, but its ETag is already stale") {
    add_faults(e, row_fault("human", "human_edit", "after",
                            R"(, "changes": {"acme_notes": "edited by a human"})"));
    const auto r =
        client.patch(queue_target, json::object{{"acme_attempts", 2}}, {{"If-Match", etag}});
    REQUIRE(r.status == 204);
    const auto patched_etag = r.header("ETag").value_or("");
    const auto now = queue_now(e);
    CHECK(now.find("acme_attempts")->as_int() == 2);
    CHECK(now.find("acme_notes")->as_string() == "edited by a human");
    CHECK(etag_of(now) != patched_etag);
    REQUIRE(patched_etag.starts_with("W/"));
    const auto stale = client.patch(queue_target, json::object{{"acme_attempts", 3}},
                                    {{"If-Match", patched_etag}});
    CHECK(stale.status == 412);
    CHECK(queue_now(e).find("acme_attempts")->as_int() == 2);
  }
  SECTION("delete_row before → 404") {
    add_faults(e, row_fault("gone", "delete_row", "before"));
    const auto r =
        client.patch(queue_target, json::object{{"acme_attempts", 2}}, {{"If-Match", etag}});
    CHECK(r.status == 404);
    CHECK(r.error_code() == "0x80040217");
    CHECK(queue_now(e).is_null());
  }
  SECTION("delete_row after → the PATCH succeeds, then the row is gone") {
    add_faults(e, row_fault("gone", "delete_row", "after"));
    CHECK(client.patch(queue_target, json::object{{"acme_attempts", 2}}, {{"If-Match", etag}})
              .status == 204);
    CHECK(queue_now(e).is_null());
  }
  SECTION("bump_version before → 412, no column changed") {
    add_faults(e, row_fault("bump", "bump_version", "before"));
    CHECK(client.patch(queue_target, json::object{{"acme_attempts", 2}}, {{"If-Match", etag}})
              .status == 412);
    auto now = queue_now(e);
    CHECK(now.find("versionnumber")->as_int() > before.find("versionnumber")->as_int());
    for (const auto& [k, v] : before.as_object())
      if (k != "@odata.etag" && k != "versionnumber" && k != "modifiedon") {
        INFO(k);
        CHECK(*now.find(k) == v);
      }
  }
  const auto log = e.log();
  CHECK(std::count_if(log.begin(), log.end(), [](const json::value& entry) {
          return !entry.find("fault")->is_null();
        }) == 1);
}

TEST_CASE("a barrier of 2 releases two concurrent requests in arrival order", "[http][faults]") {
  running_emulator e;
  auto client = e.client();
  const auto etag = etag_of(queue_now(e));
  add_faults(
      e,
      R"({"id": "both-load", "match": {"method": "PATCH", "path": "^acme_callqueues\\("}, "action": "barrier",
                   "count": 2, "times": 2, "latency_ms": 15000})");
  const auto target = encode_target(api_target(queue_target));
  auto first = e.connect(), second = e.connect();
  first.send_request("PATCH", target, client.headers_for("PATCH", true, {{"If-Match", etag}}),
                     R"({"acme_notes":"first"})");
  e.wait_for_max_in_flight(1);
  second.send_request("PATCH", target, client.headers_for("PATCH", true, {{"If-Match", etag}}),
                      R"({"acme_notes":"second"})");
  const auto a = first.read_reply(), b = second.read_reply();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->status == 204);  // ran first, with the ETag both read
  CHECK(b->status == 412);  // ran second: the ETag had moved on
  CHECK(queue_now(e).find("acme_notes")->as_string() == "first");
  const auto log = e.log();
  std::vector<std::int64_t> statuses;
  for (const auto& entry : log)
    if (entry.find("method")->as_string() == "PATCH") {
      CHECK(entry.find("fault")->as_string() == "both-load");
      statuses.push_back(entry.find("status")->as_int());
    }
  CHECK(statuses == std::vector<std::int64_t>{204, 412});  // log order = execution order
}

TEST_CASE("a barrier that never fills releases its requests after latency_ms", "[http][faults]") {
  running_emulator e;
  auto client = e.client();
  add_faults(
      e,
      R"({"id": "lonely", "match": {"path": "^WhoAmI$"}, "action": "barrier", "count": 3, "latency_ms": 100})");
  const auto r = client.get("WhoAmI");
  CHECK(r.status == 200);
  CHECK(last_entry(e).find("fault")->as_string() == "lonely");
  CHECK(client.get("WhoAmI").status == 200);  // times 1: the next one is not held
}

TEST_CASE("skip, times, method alternatives, query and client matching", "[http][faults]") {
  running_emulator e;
  auto client = e.client();

  SECTION("skip 1, times 2") {
    add_faults(
        e, R"({"id": "flaky", "match": {"method": "GET", "path": "^teams$"}, "skip": 1, "times": 2,
                     "action": "status", "status": 503})");
    std::vector<int> statuses;
    for (int i = 0; i < 4; ++i) statuses.push_back(client.get("teams").status);
    CHECK(statuses == std::vector<int>{200, 503, 503, 200});
    const auto rule = e.admin("GET", "faults").json().as_array().at(0);
    CHECK(rule.find("remaining")->as_int() == 0);
    CHECK(rule.find("skipped")->as_int() == 1);
    CHECK(rule.find("applied")->as_int() == 2);
  }
  SECTION("method alternatives POST|PATCH, unlimited") {
    add_faults(
        e, R"({"id": "writes", "match": {"method": "POST|PATCH", "path": "^accounts"}, "times": -1,
                     "action": "status", "status": 500})");
    CHECK(client.get("accounts").status == 200);
    CHECK(client.post("accounts", json::object{{"name", "x"}}).status == 500);
    CHECK(
        client.patch("accounts(5a1e0c6d-1111-4a2b-9c3d-000000000001)", json::object{{"name", "x"}})
            .status == 500);
    CHECK(client.post("accounts", json::object{{"name", "x"}}).status == 500);
    CHECK(client.post("teams", json::object{{"name", "x"}}).status == 204);
    CHECK(e.admin("GET", "faults").json().as_array().at(0).find("remaining")->as_int() == -1);
  }
  SECTION("query_contains on the decoded query") {
    add_faults(
        e, R"({"match": {"query_contains": "$select=name"}, "action": "status", "status": 502})");
    CHECK(client.get("accounts?$select=accountid").status == 200);
    CHECK(client.get("accounts?$select=name").status == 502);
  }
  SECTION("client_id") {
    add_faults(e, R"({"match": {"client_id": ")" + e.credentials(second_client).client_id +
                      R"("}, "action": "status", "status": 503, "times": -1})");
    CHECK(client.get("WhoAmI").status == 200);
    auto other = e.client(second_client);
    CHECK(other.get("WhoAmI").status == 503);
  }
}

TEST_CASE("inner faults act on $batch operations, top-level ones on requests", "[http][faults]") {
  running_emulator e;
  auto client = e.client();
  const std::string account = "12345678-0000-4000-8000-0000000000b7";
  const auto batch = [&](const std::string& id) {
    return "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n"
           "--c\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: "
           "binary\r\nContent-ID: 1\r\n\r\n"
           "POST accounts HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"accountid\":\"" +
           id +
           "\",\"name\":\"in batch\"}\r\n"
           "--c\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: "
           "binary\r\nContent-ID: 2\r\n\r\n"
           "POST tasks HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"subject\":\"in "
           "batch\"}\r\n"
           "--c--\r\n--b--\r\n";
  };
  const header_list multipart{{"Content-Type", "multipart/mixed; boundary=b"}};

  SECTION("an inner status fault fails the change set; the top-level request is untouched") {
    add_faults(
        e,
        R"({"id": "inner-503", "match": {"method": "POST", "path": "^tasks$", "inner": true}, "action": "status",
                     "status": 503, "times": -1})");
    const auto r = client.send("POST", "$batch", batch(account), multipart);
    CHECK(r.status == 503);
    CHECK(r.body.find("HTTP/1.1 503") != std::string::npos);
    CHECK(e.dumped_row("account", account).is_null());
    CHECK(client.post("tasks", json::object{{"subject", "top level"}}).status == 204);
  }
  SECTION("a top-level rule does not touch operations inside a batch") {
    add_faults(
        e,
        R"({"match": {"method": "POST", "path": "^accounts$", "inner": false}, "action": "status",
                     "status": 503, "times": -1})");
    CHECK(client.send("POST", "$batch", batch(account), multipart).status == 200);
    CHECK(e.dumped_row("account", account).find("name")->as_string() == "in batch");
    CHECK(client.post("accounts", json::object{{"name", "top"}}).status == 503);
  }
  SECTION("an inner lost_response commits the batch and drops the connection") {
    add_faults(
        e,
        R"({"match": {"method": "POST", "path": "^tasks$", "inner": true}, "action": "lost_response"})");
    CHECK_FALSE(client.try_send("POST", "$batch", batch(account), multipart));
    CHECK(e.dumped_row("account", account).find("name")->as_string() == "in batch");
  }
  SECTION("an inner reset drops the connection and rolls the change set back") {
    add_faults(
        e, R"({"match": {"method": "POST", "path": "^tasks$", "inner": true}, "action": "reset"})");
    const auto tasks_before = e.tables().find("task")->as_array().size();
    CHECK_FALSE(client.try_send("POST", "$batch", batch(account), multipart));
    CHECK(e.dumped_row("account", account).is_null());
    CHECK(e.tables().find("task")->as_array().size() == tasks_before);
  }
  client.reconnect();
  CHECK(client.get("WhoAmI").status == 200);
}

TEST_CASE("a human edit injected inside a $batch change set survives the change set's rollback",
          "[http][faults]") {
  // conformance.md §13: the edit lands just before the batch's queue PATCH, the PATCH 412s and
  // the change set rolls back — but the human's edit was never part of the change set.
  running_emulator e;
  auto client = e.client();
  const auto etag = etag_of(queue_now(e));
  add_faults(
      e,
      R"({"id": "human", "match": {"method": "PATCH", "inner": true, "path": "^acme_callqueues\\("},
                   "action": "human_edit", "when": "before",
                   "target": {"table": "acme_callqueue", "id": ")" +
          queue_row + R"("},
                   "changes": {"acme_notes": "edited by a human"}})");
  const std::string task = "12345678-0000-4000-8000-0000000000c1";
  const std::string body =
      "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n"
      "--c\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: "
      "1\r\n\r\n"
      "POST tasks HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"activityid\":\"" +
      task +
      "\",\"subject\":\"t\"}\r\n"
      "--c\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: "
      "2\r\n\r\n"
      "PATCH " +
      queue_target + " HTTP/1.1\r\nContent-Type: application/json\r\nIf-Match: " + etag +
      "\r\n\r\n{\"acme_attempts\":2}\r\n--c--\r\n--b--\r\n";
  const auto r =
      client.send("POST", "$batch", body, {{"Content-Type", "multipart/mixed; boundary=b"}});
  CHECK(r.status == 412);
  CHECK(r.header("Content-Type").value_or("").starts_with("multipart/mixed"));
  CHECK(e.dumped_row("task", task).is_null());  // the change set's own work is gone
  const auto now = queue_now(e);
  CHECK(now.find("acme_attempts")->as_int() == 1);
  CHECK(now.find("acme_notes")->as_string() == "edited by a human");  // the human's is not
  CHECK(etag_of(now) != etag);
}

TEST_CASE("a rule with probability < 1 draws from the --rng-seed stream reproducibly",
          "[http][faults]") {
  const auto run = [] {
    auto options = default_options();
    options.rng_seed = 7;
    running_emulator e(options);
    add_faults(e, R"({"id": "coin", "match": {"path": "^teams$"}, "action": "status", "status": 503,
                     "probability": 0.5, "times": -1})");
    auto client = e.client();
    std::vector<int> statuses;
    for (int i = 0; i < 30; ++i) statuses.push_back(client.get("teams").status);
    const auto rule = e.admin("GET", "faults").json().as_array().at(0);
    CHECK(rule.find("applied")->as_int() == std::count(statuses.begin(), statuses.end(), 503));
    return statuses;
  };
  const auto first = run();
  CHECK(first == run());
  CHECK(std::count(first.begin(), first.end(), 503) > 0);
  CHECK(std::count(first.begin(), first.end(), 200) > 0);
}

TEST_CASE("a random fail rate with a fixed rng seed fails the same requests every run",
          "[http][faults]") {
  const auto run = [](std::uint64_t seed) {
    auto options = default_options();
    options.fail_rate = 0.5;
    options.fail_status = 502;
    options.rng_seed = seed;
    running_emulator e(options);
    auto client = e.client();
    std::vector<int> statuses;
    for (int i = 0; i < 30; ++i) statuses.push_back(client.get("WhoAmI").status);
    const auto failures = std::count(statuses.begin(), statuses.end(), 502);
    CHECK(e.admin("GET", "state").json().find("counters")->find("faults_applied")->as_int() ==
          failures);
    for (const auto& entry : e.log())
      if (entry.find("status")->as_int() == 502)
        CHECK(entry.find("fault")->as_string() == "random-failure");
    return statuses;
  };
  const auto first = run(42), second = run(42);
  CHECK(first != run(43));  // another seed, another pattern (fixed seeds: deterministic)
  CHECK(first == second);
  CHECK(std::count(first.begin(), first.end(), 502) > 0);
  CHECK(std::count(first.begin(), first.end(), 200) > 0);
  CHECK(std::count(first.begin(), first.end(), 200) + std::count(first.begin(), first.end(), 502) ==
        30);
}
