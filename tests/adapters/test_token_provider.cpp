// The OAuth2 token provider (dataverse.md §8) against the emulator's token endpoint and, for
// token responses the emulator never sends, a local server with canned replies: caching,
// refresh timing on an injected clock, form encoding of awkward secrets, response validation,
// failure classes, secret-free messages and single-flight refresh.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "adapters/oauth/token_provider.hpp"
#include "emulator/dataverse_emulator.hpp"
#include "tests/adapters/local_servers.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser;
using namespace opencloser::adapter_testing;
using namespace std::chrono_literals;
namespace json = opencloser::json;

namespace {

const std::string tenant = "a11ce5e1-7e4a-4c0d-9e2f-00000000d7e1";
const std::string plain_client = "ad4a7e50-0000-4000-8000-0000000000c1";
const std::string plain_secret = "plain-Secret-Zq81";
const std::string awkward_client = "ad4a7e50-0000-4000-8000-0000000000c2";
const std::string awkward_secret = "p+s/w=r~d%41 x";

struct running_emulator {
  emulator::dataverse_emulator emu;
  std::string origin;
  running_emulator() {
    emulator::emulator_options options;
    options.seeds = {opencloser::testing::fixture("adapters/oauth_seed.json")};
    emu.start(options);
    origin = emu.origin();
  }
  ~running_emulator() { emu.stop(); }
  std::int64_t tokens_issued() const {
    return emu.state().find("counters")->find("tokens_issued")->as_int();
  }
  void add_fault(const std::string& rule) { emu.add_fault(json::parse(rule)); }

  oauth_credentials credentials(const std::string& client = plain_client,
                                const std::string& secret = plain_secret) const {
    return {tenant, client, secret, origin, origin};
  }
};

/// A monotonic clock the test moves by hand.
struct manual_clock {
  std::atomic<int> seconds{0};
  token_provider_options options() {
    token_provider_options o;
    o.now = [this] {
      return std::chrono::steady_clock::time_point{} + std::chrono::seconds(seconds.load());
    };
    return o;
  }
};

oauth_credentials canned_credentials(const local_server& server) {
  const auto origin = "http://127.0.0.1:" + std::to_string(server.port());
  return {tenant, plain_client, plain_secret, "https://org.example.crm.dynamics.com/", origin};
}

std::string expected_endpoint(const std::string& authority) {
  return authority + "/<redacted-tenant>/oauth2/v2.0/token";
}

void check_secret_free(const std::string& message) {
  INFO(message);
  CHECK(message.find(tenant) == std::string::npos);
  CHECK(message.find(plain_secret) == std::string::npos);
  CHECK(message.find(awkward_secret) == std::string::npos);
  CHECK(message.find("client_secret") == std::string::npos);
}

}  // namespace

TEST_CASE("token: form encoding, request body and endpoint follow dataverse.md §8", "[token]") {
  CHECK(form_encode(awkward_secret) == "p%2Bs%2Fw%3Dr%7Ed%2541+x");
  CHECK(form_encode("Az09*-._") == "Az09*-._");
  CHECK(form_encode("é") == "%C3%A9");
  const oauth_credentials c{"t-1", "client id", "s&=", "https://org.example.com//",
                            "https://login.example.com/"};
  CHECK(token_request_body(c) ==
        "grant_type=client_credentials&client_id=client+id&client_secret=s%26%3D"
        "&scope=https%3A%2F%2Forg.example.com%2F.default");
  CHECK(token_endpoint(c) == "https://login.example.com/t-1/oauth2/v2.0/token");
  CHECK(redacted_token_endpoint("https://login.example.com/") ==
        "https://login.example.com/<redacted-tenant>/oauth2/v2.0/token");
  CHECK(oauth_credentials{}.authority_host == "https://login.microsoftonline.com");
}

