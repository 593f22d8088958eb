// The emulator over HTTP: the Entra ID token endpoint, bearer tokens on data requests, and the
// headers every Web API response carries (emulator.md §1, opening paragraphs).

#include <regex>
#include <set>
#include <thread>

#include "tests/emulator/http_test_client.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser::emulator;
using namespace opencloser::emulator::http_testing;
namespace json = opencloser::json;

namespace {

http_reply token_with(const running_emulator& e, const std::string& tenant,
                      const std::vector<std::pair<std::string, std::string>>& fields) {
  auto c = e.connect();
  return c.request("POST", "/" + tenant + "/oauth2/v2.0/token",
                   {{"Content-Type", "application/x-www-form-urlencoded"}}, form_body(fields));
}

std::vector<std::pair<std::string, std::string>> good_form(const running_emulator& e,
                                                           const client_credentials& c) {
  return {{"grant_type", "client_credentials"},
          {"client_id", c.client_id},
          {"client_secret", c.client_secret},
          {"scope", e.origin + "/.default"}};
}

json::value oauth_body(const http_reply& r) {
  return r.json();
}

std::int64_t counter(const running_emulator& e, std::string_view name) {
  return e.admin("GET", "state").json().find("counters")->find(name)->as_int();
}

}  // namespace

TEST_CASE("the token endpoint issues a bearer token of Entra ID's shape", "[http][auth]") {
  running_emulator e;
  auto c = e.connect();
  const auto reply = request_token(c, e.origin, e.credentials());
  REQUIRE(reply.status == 200);
  CHECK(reply.header("Content-Type").value_or("").starts_with("application/json"));
  const auto body = reply.json();
  CHECK(body.find("token_type")->as_string() == "Bearer");
  CHECK(body.find("expires_in")->as_int() == 3599);
  CHECK(body.find("ext_expires_in")->as_int() == 3599);
  const auto token = body.find("access_token")->as_string();
  CHECK(std::regex_match(token, std::regex("emu_[0-9a-f]{32}")));
  CHECK(counter(e, "tokens_issued") == 1);

  // The token opens the Web API on any connection.
  auto data = e.connect();
  const auto who =
      data.request("GET", api_target("WhoAmI"), {{"Authorization", "Bearer " + token}});
  CHECK(who.status == 200);
}

TEST_CASE("the token endpoint refuses what Entra ID refuses, issuing nothing", "[http][auth]") {
  running_emulator e;
  const auto creds = e.credentials();
  auto form = good_form(e, creds);

  SECTION("wrong client secret → 401 invalid_client, AADSTS7000215") {
    form[2].second = "not-the-secret";
    const auto r = token_with(e, creds.tenant_id, form);
    CHECK(r.status == 401);
    CHECK(oauth_body(r).find("error")->as_string() == "invalid_client");
    CHECK(oauth_body(r).find("error_description")->as_string().starts_with("AADSTS7000215"));
  }
  SECTION("unknown client id → 401 invalid_client") {
    form[1].second = "c0ffee00-0000-4000-8000-00000000dead";
    const auto r = token_with(e, creds.tenant_id, form);
    CHECK(r.status == 401);
    CHECK(oauth_body(r).find("error")->as_string() == "invalid_client");
  }
  SECTION("another client's secret → 401 (secrets are per client)") {
    form[2].second = e.credentials(second_client).client_secret;
    CHECK(token_with(e, creds.tenant_id, form).status == 401);
  }
  SECTION("wrong tenant → 400 invalid_request") {
    const auto r = token_with(e, "00000000-0000-4000-8000-000000000000", form);
    CHECK(r.status == 400);
    CHECK(oauth_body(r).find("error")->as_string() == "invalid_request");
  }
  SECTION("wrong grant type → 400 unsupported_grant_type") {
    form[0].second = "password";
    const auto r = token_with(e, creds.tenant_id, form);
    CHECK(r.status == 400);
    CHECK(oauth_body(r).find("error")->as_string() == "unsupported_grant_type");
  }
  SECTION("wrong scope → 400 invalid_scope, AADSTS70011") {
    form[3].second = "https://contoso.crm.dynamics.com/.default";
    const auto r = token_with(e, creds.tenant_id, form);
    CHECK(r.status == 400);
    CHECK(oauth_body(r).find("error")->as_string() == "invalid_scope");
    CHECK(oauth_body(r).find("error_description")->as_string().starts_with("AADSTS70011"));
  }
  SECTION("scope without /.default → 400 invalid_scope") {
    form[3].second = e.origin;
    CHECK(oauth_body(token_with(e, creds.tenant_id, form)).find("error")->as_string() ==
          "invalid_scope");
  }
  CHECK(counter(e, "tokens_issued") == 0);
}

