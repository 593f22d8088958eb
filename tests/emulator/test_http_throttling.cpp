// The emulator over HTTP: service-protection throttling (emulator.md §5) with limits scaled
// down through the seed, the options and PUT /_emulator/config — never the clock. Requests
// are held in flight with a barrier fault, so no test depends on how fast anything runs.

#include <thread>

#include "tests/emulator/http_test_client.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser::emulator;
using namespace opencloser::emulator::http_testing;
namespace json = opencloser::json;

namespace {

json::value counters(const running_emulator& e) {
  return *e.admin("GET", "state").json().find("counters");
}

std::int64_t retry_after(const http_reply& r) {
  const auto value = r.header("Retry-After");
  REQUIRE(value);
  return std::stoll(*value);
}

}  // namespace

TEST_CASE("more than 20 requests in 2 s → 429 0x80072322 with Retry-After, nothing changes",
          "[http][throttling]") {
  auto options = default_options();
  options.seeds.push_back(opencloser::testing::fixture("emulator/http/throttle_seed.json"));
  running_emulator e(options);
  auto client = e.client();

  for (int i = 0; i < 20; ++i) {
    const auto r = client.get("WhoAmI");
    REQUIRE(r.status == 200);
    CHECK(r.header("x-ms-ratelimit-burst-remaining-xrm-requests") == std::to_string(19 - i));
  }
  const auto refused = client.get("WhoAmI");
  REQUIRE(refused.status == 429);
  CHECK(refused.error_code() == "0x80072322");
  CHECK(refused.error_message() ==
        "Number of requests exceeded the limit of 20 over time window of 2 seconds.");
  const auto wait_s = retry_after(refused);
  CHECK(wait_s >= 1);
  CHECK(wait_s <= 2);
  CHECK(refused.header("OData-Version") == "4.0");
  CHECK_FALSE(refused.header("x-ms-ratelimit-burst-remaining-xrm-requests"));

  // A throttled write has no effect.
  const std::string id = "ffffffff-0000-4000-8000-000000000429";
  const auto write =
      client.post("accounts", json::object{{"accountid", id}, {"name", "throttled"}});
  CHECK(write.status == 429);
  CHECK(e.dumped_row("account", id).is_null());
  const auto c = counters(e);
  CHECK(c.find("throttled")->as_int() == 2);
  CHECK(c.find("requests")->as_int() == 22);
  CHECK(c.find("writes")->as_int() == 0);
  const auto log = e.log();
  REQUIRE(log.size() >= 2);
  for (std::size_t i = log.size() - 2; i < log.size(); ++i) {
    CHECK(log[i].find("status")->as_int() == 429);
    CHECK(log[i].find("committed")->as_bool() == false);
  }

  // Token requests are not throttled, and the limit is per client.
  auto other = e.client(second_client);
  CHECK(other.get("WhoAmI").status == 200);

  // Once the oldest request has left the window, the client is served again.
  std::this_thread::sleep_for(std::chrono::seconds(wait_s) + std::chrono::milliseconds(100));
  CHECK(client.get("WhoAmI").status == 200);
}

TEST_CASE("throttling limits from the options, a fixed Retry-After, and $batch counting once",
          "[http][throttling]") {
  auto options = default_options();
  options.throttle_requests = 3;
  options.throttle_window_s = 2;
  options.retry_after_s = 7;
  running_emulator e(options);
  auto client = e.client();
  const std::string batch =
      "--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
      "GET WhoAmI HTTP/1.1\r\n\r\n\r\n"
      "--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
      "GET accounts(" +
      account_row +
      ") HTTP/1.1\r\n\r\n\r\n"
      "--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
      "GET teams HTTP/1.1\r\n\r\n\r\n--b--\r\n";
  CHECK(client.send("POST", "$batch", batch, {{"Content-Type", "multipart/mixed; boundary=b"}})
            .status == 200);
  CHECK(client.get("WhoAmI").status == 200);
  CHECK(client.get("WhoAmI").status == 200);
  const auto refused = client.get("WhoAmI");
  REQUIRE(refused.status == 429);
  CHECK(retry_after(refused) == 7);
  CHECK(refused.error_message() ==
        "Number of requests exceeded the limit of 3 over time window of 2 seconds.");
}