TEST_CASE("token: refresh point is lifetime − min(60, lifetime/2)", "[token]") {
  CHECK(refresh_after_seconds(100) == 50);
  CHECK(refresh_after_seconds(30) == 15);
  CHECK(refresh_after_seconds(3600) == 3540);
}

TEST_CASE("token: response validation", "[token]") {
  auto grant = [](std::string_view body) {
    return std::get<token_grant>(parse_token_response(body));
  };
  CHECK(grant(R"({"access_token": "a", "expires_in": 100})").lifetime_seconds == 100);
  CHECK(grant(R"({"access_token": "a", "expires_in": "3599"})").lifetime_seconds == 3599);
  CHECK(grant(R"({"access_token": "a", "expires_in": 12.5})").lifetime_seconds == 12.5);
  CHECK(grant(R"({"access_token": "a"})").lifetime_seconds == 3600);
  CHECK(grant(R"({"access_token": "abc", "expires_in": 1})").access_token == "abc");
  for (const std::string body :
       {R"({"access_token": "leaky", "expires_in": 0})",
        R"({"access_token": "leaky", "expires_in": -5})",
        R"({"access_token": "leaky", "expires_in": "soon"})",
        R"({"access_token": "leaky", "expires_in": "inf"})",
        R"({"access_token": "leaky", "expires_in": "nan"})",
        R"({"access_token": "leaky", "expires_in": "12 "})",
        R"({"access_token": "leaky", "expires_in": null})",
        R"({"access_token": "leaky", "expires_in": true})", R"({"expires_in": 100})",
        R"({"access_token": "", "expires_in": 100})", R"({"access_token": 7})", R"(["leaky"])",
        "<html>leaky</html>", ""}) {
    INFO(body);
    const auto parsed = parse_token_response(body);
    REQUIRE(std::holds_alternative<std::string>(parsed));
    CHECK(std::get<std::string>(parsed).find("leaky") == std::string::npos);
  }
}

TEST_CASE("token: fetched from the emulator, cached across calls, accepted by the Web API",
          "[token]") {
  running_emulator e;
  http_client client;
  token_provider provider(client, e.credentials());
  const auto first = provider.get_token_blocking();
  REQUIRE(first.ok());
  CHECK(first.access_token.rfind("emu_", 0) == 0);
  for (int i = 0; i < 5; ++i)
    CHECK(provider.get_token_blocking().access_token == first.access_token);
  CHECK(e.tokens_issued() == 1);
  CHECK(provider.token_requests() == 1);

  http_call call;
  call.method = "GET";
  call.url = e.origin + "/api/data/v9.2/WhoAmI";
  call.headers = {{"Authorization", "Bearer " + first.access_token}};
  CHECK(client.send(call).status == 200);
}

TEST_CASE("token: a client secret with + / = ~ % and a space authenticates", "[token]") {
  running_emulator e;
  http_client client;
  token_provider provider(client, e.credentials(awkward_client, awkward_secret));
  const auto r = provider.get_token_blocking();
  INFO((r.error ? r.error->message : std::string()));
  CHECK(r.ok());
  CHECK(e.tokens_issued() == 1);
}

TEST_CASE("token: rejected credentials → permanent, message without tenant or secret", "[token]") {
  running_emulator e;
  http_client client;
  token_provider provider(client, e.credentials(plain_client, awkward_secret));
  const auto r = provider.get_token_blocking();
  REQUIRE_FALSE(r.ok());
  CHECK(r.access_token.empty());
  CHECK(r.error->kind == outcome_class::permanent);
  CHECK(r.error->status == 401);
  CHECK(r.error->message ==
        "Dataverse token request failed: HTTP 401 (" + expected_endpoint(e.origin) + ")");
  check_secret_free(r.error->message);
}