TEST_CASE("a client secret with + / = ~ % and a space authenticates when form-encoded",
          "[http][auth]") {
  running_emulator e;
  const auto creds = e.credentials(awkward_secret_client);
  REQUIRE(creds.client_secret == "p+s/w=r~d%41 x");
  const auto encoded = form_body(good_form(e, creds));
  CHECK(encoded.find("p%2Bs%2Fw%3Dr%7Ed%2541%20x") != std::string::npos);

  auto c = e.connect();
  const auto ok = request_token(c, e.origin, creds);
  REQUIRE(ok.status == 200);

  // Sent without encoding, '+' reads as a space and "%41" as "A": a different secret.
  const std::string raw =
      "grant_type=client_credentials&client_id=" + creds.client_id +
      "&client_secret=p+s/w=r~d%41 x&scope=" + form_encode(e.origin + "/.default");
  const auto wrong = c.request("POST", "/" + creds.tenant_id + "/oauth2/v2.0/token",
                               {{"Content-Type", "application/x-www-form-urlencoded"}}, raw);
  CHECK(wrong.status == 401);

  // And the token it got works for data requests as that client.
  auto data = e.connect();
  const auto token = ok.json().find("access_token")->as_string();
  CHECK(data.request("GET", api_target("WhoAmI"), {{"Authorization", "Bearer " + token}}).status ==
        200);
  const auto log = e.log();
  REQUIRE(!log.empty());
  CHECK(log.back().find("client_id")->as_string() == creds.client_id);
}

TEST_CASE("Web API requests need a live token: 401 with WWW-Authenticate: Bearer", "[http][auth]") {
  running_emulator e;
  auto c = e.connect();
  const auto path = api_target("acme_callqueues(" + queue_row + ")");

  SECTION("no Authorization header") {
    const auto r = c.request("GET", path);
    CHECK(r.status == 401);
    CHECK(r.header("WWW-Authenticate").value_or("").starts_with("Bearer"));
    CHECK(r.header("OData-Version") == "4.0");
    CHECK(!r.error_code().empty());
  }
  SECTION("a token the emulator never issued") {
    const auto r =
        c.request("GET", path, {{"Authorization", "Bearer emu_0123456789abcdef0123456789abcdef"}});
    CHECK(r.status == 401);
    CHECK(r.header("WWW-Authenticate").value_or("").starts_with("Bearer"));
  }
  SECTION("another scheme") {
    CHECK(c.request("GET", path, {{"Authorization", "Basic dXNlcjpwYXNz"}}).status == 401);
  }
  SECTION("a write without a token changes nothing") {
    const std::string id = "11111111-2222-4333-8444-000000000401";
    const auto r = c.request("POST", api_target("accounts"), {{"Content-Type", "application/json"}},
                             R"({"accountid":")" + id + R"(","name":"x"})");
    CHECK(r.status == 401);
    CHECK(e.dumped_row("account", id).is_null());
    const auto log = e.log();
    REQUIRE(!log.empty());
    CHECK(log.back().find("status")->as_int() == 401);
    CHECK(log.back().find("committed")->as_bool() == false);
  }
}

TEST_CASE("expired tokens get 401 until a new token is fetched", "[http][auth]") {
  running_emulator e;
  auto client = e.client();
  REQUIRE(client.get("WhoAmI").status == 200);

  SECTION("through the admin API") {
    REQUIRE(e.admin("POST", "tokens/expire").status == 200);
  }
  SECTION("through the C++ API") {
    e.emu.expire_tokens();
  }
  const auto refused = client.get("WhoAmI");
  CHECK(refused.status == 401);
  CHECK(refused.header("WWW-Authenticate").value_or("").starts_with("Bearer"));
  auto fresh = e.client();
  CHECK(fresh.get("WhoAmI").status == 200);
  CHECK(client.get("WhoAmI").status == 401);  // the old token stays dead
}

