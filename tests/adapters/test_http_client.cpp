// The product's HTTP client against the emulator over real loopback sockets: keep-alive
// pooling, the in-flight limit, timeouts, dropped connections, refused URLs and callbacks that
// run exactly once, also when the client is destroyed with requests outstanding. No test
// asserts how fast anything is: timeouts are short against much longer injected latency.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "adapters/http/http_client.hpp"
#include "emulator/dataverse_emulator.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser;
using namespace std::chrono_literals;
namespace json = opencloser::json;

namespace {

/// An emulator on an ephemeral loopback port with the adapter seed; auth off, so requests
/// need no token (the token provider has its own tests).
struct running_emulator {
  emulator::dataverse_emulator emu;
  std::string origin;

  explicit running_emulator(std::int64_t latency_ms = 0) {
    emulator::emulator_options options;
    options.seeds = {opencloser::testing::fixture("adapters/oauth_seed.json")};
    options.no_auth = true;
    options.latency_ms = latency_ms;
    emu.start(options);
    origin = emu.origin();
  }
  ~running_emulator() { emu.stop(); }

  std::int64_t counter(std::string_view name) const {
    return emu.state().find("counters")->find(name)->as_int();
  }
  void add_fault(const std::string& rule) { emu.add_fault(json::parse(rule)); }
  /// Budget left on the one fault rule installed.
  std::int64_t fault_remaining() const {
    return emu.faults().as_array().at(0).find("remaining")->as_int();
  }
};

http_call call(std::string method, std::string url, std::chrono::milliseconds timeout = 20s) {
  http_call c;
  c.method = std::move(method);
  c.url = std::move(url);
  c.timeout = timeout;
  return c;
}

http_call who_am_i(const running_emulator& e, std::chrono::milliseconds timeout = 20s) {
  return call("GET", e.origin + "/api/data/v9.2/WhoAmI", timeout);
}

/// Counts callbacks per request and waits (generously; not a timing assertion) for them.
class completions {
 public:
  explicit completions(std::size_t n) : calls_(n, 0), results_(n) {}

