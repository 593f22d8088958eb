// The emulator over HTTP as a server: keep-alive, many concurrent connections, pipelining,
// and bad input of every kind — each answered with a Dataverse-style 400 (or, for bytes that
// are not HTTP, a clean close), after which the emulator keeps serving.

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/emulator/http_test_client.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser::emulator;
using namespace opencloser::emulator::http_testing;
namespace json = opencloser::json;

namespace {

/// The emulator still answers a normal request on a new connection.
void check_still_serving(const running_emulator& e) {
  auto client = e.client();
  const auto r = client.get("accounts(" + account_row + ")");
  CHECK(r.status == 200);
  CHECK(r.json().find("name")->as_string() == "Maple Court ALF");
}

void check_dataverse_400(const http_reply& r) {
  INFO(r.body);
  CHECK(r.status == 400);
  CHECK(r.error_code().starts_with("0x"));
  CHECK(!r.error_message().empty());
}

}  // namespace

TEST_CASE("one keep-alive connection serves many requests", "[http][robustness]") {
  running_emulator e;
  auto client = e.client();
  for (int i = 0; i < 150; ++i) {
    const auto patch = client.patch("acme_callqueues(" + queue_row + ")",
                                    json::object{{"acme_attempts", i}}, {{"If-Match", "*"}});
    REQUIRE(patch.status == 204);
    const auto read = client.get("acme_callqueues(" + queue_row + ")?$select=acme_attempts");
    REQUIRE(read.status == 200);
    REQUIRE(read.json().find("acme_attempts")->as_int() == i);
  }
  CHECK(e.admin("GET", "state").json().find("counters")->find("requests")->as_int() == 300);
}

TEST_CASE("32 concurrent connections × 50 requests are all answered correctly",
          "[http][robustness]") {
  auto options = default_options();
  options.io_threads = 4;
  running_emulator e(options);
  constexpr int threads = 32, per_thread = 50;
  std::mutex mutex;
  std::vector<std::string> problems;
  std::atomic<int> answered{0};
  const auto id_of = [](int t) {
    char id[37];
    std::snprintf(id, sizeof id, "c0c0c0c0-0000-4000-8000-%012d", t);
    return std::string(id);
  };
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      const auto problem = [&](const std::string& what) {
        std::lock_guard lock(mutex);
        problems.push_back("thread " + std::to_string(t) + ": " + what);
      };
      try {
        auto client = e.client();
        const auto id = id_of(t);
        auto r = client.post(
            "accounts", json::object{{"accountid", id}, {"name", "t" + std::to_string(t) + "-0"}});
        if (r.status != 204) problem("POST " + std::to_string(r.status));
        ++answered;
        for (int n = 1; n < per_thread; ++n) {
          const auto name = "t" + std::to_string(t) + "-" + std::to_string((n + 1) / 2);
          if (n % 2 == 1) {
            r = client.patch("accounts(" + id + ")", json::object{{"name", name}},
                             {{"If-Match", "*"}});
            if (r.status != 204) problem("PATCH " + std::to_string(r.status));
          } else {
            r = client.get("accounts(" + id + ")?$select=name");
            if (r.status != 200 || r.json().find("name")->as_string() != name)
              problem("GET " + std::to_string(r.status) + " " + r.body);
          }
          ++answered;
        }
      } catch (const std::exception& ex) {
        problem(ex.what());
      }
    });
  for (auto& w : workers) w.join();
  for (const auto& p : problems) FAIL_CHECK(p);
  CHECK(answered == threads * per_thread);

  const auto tables = e.tables();
  int found = 0;
  for (const auto& row : tables.find("account")->as_array()) {
    const auto id = row.find("accountid")->as_string();
    for (int t = 0; t < threads; ++t)
      if (id == id_of(t)) {
        ++found;
        CHECK(row.find("name")->as_string() ==
              "t" + std::to_string(t) + "-" + std::to_string(per_thread / 2));
      }
  }
  CHECK(found == threads);
  const auto counters = *e.admin("GET", "state").json().find("counters");
  CHECK(counters.find("requests")->as_int() == threads * per_thread);
  CHECK(counters.find("max_in_flight")->as_int() <= threads);
  CHECK(counters.find("max_in_flight")->as_int() >= 1);
}

TEST_CASE("pipelined requests are answered in order", "[http][robustness]") {
  running_emulator e;
  auto client = e.client();
  auto& c = client.connection();
  const auto get = client.headers_for("GET", false, {});
  const auto post = client.headers_for("POST", true, {});
  const std::string created = "b1b1b1b1-0000-4000-8000-000000000001";
  std::string bytes =
      c.serialize_request("GET", api_target("accounts(" + account_row + ")"), get) +
      c.serialize_request("POST", api_target("accounts"), post,
                          R"({"accountid":")" + created + R"(","name":"Pipelined"})") +
      c.serialize_request("GET", api_target("WhoAmI"), get) +
      c.serialize_request("GET", api_target("accounts(" + created + ")?$select=name"), get);
  REQUIRE(c.send_raw(bytes));
  const auto first = c.read_reply(), second = c.read_reply(), third = c.read_reply(),
             fourth = c.read_reply();
  REQUIRE(first);
  REQUIRE(second);
  REQUIRE(third);
  REQUIRE(fourth);
  CHECK(first->json().find("accountid")->as_string() == account_row);
  CHECK(second->status == 204);
  CHECK(third->json().contains("UserId"));
  REQUIRE(fourth->status == 200);  // ran after the POST before it
  CHECK(fourth->json().find("name")->as_string() == "Pipelined");
  CHECK(client.get("WhoAmI").status == 200);  // and the connection goes on
}