TEST_CASE("tokens expire by themselves after their lifetime", "[http][auth]") {
  auto options = default_options();
  options.seeds.push_back(opencloser::testing::fixture("emulator/http/short_tokens_seed.json"));
  running_emulator e(options);
  auto c = e.connect();
  const auto reply = request_token(c, e.origin, e.credentials());
  REQUIRE(reply.status == 200);
  CHECK(reply.json().find("expires_in")->as_int() == 1);
  const auto token = reply.json().find("access_token")->as_string();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const auto expired =
      c.request("GET", api_target("WhoAmI"), {{"Authorization", "Bearer " + token}});
  CHECK(expired.status == 401);
  CHECK(expired.header("WWW-Authenticate").value_or("").starts_with("Bearer"));
}

TEST_CASE("with --no-auth the Web API answers without a token", "[http][auth]") {
  auto options = default_options();
  options.no_auth = true;
  running_emulator e(options);
  auto c = e.connect();
  const auto r = c.request("GET", api_target("acme_callqueues(" + queue_row + ")"),
                           {{"Accept", "application/json"}});
  REQUIRE(r.status == 200);
  CHECK(r.json().find("acme_callqueueid")->as_string() == queue_row);
  CHECK(e.log().back().find("client_id")->is_null());
}

TEST_CASE("every Web API response carries OData-Version, dop hint and a service request id",
          "[http][headers]") {
  running_emulator e;
  auto client = e.client();
  std::vector<http_reply> replies{
      client.get("acme_callqueues(" + queue_row + ")"),                     // 200
      client.get("acme_callqueues(0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0aff)"),  // 404
      client.get("acme_callqueues?$filter=acme_phone gt 'x'"),              // 400
      e.connect().request("GET", api_target("WhoAmI")),                     // 401
      client.post("accounts", json::object{{"name", "Header Check"}}),      // 204
  };
  REQUIRE(replies[0].status == 200);
  REQUIRE(replies[1].status == 404);
  REQUIRE(replies[2].status == 400);
  REQUIRE(replies[3].status == 401);
  REQUIRE(replies[4].status == 204);
  std::set<std::string> request_ids;
  for (const auto& r : replies) {
    INFO("status " << r.status);
    CHECK(r.header("OData-Version") == "4.0");
    CHECK(r.header("x-ms-dop-hint") == "8");  // demo_seed.json's dop_hint
    const auto id = r.header("x-ms-service-request-id");
    REQUIRE(id);
    CHECK(opencloser::is_guid(*id));
    request_ids.insert(*id);
    const bool success = r.status < 300;
    CHECK(r.header("x-ms-ratelimit-burst-remaining-xrm-requests").has_value() == success);
    if (!r.body.empty())
      CHECK(r.header("Content-Type") == "application/json; odata.metadata=minimal");
  }
  CHECK(request_ids.size() == replies.size());

  // The burst budget counts down by one per request.
  const auto first =
      std::stoll(*client.get("WhoAmI").header("x-ms-ratelimit-burst-remaining-xrm-requests"));
  const auto second =
      std::stoll(*client.get("WhoAmI").header("x-ms-ratelimit-burst-remaining-xrm-requests"));
  CHECK(second == first - 1);
  CHECK(first < 6000);
}

TEST_CASE("the dop hint follows --dop-hint and PUT /_emulator/config", "[http][headers]") {
  auto options = default_options();
  options.dop_hint = 2;
  running_emulator e(options);
  auto client = e.client();
  CHECK(client.get("WhoAmI").header("x-ms-dop-hint") == "2");
  REQUIRE(e.admin("PUT", "config", R"({"dop_hint": 3})").status == 200);
  CHECK(client.get("WhoAmI").header("x-ms-dop-hint") == "3");
}