  http_client::callback for_request(std::size_t index) {
    return [this, index](http_result result) {
      std::lock_guard guard(mutex_);
      ++calls_[index];
      results_[index] = std::move(result);
      order_.push_back(index);
      changed_.notify_all();
    };
  }
  void wait_all() {
    std::unique_lock lock(mutex_);
    const bool done =
        changed_.wait_for(lock, 60s, [this] { return order_.size() >= calls_.size(); });
    REQUIRE(done);
  }
  std::vector<int> calls() const {
    std::lock_guard guard(mutex_);
    return calls_;
  }
  std::vector<std::size_t> order() const {
    std::lock_guard guard(mutex_);
    return order_;
  }
  http_result result(std::size_t index) const {
    std::lock_guard guard(mutex_);
    return results_[index];
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<int> calls_;
  std::vector<http_result> results_;
  std::vector<std::size_t> order_;
};

bool dropped(transport_failure f) {
  return f == transport_failure::reset || f == transport_failure::eof;
}

}  // namespace

TEST_CASE("sequential requests share one keep-alive connection", "[http_client]") {
  running_emulator e;
  http_client client;
  for (int i = 0; i < 20; ++i) {
    const auto r = client.send(who_am_i(e));
    REQUIRE(r.failure == transport_failure::none);
    REQUIRE(r.status == 200);
    CHECK(r.ok());
    CHECK(r.header("odata-version") == "4.0");  // case-insensitive lookup
    CHECK(r.body.find("UserId") != std::string::npos);
  }
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("a response with Connection: close retires its connection", "[http_client]") {
  running_emulator e;
  http_client client;
  auto closing = who_am_i(e);
  closing.headers = {{"Connection", "close"}};
  const auto first = client.send(closing);
  REQUIRE(first.status == 200);
  CHECK(first.header("Connection") == "close");
  REQUIRE(client.send(who_am_i(e)).status == 200);
  REQUIRE(client.send(who_am_i(e)).status == 200);
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("headers are sent as given, no cookie is added", "[http_client]") {
  running_emulator e;
  http_client client;
  auto c = who_am_i(e);
  c.headers = {{"User-Agent", "opencloser/test"}, {"Accept", "application/json"}};
  REQUIRE(client.send(c).status == 200);
  const auto log = e.emu.requests().as_array();
  REQUIRE(log.size() == 1);
  const auto* headers = log[0].find("headers");
  REQUIRE(headers);
  bool user_agent = false, cookie = false;
  for (const auto& [name, value] : headers->as_object()) {
    if (name == "User-Agent" && value.as_string() == "opencloser/test") user_agent = true;
    if (name == "Cookie" || name == "cookie") cookie = true;
  }
  CHECK(user_agent);
  CHECK_FALSE(cookie);
}

TEST_CASE("no more than max_in_flight requests are in flight, the rest wait", "[http_client]") {
  running_emulator e(/*latency_ms=*/40);  // keeps requests in flight long enough to overlap
  http_client_options options;
  options.max_in_flight = 4;
  http_client client(options);
  constexpr std::size_t n = 50;
  completions done(n);
  for (std::size_t i = 0; i < n; ++i) client.submit(who_am_i(e), done.for_request(i));
  done.wait_all();
  for (std::size_t i = 0; i < n; ++i) {
    INFO(i);
    CHECK(done.result(i).status == 200);
  }
  for (const int count : done.calls()) CHECK(count == 1);
  const auto peak = e.counter("max_in_flight");
  CHECK(peak <= 4);
  CHECK(peak >= 2);  // the requests really overlapped
  CHECK(client.connections_opened() <= 4);
}

TEST_CASE("queued requests start in submission order", "[http_client]") {
  running_emulator e;
  http_client_options options;
  options.max_in_flight = 1;
  http_client client(options);
  constexpr std::size_t n = 10;
  completions done(n);
  for (std::size_t i = 0; i < n; ++i) client.submit(who_am_i(e), done.for_request(i));
  done.wait_all();
  const auto order = done.order();
  for (std::size_t i = 0; i < n; ++i) CHECK(order[i] == i);
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("no complete response within the timeout → timeout, the client keeps working",
          "[http_client]") {
  running_emulator e;
  e.add_fault(
      R"({"match": {"method": "GET", "path": "^WhoAmI$"}, "action": "latency", "latency_ms": 2000, "times": 1})");
  http_client client;
  const auto slow = client.send(who_am_i(e, 200ms));
  CHECK(slow.failure == transport_failure::timeout);
  CHECK(slow.status == 0);
  CHECK_FALSE(slow.ok());
  CHECK(transport_failure_name(slow.failure) == "timeout");
  const auto next = client.send(who_am_i(e));
  CHECK(next.status == 200);
}

TEST_CASE("a connection reset without an answer → reset or eof", "[http_client]") {
  running_emulator e;
  e.add_fault(R"({"match": {"method": "GET"}, "action": "reset", "times": 1})");
  http_client client;
  const auto r = client.send(who_am_i(e));
  INFO(transport_failure_name(r.failure));
  CHECK(dropped(r.failure));
  CHECK(r.status == 0);
  CHECK(e.fault_remaining() == 0);
}

TEST_CASE("a lost response (processed, then the connection closed) → eof", "[http_client]") {
  running_emulator e;
  e.add_fault(R"({"match": {"method": "GET"}, "action": "lost_response", "times": 1})");
  http_client client;
  const auto r = client.send(who_am_i(e));
  INFO(transport_failure_name(r.failure));
  CHECK(r.failure == transport_failure::eof);
}

TEST_CASE("a GET whose reused keep-alive connection was dropped is sent once more on a fresh one",
          "[http_client]") {
  running_emulator e;
  http_client client;
  REQUIRE(client.send(who_am_i(e)).status == 200);

  SECTION("one drop: the resend succeeds") {
    e.add_fault(R"({"match": {"method": "GET"}, "action": "reset", "times": 1})");
    const auto r = client.send(who_am_i(e));
    CHECK(r.status == 200);
    CHECK(e.fault_remaining() == 0);
    CHECK(client.connections_opened() == 2);
  }
  SECTION("two drops: only one resend, then the failure is reported") {
    e.add_fault(R"({"match": {"method": "GET"}, "action": "reset", "times": 3})");
    const auto r = client.send(who_am_i(e));
    INFO(transport_failure_name(r.failure));
    CHECK(dropped(r.failure));
    CHECK(e.fault_remaining() == 1);  // two GETs reached the server, not three
  }
}

TEST_CASE("a POST on a dropped keep-alive connection is never resent by the client",
          "[http_client]") {
  running_emulator e;
  http_client client;
  REQUIRE(client.send(who_am_i(e)).status == 200);
  e.add_fault(R"({"match": {"method": "POST"}, "action": "reset", "times": 2})");
  auto post = call("POST", e.origin + "/api/data/v9.2/accounts");
  post.headers = {{"Content-Type", "application/json; charset=utf-8"}};
  post.body = R"({"name": "never twice"})";
  const auto r = client.send(post);
  INFO(transport_failure_name(r.failure));
  CHECK(dropped(r.failure));
  CHECK(e.fault_remaining() == 1);  // exactly one POST was sent
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("nothing listening → connect, an unknown host → dns", "[http_client]") {
  http_client client;
  const auto refused = client.send(call("GET", "http://127.0.0.1:1/api/data/v9.2/WhoAmI"));
  CHECK(refused.failure == transport_failure::connect);
  CHECK(refused.status == 0);
  const auto unknown =
      client.send(call("GET", "https://opencloser-no-such-host.invalid/api/data/v9.2/WhoAmI"));
  CHECK(unknown.failure == transport_failure::dns);
}

TEST_CASE("plaintext to a non-loopback host and unusable URLs are refused without connecting",
          "[http_client]") {
  http_client client;
  for (const std::string url :
       {"http://example.com/api/data/v9.2/WhoAmI", "http://10.0.0.1/x", "ftp://localhost/x",
        "https://", "no-scheme.example.com/x", "https://user@example.com/x",
        "https://example.com:99999/x", "https://example.com:abc/x", "http://[::1/x"}) {
    INFO(url);
    const auto r = client.send(call("GET", url));
    CHECK(r.failure == transport_failure::invalid_url);
    CHECK(transport_failure_name(r.failure) == "invalid_url");
  }
  CHECK(client.connections_opened() == 0);
}

TEST_CASE("http:// is accepted for localhost by name", "[http_client]") {
  running_emulator e;
  http_client client;
  const auto r = client.send(
      call("GET", "http://localhost:" + std::to_string(e.emu.port()) + "/api/data/v9.2/WhoAmI"));
  CHECK(r.status == 200);
}

TEST_CASE("a response body over the limit → malformed", "[http_client]") {
  running_emulator e;
  http_client_options options;
  options.max_response_bytes = 10;
  http_client client(options);
  const auto r = client.send(who_am_i(e));
  INFO(r.status << " " << r.body);
  CHECK(r.failure == transport_failure::malformed);
}

TEST_CASE("HTTP error statuses are responses, not transport failures", "[http_client]") {
  running_emulator e;
  e.add_fault(
      R"({"match": {"method": "GET"}, "action": "status", "status": 503, "retry_after_s": 7, "times": 1})");
  http_client client;
  const auto r = client.send(who_am_i(e));
  CHECK(r.failure == transport_failure::none);
  CHECK(r.status == 503);
  CHECK_FALSE(r.ok());
  CHECK(r.header("retry-after") == "7");
  CHECK_FALSE(r.header("X-Not-There"));
  CHECK(client.send(who_am_i(e)).status == 200);  // the connection stayed usable
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("every callback runs exactly once, also when the client is destroyed first",
          "[http_client]") {
  running_emulator e;
  e.add_fault(
      R"({"match": {"method": "GET"}, "action": "latency", "latency_ms": 5000, "times": -1})");
  constexpr std::size_t n = 6;
  completions done(n);
  {
    http_client_options options;
    options.max_in_flight = 2;  // two in flight, four queued
    http_client client(options);
    for (std::size_t i = 0; i < n; ++i) client.submit(who_am_i(e), done.for_request(i));
  }
  // The destructor returned, so every callback has already run.
  const auto calls = done.calls();
  for (std::size_t i = 0; i < n; ++i) {
    INFO(i);
    CHECK(calls[i] == 1);
    CHECK(done.result(i).failure == transport_failure::cancelled);
  }
}

TEST_CASE("a callback that throws does not stop the client", "[http_client]") {
  running_emulator e;
  http_client client;
  client.submit(who_am_i(e), [](http_result) { throw std::runtime_error("callback bug"); });
  CHECK(client.send(who_am_i(e)).status == 200);
}
