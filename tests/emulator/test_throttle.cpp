#include "emulator/throttle.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "tests/unit/test_support.hpp"

using namespace opencloser::emulator;
using namespace std::chrono_literals;

namespace {

using time_point = std::chrono::steady_clock::time_point;

/// A fake clock: tests move time by hand, never sleep.
const time_point t0 = time_point{} + 1000s;

throttling_limits limits(std::int64_t requests, std::int64_t window_s, std::int64_t concurrency,
                         std::int64_t exec_ms) {
  return throttling_limits{requests, window_s, concurrency, exec_ms};
}

/// enter() immediately followed by leave(): a request that finished.
throttle_verdict one_request(throttle& t, std::string_view client, time_point now) {
  auto v = t.enter(client, now);
  t.leave(client);
  return v;
}

}  // namespace

TEST_CASE("the 21st request in 2 s is refused with the exact message and Retry-After 2") {
  throttle t(limits(20, 2, 0, 0));
  for (int i = 0; i < 20; ++i) REQUIRE(one_request(t, "", t0).allowed);
  const auto v = one_request(t, "", t0);
  CHECK_FALSE(v.allowed);
  CHECK(v.code == "0x80072322");
  CHECK(v.message == "Number of requests exceeded the limit of 20 over time window of 2 seconds.");
  CHECK(v.retry_after_s == 2);
  CHECK(t.throttled_total() == 1);
  // Refused requests are not counted: the oldest admitted one leaves at t0 + 2 s.
  CHECK_FALSE(one_request(t, "", t0 + 1999ms).allowed);
  CHECK(one_request(t, "", t0 + 2s).allowed);
  CHECK(t.throttled_total() == 2);
}

TEST_CASE("Retry-After is the whole seconds, rounded up, until the oldest request leaves") {
  throttle t(limits(3, 10, 0, 0));
  REQUIRE(one_request(t, "", t0).allowed);
  REQUIRE(one_request(t, "", t0 + 4s).allowed);
  REQUIRE(one_request(t, "", t0 + 5s).allowed);
  CHECK(one_request(t, "", t0 + 6500ms).retry_after_s == 4);  // 3.5 s → 4
  CHECK(one_request(t, "", t0 + 9999ms).retry_after_s == 1);  // 1 ms → 1, never 0
  REQUIRE(one_request(t, "", t0 + 10s).allowed);              // t0 left
  CHECK(one_request(t, "", t0 + 10s).retry_after_s == 4);     // t0+4s leaves at 14 s
}

TEST_CASE("a fixed Retry-After replaces the computed one, except for concurrency") {
  throttle t(limits(1, 300, 1, 0), 7);
  REQUIRE(one_request(t, "", t0).allowed);
  CHECK(one_request(t, "", t0 + 1s).retry_after_s == 7);
  REQUIRE(t.enter("x", t0).allowed);
  const auto v = t.enter("x", t0);
  CHECK(v.code == "0x80072326");
  CHECK(v.retry_after_s == 1);
  CHECK_THROWS_AS(throttle(limits(1, 1, 1, 1), 0), std::invalid_argument);
}

TEST_CASE("concurrency 4: the 5th concurrent request is refused until one leaves") {
  throttle t(limits(0, 300, 4, 0));
  for (int i = 0; i < 4; ++i) REQUIRE(t.enter("c", t0).allowed);
  const auto v = t.enter("c", t0);
  CHECK_FALSE(v.allowed);
  CHECK(v.code == "0x80072326");
  CHECK(v.retry_after_s == 1);
  CHECK(v.message == "Number of concurrent requests exceeded the limit of 4.");
  t.leave("c");  // the refused one
  CHECK_FALSE(t.enter("c", t0).allowed);
  t.leave("c");
  t.leave("c");  // an admitted one finishes
  CHECK(t.enter("c", t0).allowed);
  // High-water marks include the refused request.
  CHECK(t.max_in_flight() == 5);
  CHECK(t.max_in_flight_by_client() == std::map<std::string, std::int64_t>{{"c", 5}});
  CHECK(t.throttled_total() == 2);
}

TEST_CASE("clients are throttled separately, the global high-water mark adds them up") {
  throttle t(limits(2, 60, 2, 0));
  REQUIRE(t.enter("a", t0).allowed);
  REQUIRE(t.enter("a", t0).allowed);
  REQUIRE(t.enter("b", t0).allowed);
  CHECK_FALSE(t.enter("a", t0).allowed);
  CHECK(t.enter("b", t0).allowed);
  CHECK(t.max_in_flight() == 5);
  CHECK(t.max_in_flight_by_client() == std::map<std::string, std::int64_t>{{"a", 3}, {"b", 2}});
  for (const auto* c : {"a", "a", "a", "b", "b"}) t.leave(c);
  // Both used their 2 requests in the window; a third client still has its own.
  CHECK(t.enter("a", t0 + 1s).code == "0x80072322");
  t.leave("a");
  CHECK(one_request(t, "c", t0 + 1s).allowed);
  CHECK(t.remaining_in_window("c", t0 + 1s) == 1);
  CHECK(t.remaining_in_window("b", t0 + 1s) == 0);
  CHECK(t.remaining_in_window("unknown", t0 + 1s) == 2);
}

