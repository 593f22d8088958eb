// The retry policy (dataverse.md §5) driven like an actor drives it: feed each attempt's
// result, record the waits it asks for, stop when it succeeds or gives up. Covers every
// "Retry unit cases" bullet of conformance.md §9.

#include <functional>
#include <vector>

#include "actors/dataverse_emitter/retry_policy.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser;

namespace {

http_result status(int code, std::string retry_after = "") {
  http_result r;
  r.status = code;
  if (!retry_after.empty()) r.headers.emplace_back("Retry-After", retry_after);
  return r;
}

http_result failed(transport_failure f) {
  http_result r;
  r.failure = f;
  return r;
}

struct run {
  int calls = 0;
  std::vector<double> sleeps;
  int token_refreshes = 0;
  retry_decision final;
  std::int64_t retries = 0;
  std::int64_t throttled = 0;
};

/// Sends until the policy stops; `respond(n)` is the n-th (0-based) attempt's result.
run drive(const std::function<http_result(int)>& respond, retry_settings settings = {}) {
  retry_state state(settings);
  run out;
  REQUIRE(state.decision().action == retry_action::send_now);
  while (!state.finished()) {
    REQUIRE(out.calls < 100);
    const auto d = state.on_result(respond(out.calls++));
    if (d.action == retry_action::wait_then_resend) out.sleeps.push_back(d.wait_seconds);
    if (d.action == retry_action::refresh_token_then_resend) ++out.token_refreshes;
  }
  out.final = state.decision();
  out.retries = state.retries();
  out.throttled = state.throttled();
  CHECK(state.attempts() == out.calls);
  return out;
}

std::function<http_result(int)> sequence(std::vector<http_result> results) {
  return [results](int n) { return results.at(static_cast<std::size_t>(n)); };
}

std::function<http_result(int)> forever(http_result r) {
  return [r](int) { return r; };
}

const retry_decision succeeded{retry_action::succeeded, 0, give_up_reason::none};
const retry_decision permanent{retry_action::give_up, 0, give_up_reason::permanent};
const retry_decision exhausted{retry_action::give_up, 0, give_up_reason::transient_exhausted};

}  // namespace

TEST_CASE("retry: [503, 503, 200] → 3 calls, sleeps [1, 2]", "[retry]") {
  const auto r = drive(sequence({status(503), status(503), status(200)}));
  CHECK(r.calls == 3);
  CHECK(r.sleeps == std::vector<double>{1, 2});
  CHECK(r.final == succeeded);
  CHECK(r.retries == 2);
}

TEST_CASE("retry: [404] and [501] → 1 call, permanent", "[retry]") {
  for (const int code : {404, 501, 505, 400, 403, 409, 412, 302}) {
    INFO(code);
    const auto r = drive(sequence({status(code)}));
    CHECK(r.calls == 1);
    CHECK(r.sleeps.empty());
    CHECK(r.final == permanent);
  }
}

TEST_CASE("retry: 503 forever → 4 calls, sleeps [1, 2, 4], transient exhausted", "[retry]") {
  const auto r = drive(forever(status(503)));
  CHECK(r.calls == 4);
  CHECK(r.sleeps == std::vector<double>{1, 2, 4});
  CHECK(r.final == exhausted);
}

TEST_CASE("retry: 503 with Retry-After: 999 → sleep capped at 30", "[retry]") {
  const auto r = drive(sequence({status(503, "999"), status(200)}));
  CHECK(r.sleeps == std::vector<double>{30});
  CHECK(r.final == succeeded);
}

TEST_CASE("retry: Retry-After delta-seconds on a transient result, decimals included", "[retry]") {
  CHECK(drive(sequence({status(502, "2.5"), status(200)})).sleeps == std::vector<double>{2.5});
  CHECK(drive(sequence({status(408, "0"), status(200)})).sleeps == std::vector<double>{0});
}

