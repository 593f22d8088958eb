// The Dataverse gateway actor against the emulator over loopback: token, standard headers,
// transient resends, 429 waits, the forced token refresh after a 401, POSTs never resent
// blindly, and secret-free messages. Waits are short (backoff 0.05 s); nothing asserts speed.

#include <catch2/catch.hpp>

#include "tests/actors/emulated_dataverse.hpp"

using namespace opencloser;

namespace {

/// The gateway under test is the harness's own.
struct gateway_fixture : testing::emulated_dataverse {
  dataverse_reply call(dataverse_call c) { return ask<dataverse_reply>(gateway, std::move(c)); }
};

dataverse_call get(std::string relative_url) {
  return {"test", "GET", std::move(relative_url), {}, {}, true};
}

}  // namespace

TEST_CASE("a GET goes out with a token and the standard headers", "[gateway]") {
  gateway_fixture fx;
  const auto reply = fx.call(get("acme_callqueues?$select=acme_phone&$top=1"));
  CHECK(reply.outcome == dataverse_outcome::success);
  CHECK(reply.status == 200);
  CHECK(reply.body.find("acme_phone") != std::string::npos);
  CHECK(reply.counters.requests == 1);
  CHECK(reply.counters.token_requests == 1);
  const auto log = fx.emu.requests();
  const auto& last = log.as_array().back();
  CHECK(last.find("headers")->find("Authorization")->as_string() == "Bearer <redacted>");
  CHECK(last.find("headers")->find("OData-Version")->as_string() == "4.0");
  CHECK(last.find("headers")->find("If-None-Match")->as_string() == "null");
  CHECK(last.find("headers")->find("User-Agent")->as_string() == "opencloser/0.1.0");
  // The cached token serves the next call.
  CHECK(fx.call(get("WhoAmI")).counters.token_requests == 0);
}

TEST_CASE("a transient 503 is resent and a 429 is waited out", "[gateway]") {
  gateway_fixture fx;
  fx.emu.add_fault(json::parse(R"([{"match": {"method": "GET", "path": "^WhoAmI$"},
      "action": "status", "status": 503, "times": 1},
      {"match": {"method": "GET", "path": "^WhoAmI$"}, "action": "status",
      "status": 429, "retry_after_s": 1, "times": 1}])"));
  const auto reply = fx.call(get("WhoAmI"));
  CHECK(reply.outcome == dataverse_outcome::success);
  CHECK(reply.counters.requests == 3);
  CHECK(reply.counters.retries == 1);
  CHECK(reply.counters.throttled == 1);
}

TEST_CASE("retries run out as transient_exhausted with a secret-free message", "[gateway]") {
  gateway_fixture fx;
  fx.emu.add_fault(json::parse(
      R"({"match": {"path": "^acme_callqueues$"}, "action": "status", "status": 503, "times": -1})"));
  const auto reply = fx.call(get("acme_callqueues?$filter=acme_dnc%20eq%20true"));
  CHECK(reply.outcome == dataverse_outcome::transient_exhausted);
  CHECK(reply.counters.requests == 4);  // 1 + max_retries
  // The env URL is a secret (dataverse.md §8): the host reads `<env>`, the query is dropped.
  CHECK(reply.message == "Dataverse returned HTTP 503 for GET <env>/api/data/v9.2/acme_callqueues");
  CHECK(reply.message.find(fx.emu.origin()) == std::string::npos);
}

TEST_CASE("a 404 is permanent at once", "[gateway]") {
  gateway_fixture fx;
  const auto reply = fx.call(get("acme_callqueues(0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0aff)"));
  CHECK(reply.outcome == dataverse_outcome::permanent);
  CHECK(reply.status == 404);
  CHECK(reply.counters.requests == 1);
}

TEST_CASE("a 401 forces one token refresh and one resend", "[gateway]") {
  gateway_fixture fx;
  REQUIRE(fx.call(get("WhoAmI")).outcome == dataverse_outcome::success);
  fx.emu.expire_tokens();
  const auto reply = fx.call(get("WhoAmI"));
  CHECK(reply.outcome == dataverse_outcome::success);
  CHECK(reply.counters.requests == 2);
  CHECK(reply.counters.retries == 0);
  CHECK(reply.counters.token_requests == 1);
}

TEST_CASE("a POST is not resent after a transient failure: the caller decides", "[gateway]") {
  gateway_fixture fx;
  fx.emu.add_fault(json::parse(
      R"({"match": {"method": "POST", "path": "^tasks$"}, "action": "lost_response", "times": 1})"));
  const auto reply = fx.call({"task_create", "POST", "tasks", {}, R"({"subject": "once"})", false});
  CHECK(reply.outcome == dataverse_outcome::transient);
  CHECK(reply.message == "Dataverse transport failure: eof");
  CHECK(reply.wait_seconds == Approx(0.05));
  CHECK(reply.counters.requests == 1);
  CHECK(reply.counters.writes == 1);
  // The lost response was committed: exactly one task exists, and it was sent once.
  CHECK(fx.emu.state().find("tables")->find("task")->as_array().size() == 1);
}

TEST_CASE("a 429 on a POST goes back to the caller too: it re-queries before sending again",
          "[gateway]") {
  gateway_fixture fx;
  fx.emu.add_fault(json::parse(R"({"match": {"method": "POST", "path": "^tasks$"},
      "action": "status", "status": 429, "retry_after_s": 2, "times": 1})"));
  const auto reply = fx.call({"task_create", "POST", "tasks", {}, R"({"subject": "once"})", false});
  CHECK(reply.outcome == dataverse_outcome::transient);
  CHECK(reply.status == 429);
  CHECK(reply.wait_seconds == Approx(2));
  CHECK(reply.counters.requests == 1);
  CHECK(fx.emu.state().find("tables")->find("task")->as_array().empty());
}