TEST_CASE("PUT /_emulator/config changes the throttling limits at run time", "[http][throttling]") {
  running_emulator e;
  auto client = e.client();
  CHECK(client.get("WhoAmI").status == 200);

  SECTION("valid limits apply to the next request") {
    REQUIRE(e.admin("PUT", "config", R"({"throttling": {"requests": 2, "window_s": 1}})").status ==
            200);
    // The request before the change still counts in the window.
    CHECK(client.get("WhoAmI").status == 200);
    const auto refused = client.get("WhoAmI");
    CHECK(refused.status == 429);
    CHECK(refused.error_message() ==
          "Number of requests exceeded the limit of 2 over time window of 1 seconds.");
    CHECK(retry_after(refused) == 1);
  }
  SECTION("invalid config → 400 and nothing changes") {
    for (const char* bad :
         {R"({"throttling": {"requests": -1}})", R"({"throttling": {"bogus": 1}})",
          R"({"throttling": {"requests": 1}, "nope": 1})", R"({"dop_hint": "4"})", "[1]", "{"}) {
      INFO(bad);
      const auto r = e.admin("PUT", "config", bad);
      CHECK(r.status == 400);
      CHECK(!r.error_message().empty());
    }
    for (int i = 0; i < 5; ++i) CHECK(client.get("WhoAmI").status == 200);
    CHECK(client.get("WhoAmI").header("x-ms-dop-hint") == "8");
  }
}

TEST_CASE("more than 4 requests in flight → immediate 429 0x80072326", "[http][throttling]") {
  auto options = default_options();
  options.throttle_concurrency = 4;
  running_emulator e(options);
  auto client = e.client();
  // Hold matching requests until 5 are gathered (the longest hold only guards against a hang).
  const auto added = e.admin("POST", "faults",
                             R"([{"id": "hold", "match": {"method": "GET", "path": "^accounts\\("},
                                  "action": "barrier", "count": 5, "times": 5, "latency_ms": 15000}])");
  REQUIRE(added.status == 200);
  const auto target = encode_target(api_target("accounts(" + account_row + ")"));
  const auto headers = client.headers_for("GET", false, {});

  std::vector<http_connection> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(e.connect());
    held.back().send_request("GET", target, headers);
  }
  e.wait_for_max_in_flight(4);

  auto fifth = e.connect();
  const auto refused = fifth.request("GET", target, headers);
  REQUIRE(refused.status == 429);
  CHECK(refused.error_code() == "0x80072326");
  CHECK(retry_after(refused) == 1);

  const auto c = counters(e);
  CHECK(c.find("max_in_flight")->as_int() == 5);  // the refused one counts
  CHECK(c.find("max_in_flight_by_client")->find(e.credentials().client_id)->as_int() == 5);
  CHECK(c.find("throttled")->as_int() == 1);
  // The refused request did not use the barrier's budget.
  CHECK(e.admin("GET", "faults").json().as_array().at(0).find("remaining")->as_int() == 1);

  // Lift the limit; a fifth held request completes the barrier and all five are answered.
  REQUIRE(e.admin("PUT", "config", R"({"throttling": {"concurrency": 0}})").status == 200);
  fifth.send_request("GET", target, headers);
  held.push_back(std::move(fifth));
  for (auto& connection : held) {
    const auto r = connection.read_reply();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->json().find("accountid")->as_string() == account_row);
  }
}

TEST_CASE("simulated execution time above exec_ms → 429 0x80072321", "[http][throttling]") {
  auto options = default_options();
  options.throttle_exec_ms = 100;
  options.throttle_window_s = 2;
  running_emulator e(options);
  auto client = e.client();
  REQUIRE(
      e.admin(
           "POST", "faults",
           R"({"id": "slow", "match": {"path": "^WhoAmI$"}, "action": "latency", "latency_ms": 150})")
          .status == 200);
  CHECK(client.get("WhoAmI").status == 200);
  const auto refused = client.get("WhoAmI");
  REQUIRE(refused.status == 429);
  CHECK(refused.error_code() == "0x80072321");
  CHECK(refused.error_message().starts_with(
      "Combined execution time of incoming requests exceeded limit of 100 milliseconds"));
  CHECK(retry_after(refused) >= 1);
}

TEST_CASE("global latency and a $batch's summed operation latency count as execution time",
          "[http][throttling]") {
  auto options = default_options();
  options.throttle_exec_ms = 100;
  options.throttle_window_s = 2;
  running_emulator e(options);
  auto client = e.client();

  SECTION("latency_ms set through PUT /_emulator/config") {
    REQUIRE(e.admin("PUT", "config", R"({"latency_ms": 60})").status == 200);
    CHECK(client.get("WhoAmI").status == 200);  // 60 ms recorded
    CHECK(client.get("WhoAmI").status == 200);  // 120 ms recorded: now above the limit
    CHECK(client.get("WhoAmI").error_code() == "0x80072321");
  }
  SECTION("two inner latency faults of 60 ms in one batch") {
    REQUIRE(
        e.admin("POST", "faults",
                R"({"match": {"inner": true}, "action": "latency", "latency_ms": 60, "times": 2})")
            .status == 200);
    const std::string part =
        "--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        "GET WhoAmI HTTP/1.1\r\n\r\n\r\n";
    const auto batch = client.send("POST", "$batch", part + part + "--b--\r\n",
                                   {{"Content-Type", "multipart/mixed; boundary=b"}});
    CHECK(batch.status == 200);
    CHECK(client.get("WhoAmI").error_code() == "0x80072321");
  }
}