TEST_CASE("retry: 429 with Retry-After: 999 → no sleep, transient exhausted", "[retry]") {
  const auto r = drive(forever(status(429, "999")));
  CHECK(r.calls == 1);
  CHECK(r.sleeps.empty());
  CHECK(r.final == exhausted);
}

TEST_CASE("retry: 429 with Retry-After: 5 then 200 → one 5 s sleep, retry count 0", "[retry]") {
  const auto r = drive(sequence({status(429, "5"), status(200)}));
  CHECK(r.calls == 2);
  CHECK(r.sleeps == std::vector<double>{5});
  CHECK(r.retries == 0);
  CHECK(r.throttled == 1);
  CHECK(r.final == succeeded);
}

TEST_CASE(
    "retry: 429 with Retry-After: 60 forever → 6 calls, sleeps [60 × 5], exhausted (300 s budget)",
    "[retry]") {
  const auto r = drive(forever(status(429, "60")));
  CHECK(r.calls == 6);
  CHECK(r.sleeps == std::vector<double>(5, 60));
  CHECK(r.final == exhausted);
  CHECK(r.retries == 0);
}

TEST_CASE("retry: 429 without a usable Retry-After → sleep 5", "[retry]") {
  CHECK(drive(sequence({status(429), status(200)})).sleeps == std::vector<double>{5});
  CHECK(drive(sequence({status(429, "Wed, 21 Oct 2015 07:28:00 GMT"), status(200)})).sleeps ==
        std::vector<double>{5});
  CHECK(drive(sequence({status(429, "-3"), status(200)})).sleeps == std::vector<double>{5});
}

TEST_CASE("retry: a 429 does not consume max_retries", "[retry]") {
  const auto r =
      drive(sequence({status(429, "1"), status(503), status(503), status(503), status(503)}));
  CHECK(r.calls == 5);
  CHECK(r.sleeps == std::vector<double>{1, 1, 2, 4});
  CHECK(r.final == exhausted);
}

TEST_CASE("retry: the throttle budget is cumulative, a wait equal to what remains is granted",
          "[retry]") {
  retry_settings settings;
  settings.max_throttle_wait_seconds = 10;
  const auto r =
      drive(sequence({status(429, "4"), status(429, "6"), status(429, "0.5")}), settings);
  CHECK(r.calls == 3);
  CHECK(r.sleeps == std::vector<double>{4, 6});
  CHECK(r.final == exhausted);
}

TEST_CASE("retry: transport failures", "[retry]") {
  SECTION("connection reset → retried") {
    const auto r = drive(sequence({failed(transport_failure::reset), status(200)}));
    CHECK(r.calls == 2);
    CHECK(r.sleeps == std::vector<double>{1});
    CHECK(r.final == succeeded);
  }
  SECTION("transient kinds") {
    for (const auto f :
         {transport_failure::dns, transport_failure::connect, transport_failure::timeout,
          transport_failure::eof, transport_failure::tls, transport_failure::cancelled}) {
      INFO(transport_failure_name(f));
      CHECK(classify(failed(f)) == outcome_class::transient);
      CHECK(drive(forever(failed(f))).final == exhausted);
    }
  }
  SECTION("permanent kinds: certificate, malformed, refused URL") {
    for (const auto f : {transport_failure::tls_certificate, transport_failure::malformed,
                         transport_failure::invalid_url}) {
      INFO(transport_failure_name(f));
      const auto r = drive(forever(failed(f)));
      CHECK(r.calls == 1);
      CHECK(r.final == permanent);
    }
  }
}

TEST_CASE("retry: backoff [] → sleep 0, backoff [1.5] → [1.5, 1.5, 1.5]", "[retry]") {
  retry_settings none;
  none.backoff_seconds = {};
  CHECK(drive(forever(status(503)), none).sleeps == std::vector<double>{0, 0, 0});
  retry_settings one;
  one.backoff_seconds = {1.5};
  const auto r = drive(forever(status(503)), one);
  CHECK(r.sleeps == std::vector<double>{1.5, 1.5, 1.5});
  CHECK(r.calls == 4);
}