TEST_CASE("token: 503 → transient and not cached, 429 → throttled with its Retry-After",
          "[token]") {
  running_emulator e;
  http_client client;
  token_provider provider(client, e.credentials());
  e.add_fault(R"({"match": {"path": "token"}, "action": "status", "status": 503, "times": 1})");
  const auto unavailable = provider.get_token_blocking();
  REQUIRE_FALSE(unavailable.ok());
  CHECK(unavailable.error->kind == outcome_class::transient);
  CHECK(unavailable.error->message ==
        "Dataverse token request failed: HTTP 503 (" + expected_endpoint(e.origin) + ")");
  check_secret_free(unavailable.error->message);
  e.add_fault(
      R"({"match": {"path": "token"}, "action": "status", "status": 429, "retry_after_s": 9, "times": 1})");
  const auto throttled = provider.get_token_blocking();
  REQUIRE_FALSE(throttled.ok());
  CHECK(throttled.error->kind == outcome_class::throttled);
  CHECK(throttled.error->retry_after_seconds == 9.0);
  CHECK(provider.get_token_blocking().ok());  // failures are not cached
  CHECK(provider.token_requests() == 3);
}

TEST_CASE("token: transport failures are transient, plaintext to a remote authority is refused",
          "[token]") {
  http_client client;
  auto credentials = oauth_credentials{tenant, plain_client, plain_secret,
                                       "https://org.example.com", "http://127.0.0.1:1"};
  token_provider refused(client, credentials);
  const auto r = refused.get_token_blocking();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error->kind == outcome_class::transient);
  CHECK(r.error->failure == transport_failure::connect);
  CHECK(r.error->message == "Dataverse token request failed: transport failure: connect (" +
                                expected_endpoint("http://127.0.0.1:1") + ")");
  check_secret_free(r.error->message);

  credentials.authority_host = "http://login.example.com";
  token_provider plaintext(client, credentials);
  const auto p = plaintext.get_token_blocking();
  REQUIRE_FALSE(p.ok());
  CHECK(p.error->kind == outcome_class::permanent);
  CHECK(p.error->failure == transport_failure::invalid_url);
  check_secret_free(p.error->message);
}

TEST_CASE("token: the request carries the form and goes to <authority>/<tenant>/oauth2/v2.0/token",
          "[token]") {
  local_server server(json_reply(R"({"access_token": "t1", "expires_in": 3600})"));
  http_client client;
  token_provider provider(client, canned_credentials(server));
  REQUIRE(provider.get_token_blocking().ok());
  REQUIRE(server.requests() == 1);
  CHECK(server.request_targets()[0] == "/" + tenant + "/oauth2/v2.0/token");
  CHECK(server.request_bodies()[0] ==
        "grant_type=client_credentials&client_id=" + plain_client + "&client_secret=" +
            plain_secret + "&scope=https%3A%2F%2Forg.example.crm.dynamics.com%2F.default");
}

TEST_CASE("token: expires_in 100 → cached at t=49, refreshed at t=50", "[token]") {
  local_server server(json_reply(R"({"access_token": "t100", "expires_in": 100})"));
  http_client client;
  manual_clock clock;
  token_provider provider(client, canned_credentials(server), clock.options());
  REQUIRE(provider.get_token_blocking().ok());
  clock.seconds = 49;
  REQUIRE(provider.get_token_blocking().ok());
  CHECK(server.requests() == 1);
  clock.seconds = 50;
  REQUIRE(provider.get_token_blocking().ok());
  CHECK(server.requests() == 2);
  clock.seconds = 99;  // the new token was acquired at t=50
  REQUIRE(provider.get_token_blocking().ok());
  CHECK(server.requests() == 2);
}