TEST_CASE("bad requests get a Dataverse-style 400 and the connection keeps serving",
          "[http][robustness]") {
  running_emulator e;
  auto client = e.client();
  const auto accounts_before = e.tables().find("account")->as_array().size();

  SECTION("malformed JSON body") {
    const auto r = client.send("POST", "accounts", R"({"name": "x")");
    check_dataverse_400(r);
    CHECK(r.error_code() == "0x80048d19");
    check_dataverse_400(client.send("PATCH", "accounts(" + account_row + ")", "not json at all"));
  }
  SECTION("unknown column") {
    const auto r = client.post("accounts", json::object{{"name", "x"}, {"acme_nosuchcolumn", 1}});
    check_dataverse_400(r);
    CHECK(r.error_message().find("acme_nosuchcolumn") != std::string::npos);
  }
  SECTION("malformed $filter") {
    for (const char* bad : {"accounts?$filter=name eq", "accounts?$filter=name eq 'unterminated",
                            "accounts?$filter=(name eq 'x')", "accounts?$filter=name lt 'x'",
                            "accounts?$filter=nosuch eq 1", "accounts?$filter=name eq 'x' and"}) {
      INFO(bad);
      check_dataverse_400(client.get(bad));
    }
  }
  SECTION("bad GUID in the URL and in $filter") {
    for (const char* bad : {"accounts(not-a-guid)", "accounts(5a1e0c6d-1111-4a2b-9c3d-00000000000)",
                            "accounts('5a1e0c6d-1111-4a2b-9c3d-000000000001')",
                            "accounts?$filter=accountid eq 5a1e0c6d-zzzz-4a2b-9c3d-000000000001",
                            "accounts?$filter=accountid eq 'not-a-guid'"}) {
      INFO(bad);
      check_dataverse_400(client.get(bad));
    }
    check_dataverse_400(client.patch("accounts(not-a-guid)", json::object{{"name", "x"}}));
  }
  SECTION("a bad percent escape in the query") {
    const auto r = client.connection().request("GET", api_target("accounts?$filter=name%ZZ"),
                                               client.headers_for("GET", false, {}));
    check_dataverse_400(r);
  }
  CHECK(client.get("accounts(" + account_row + ")").status == 200);  // same connection
  CHECK(e.tables().find("account")->as_array().size() == accounts_before);
}

TEST_CASE("a body over max_body_bytes gets a 400 and changes nothing", "[http][robustness]") {
  auto options = default_options();
  options.max_body_bytes = 4096;
  running_emulator e(options);
  auto client = e.client();
  const std::string id = "b2b2b2b2-0000-4000-8000-000000000001";
  const auto body = R"({"accountid":")" + id + R"(","name":")" + std::string(8192, 'x') + "\"}";
  const auto r = client.try_send("POST", "accounts", body);
  if (r) {
    check_dataverse_400(*r);
    CHECK(r->error_message().find("4096") != std::string::npos);
  } else {
    FAIL_CHECK("the emulator closed the connection without the 400");
  }
  CHECK(e.dumped_row("account", id).is_null());
  // A body just under the limit is fine.
  client.reconnect();
  CHECK(client.post("accounts", json::object{{"name", std::string(1000, 'y')}}).status == 204);
  check_still_serving(e);
}

TEST_CASE("bytes that are not HTTP, and a huge header, do not take the emulator down",
          "[http][robustness]") {
  running_emulator e;

  SECTION("garbage bytes: a 400 or a clean close") {
    auto c = e.connect();
    static constexpr char garbage[] =
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n";
    REQUIRE(c.send_raw(std::string(garbage, sizeof garbage - 1)));
    const auto rest = c.read_until_closed();
    if (!rest.empty()) {
      CHECK(rest.starts_with("HTTP/1.1 400"));
      CHECK(rest.find("\"error\"") != std::string::npos);
    }
  }
  SECTION("a request line that is not HTTP") {
    auto c = e.connect();
    REQUIRE(c.send_raw("HELLO THERE\r\n\r\n"));
    const auto rest = c.read_until_closed();
    if (!rest.empty()) CHECK(rest.starts_with("HTTP/1.1 400"));
  }
  SECTION("a 100 KB header") {
    auto c = e.connect();
    const auto r =
        c.try_request("GET", api_target("WhoAmI"), {{"X-Huge", std::string(100 * 1024, 'h')}});
    REQUIRE(r);
    check_dataverse_400(*r);
    CHECK(r->error_message().find("headers") != std::string::npos);
    CHECK(c.read_until_closed().empty());  // then the connection closes
  }
  SECTION("a connection closed halfway through a request") {
    auto c = e.connect();
    REQUIRE(c.send_raw(
        "POST /api/data/v9.2/accounts HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"na"));
  }
  check_still_serving(e);
}

TEST_CASE("requests outside the service root and unknown sets get 404", "[http][robustness]") {
  running_emulator e;
  auto client = e.client();
  const auto outside =
      client.connection().request("GET", "/nothing/here", client.headers_for("GET", false, {}));
  CHECK(outside.status == 404);
  CHECK(!outside.error_code().empty());
  const auto unknown = client.get("acme_nosuchsets");
  CHECK(unknown.status == 404);
  CHECK(unknown.error_code().starts_with("0x"));
  CHECK(client.get("WhoAmI").status == 200);
}