TEST_CASE("retry: an HTTP-date Retry-After on 503 → backoff used", "[retry]") {
  const auto r = drive(forever(status(503, "Wed, 21 Oct 2015 07:28:00 GMT")));
  CHECK(r.sleeps == std::vector<double>{1, 2, 4});
}

TEST_CASE("retry: max_retries 0 → one attempt only", "[retry]") {
  retry_settings settings;
  settings.max_retries = 0;
  const auto r = drive(forever(status(500)), settings);
  CHECK(r.calls == 1);
  CHECK(r.final == exhausted);
}

TEST_CASE("retry: 401 then 200 → one token refetch, no retry counted, 401 twice → permanent",
          "[retry]") {
  const auto once = drive(sequence({status(401), status(200)}));
  CHECK(once.calls == 2);
  CHECK(once.token_refreshes == 1);
  CHECK(once.retries == 0);
  CHECK(once.sleeps.empty());
  CHECK(once.final == succeeded);

  const auto twice = drive(sequence({status(401), status(401)}));
  CHECK(twice.calls == 2);
  CHECK(twice.token_refreshes == 1);
  CHECK(twice.final == permanent);

  // The second 401 ends the request even with a transient failure in between.
  const auto later = drive(sequence({status(401), status(503), status(401)}));
  CHECK(later.calls == 3);
  CHECK(later.final == permanent);
}

TEST_CASE("retry: a failed token acquisition is an outcome inside the same loop", "[retry]") {
  retry_state state{retry_settings{}};
  CHECK(state.on_outcome(outcome_class::transient, std::nullopt) ==
        retry_decision{retry_action::wait_then_resend, 1, give_up_reason::none});
  CHECK(state.on_outcome(outcome_class::throttled, 7.0) ==
        retry_decision{retry_action::wait_then_resend, 7, give_up_reason::none});
  CHECK(state.retries() == 1);
  CHECK(state.throttle_wait_seconds() == 7);
  CHECK(state.on_outcome(outcome_class::permanent, std::nullopt) == permanent);
}

TEST_CASE("retry: feeding a finished request is a programming error", "[retry]") {
  retry_state state{retry_settings{}};
  state.on_result(status(204));
  CHECK(state.finished());
  CHECK_THROWS_AS(state.on_result(status(200)), std::logic_error);
  CHECK_THROWS_AS(state.on_result(status(401)), std::logic_error);
}

TEST_CASE("retry: status classes", "[retry]") {
  CHECK(classify_status(200) == outcome_class::success);
  CHECK(classify_status(204) == outcome_class::success);
  CHECK(classify_status(429) == outcome_class::throttled);
  CHECK(classify_status(408) == outcome_class::transient);
  for (const int code : {500, 502, 503, 504, 599})
    CHECK(classify_status(code) == outcome_class::transient);
  for (const int code : {501, 505, 400, 401, 404, 412, 304, 600})
    CHECK(classify_status(code) == outcome_class::permanent);
}

TEST_CASE("retry: Retry-After parsing accepts delta-seconds only", "[retry]") {
  CHECK(parse_retry_after("5") == 5.0);
  CHECK(parse_retry_after(" 7 ") == 7.0);
  CHECK(parse_retry_after("1.5") == 1.5);
  CHECK(parse_retry_after("0") == 0.0);
  for (const char* bad : {"", " ", "-1", "+1", "1e3", "inf", "nan", "1.", ".5", "5s", "1,5",
                          "Wed, 21 Oct 2015 07:28:00 GMT"}) {
    INFO(bad);
    CHECK_FALSE(parse_retry_after(bad));
  }
  http_result r = status(503);
  r.headers.emplace_back("retry-after", "3");
  CHECK(retry_after_of(r) == 3.0);  // header names compare case-insensitively
}