TEST_CASE("combined execution time above the limit refuses until enough leaves the window") {
  throttle t(limits(0, 10, 0, 1000));
  REQUIRE(one_request(t, "", t0).allowed);
  t.add_execution_time("", 600, t0);
  REQUIRE(one_request(t, "", t0 + 1s).allowed);
  t.add_execution_time("", 400, t0 + 1s);
  // Exactly at the limit is still allowed; above it is not.
  REQUIRE(one_request(t, "", t0 + 2s).allowed);
  t.add_execution_time("", 300, t0 + 3s);
  const auto v = one_request(t, "", t0 + 4s);
  CHECK_FALSE(v.allowed);
  CHECK(v.code == "0x80072321");
  CHECK(v.message ==
        "Combined execution time of incoming requests exceeded limit of 1000 milliseconds over "
        "time window of 10 seconds.");
  CHECK(v.retry_after_s == 6);  // 1300 ms: once the 600 ms of t0 leaves at t0 + 10 s
  CHECK_FALSE(one_request(t, "", t0 + 9999ms).allowed);
  CHECK(one_request(t, "", t0 + 10s).allowed);
}

TEST_CASE("the execution-time Retry-After waits for as many entries as the excess needs") {
  throttle t(limits(0, 10, 0, 100));
  t.add_execution_time("", 60, t0);
  t.add_execution_time("", 60, t0 + 2s);
  t.add_execution_time("", 60, t0 + 5s);  // 180: 80 over, the first two must leave
  CHECK(one_request(t, "", t0 + 6s).retry_after_s == 6);
}

TEST_CASE("limits of 0 switch their check off") {
  throttle t(limits(0, 0, 0, 0));
  for (int i = 0; i < 1000; ++i) REQUIRE(t.enter("", t0).allowed);
  t.add_execution_time("", 10'000'000, t0);
  CHECK(t.enter("", t0).allowed);
  CHECK(t.throttled_total() == 0);
  CHECK(t.remaining_in_window("", t0) == -1);
  CHECK(t.max_in_flight() == 1001);
  // window 0 switches the request count off even with a request limit.
  throttle w(limits(1, 0, 0, 0));
  CHECK(one_request(w, "", t0).allowed);
  CHECK(one_request(w, "", t0).allowed);
}

TEST_CASE("set_limits changes the limits at run time and keeps the recorded window") {
  throttle t(limits(0, 60, 0, 0));
  for (int i = 0; i < 5; ++i) REQUIRE(one_request(t, "", t0).allowed);
  t.set_limits(limits(3, 60, 0, 0));
  // Requests while the check was off were not recorded.
  for (int i = 0; i < 3; ++i) REQUIRE(one_request(t, "", t0).allowed);
  CHECK_FALSE(one_request(t, "", t0).allowed);
  t.set_limits(limits(4, 60, 0, 0));
  CHECK(one_request(t, "", t0).allowed);
  CHECK(t.remaining_in_window("", t0) == 0);
  t.set_limits(limits(10, 60, 0, 0));
  CHECK(t.remaining_in_window("", t0) == 6);
  CHECK(t.limits().requests == 10);
  CHECK_THROWS_AS(t.set_limits(limits(-1, 60, 0, 0)), std::invalid_argument);
  CHECK(t.limits().requests == 10);
}

TEST_CASE("remaining_in_window counts down and recovers as requests leave the window") {
  throttle t(limits(5, 2, 0, 0));
  CHECK(t.remaining_in_window("", t0) == 5);
  one_request(t, "", t0);
  one_request(t, "", t0 + 1s);
  CHECK(t.remaining_in_window("", t0 + 1s) == 3);
  CHECK(t.remaining_in_window("", t0 + 2s) == 4);
  CHECK(t.remaining_in_window("", t0 + 3s) == 5);
}

TEST_CASE("reset forgets windows, in-flight counts, high-water marks and counters") {
  throttle t(limits(1, 60, 1, 0));
  REQUIRE(one_request(t, "", t0).allowed);
  REQUIRE_FALSE(one_request(t, "", t0).allowed);
  t.reset();
  CHECK(t.throttled_total() == 0);
  CHECK(t.max_in_flight() == 0);
  CHECK(t.max_in_flight_by_client().empty());
  CHECK(one_request(t, "", t0).allowed);
  CHECK(t.limits().requests == 1);
}

TEST_CASE("an unmatched leave does not drive the in-flight count negative") {
  throttle t(limits(0, 60, 1, 0));
  t.leave("ghost");
  t.leave("");
  REQUIRE(t.enter("", t0).allowed);
  CHECK_FALSE(t.enter("", t0).allowed);
}

TEST_CASE("checks run in order: concurrency before request count") {
  throttle t(limits(1, 60, 1, 0));
  REQUIRE(t.enter("", t0).allowed);
  CHECK(t.enter("", t0).code == "0x80072326");
}