TEST_CASE("token: expires_in 30 → refreshed at t=15, \"3599\" as a string is accepted", "[token]") {
  local_server server(json_reply(R"({"access_token": "t30", "expires_in": 30})"));
  http_client client;
  manual_clock clock;
  token_provider provider(client, canned_credentials(server), clock.options());
  REQUIRE(provider.get_token_blocking().ok());
  clock.seconds = 14;
  REQUIRE(provider.get_token_blocking().ok());
  CHECK(server.requests() == 1);
  clock.seconds = 15;
  server.set_reply(json_reply(R"({"access_token": "t3599", "expires_in": "3599"})"));
  const auto refreshed = provider.get_token_blocking();
  REQUIRE(refreshed.ok());
  CHECK(refreshed.access_token == "t3599");
  CHECK(server.requests() == 2);
  clock.seconds = 15 + 3538;
  CHECK(provider.get_token_blocking().access_token == "t3599");
  CHECK(server.requests() == 2);
  clock.seconds = 15 + 3539;
  REQUIRE(provider.get_token_blocking().ok());
  CHECK(server.requests() == 3);
}

TEST_CASE("token: invalid 2xx token responses are permanent and never quoted", "[token]") {
  for (const std::string body :
       {R"({"access_token": "leaky-token", "expires_in": 0})",
        R"({"access_token": "leaky-token", "expires_in": -1})",
        R"({"access_token": "leaky-token", "expires_in": "later"})",
        R"({"expires_in": 3600, "note": "leaky"})", R"({"access_token": "", "expires_in": 3600})",
        "leaky, not JSON"}) {
    INFO(body);
    local_server server(json_reply(body));
    http_client client;
    token_provider provider(client, canned_credentials(server));
    const auto r = provider.get_token_blocking();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error->kind == outcome_class::permanent);
    CHECK(r.error->message.rfind("Dataverse token request failed: invalid token response: ", 0) ==
          0);
    CHECK(r.error->message.find("leaky") == std::string::npos);
    check_secret_free(r.error->message);
  }
}

TEST_CASE("token: 20 concurrent callers share one token request", "[token]") {
  running_emulator e;
  // Hold the token request so every caller arrives while it is in flight.
  e.add_fault(
      R"({"match": {"path": "token"}, "action": "latency", "latency_ms": 300, "times": 1})");
  http_client client;
  token_provider provider(client, e.credentials());
  std::mutex mutex;
  std::vector<std::string> tokens;
  std::vector<std::thread> callers;
  for (int i = 0; i < 20; ++i)
    callers.emplace_back([&] {
      const auto r = provider.get_token_blocking();
      std::lock_guard guard(mutex);
      tokens.push_back(r.ok() ? r.access_token : "failed");
    });
  for (auto& t : callers) t.join();
  REQUIRE(tokens.size() == 20);
  for (const auto& t : tokens) CHECK(t == tokens.front());
  CHECK(tokens.front() != "failed");
  CHECK(e.tokens_issued() == 1);
  CHECK(provider.token_requests() == 1);
}

TEST_CASE("token: invalidate drops the rejected token only", "[token]") {
  running_emulator e;
  http_client client;
  token_provider provider(client, e.credentials());
  const auto first = provider.get_token_blocking().access_token;
  provider.invalidate("some-other-token");
  CHECK(provider.get_token_blocking().access_token == first);
  CHECK(e.tokens_issued() == 1);
  provider.invalidate(first);
  const auto second = provider.get_token_blocking();
  REQUIRE(second.ok());
  CHECK(second.access_token != first);
  CHECK(e.tokens_issued() == 2);
  provider.invalidate();
  CHECK(provider.get_token_blocking().ok());
  CHECK(e.tokens_issued() == 3);
}

TEST_CASE("token: the async API answers every caller exactly once", "[token]") {
  running_emulator e;
  http_client client;
  token_provider provider(client, e.credentials());
  std::mutex mutex;
  std::condition_variable changed;
  int calls = 0;
  for (int i = 0; i < 5; ++i)
    provider.get_token([&](token_result r) {
      std::lock_guard guard(mutex);
      calls += r.ok() ? 1 : 100;
      changed.notify_all();
    });
  std::unique_lock lock(mutex);
  REQUIRE(changed.wait_for(lock, 30s, [&] { return calls >= 5; }));
  lock.unlock();
  std::this_thread::sleep_for(50ms);  // a duplicate answer would show up here
  lock.lock();
  CHECK(calls == 5);
}
