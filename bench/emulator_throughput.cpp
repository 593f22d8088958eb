// emulator_throughput — how many simple Web API requests per second the emulator serves over
// keep-alive loopback connections (issue 3: it must never be the bottleneck). A benchmark, not
// a test: it prints figures and asserts nothing about speed.
//
// It starts the emulator in-process on an ephemeral port (or targets --url), fetches a token,
// reads the ids of the queue rows, then drives N keep-alive connections, each sending
// alternately `GET <set>(<id>)?$select=…` and `PATCH <set>(<id>)` with `If-Match: *`, until the
// request budget is spent. Beast client code after Beast's http_client_async example.

#include <utility>  // before Asio (Boost 1.74 awaitable.hpp needs std::exchange)

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/json/json.hpp"
#include "emulator/dataverse_emulator.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct settings {
  std::string seed = "tests/fixtures/emulator/demo_seed.json";
  std::string table_set = "acme_callqueues";
  std::string primary_id = "acme_callqueueid";
  std::string patch_column = "acme_notes";
  int connections = 8;
  long requests = 200'000;
  int io_threads = 1;
  int client_threads = 1;
};

struct shared_run {
  std::string host;
  std::string port;
  std::string token;
  std::vector<std::string> ids;
  const settings* config = nullptr;
  std::atomic<long> remaining{0};
  std::atomic<long> done{0};
  std::atomic<long> failures{0};
};

/// One keep-alive connection issuing GET/PATCH pairs until the shared budget is spent.
class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(asio::io_context& ioc, shared_run& run, std::size_t offset)
      : stream_(ioc), run_(run), next_(offset) {}

  void start(const tcp::resolver::results_type& endpoints) {
    stream_.async_connect(endpoints,
                          [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                            if (ec) return self->fail("connect", ec);
                            self->stream_.socket().set_option(tcp::no_delay(true));
                            self->send_next();
                          });
  }

 private:
  void send_next() {
    if (run_.remaining.fetch_sub(1) <= 0) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    const auto& id = run_.ids[next_ % run_.ids.size()];
    const bool get = (next_++ % 2) == 0;
    req_ = {};
    req_.version(11);
    req_.keep_alive(true);
    req_.set(http::field::host, run_.host + ":" + run_.port);
    req_.set(http::field::authorization, "Bearer " + run_.token);
    req_.set(http::field::accept, "application/json");
    req_.set("OData-Version", "4.0");
    req_.set("OData-MaxVersion", "4.0");
    const auto target = "/api/data/v9.2/" + run_.config->table_set + "(" + id + ")";
    if (get) {
      req_.method(http::verb::get);
      req_.target(target + "?$select=" + run_.config->patch_column);
      req_.set(http::field::if_none_match, "null");
    } else {
      req_.method(http::verb::patch);
      req_.target(target);
      req_.set(http::field::if_match, "*");
      req_.set(http::field::content_type, "application/json; charset=utf-8");
      req_.body() =
          "{\"" + run_.config->patch_column + "\":\"bench " + std::to_string(next_) + "\"}";
    }
    req_.prepare_payload();
    http::async_write(
        stream_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return self->fail("write", ec);
          self->res_ = {};
          http::async_read(self->stream_, self->buffer_, self->res_,
                           [self](beast::error_code ec, std::size_t) { self->on_read(ec); });
        });
  }

  void on_read(beast::error_code ec) {
    if (ec) return fail("read", ec);
    const auto status = res_.result_int();
    if (status != 200 && status != 204) {
      if (run_.failures.fetch_add(1) < 3)
        std::cerr << "unexpected status " << status << ": " << res_.body() << '\n';
    }
    run_.done.fetch_add(1);
    send_next();
  }

  void fail(const char* what, beast::error_code ec) {
    run_.failures.fetch_add(1);
    std::cerr << what << ": " << ec.message() << '\n';
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  shared_run& run_;
  std::size_t next_;
};

/// One synchronous request on a fresh connection (set-up only: token, ids).
http::response<http::string_body> once(const shared_run& run,
                                       http::request<http::string_body> req) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::resolver(ioc).resolve(run.host, run.port));
  req.set(http::field::host, run.host + ":" + run.port);
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  http::read(stream, buffer, parser);
  return parser.release();
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{
      "emulator_throughput: keep-alive GET/PATCH requests per second against the emulator"};
  app.add_option("--seed", s.seed, "emulator seed")->capture_default_str();
  app.add_option("--set", s.table_set, "entity set to read and patch")->capture_default_str();
  app.add_option("--primary-id", s.primary_id, "its primary id column")->capture_default_str();
  app.add_option("--column", s.patch_column, "string column the PATCH writes")
      ->capture_default_str();
  app.add_option("--connections", s.connections, "keep-alive connections")->capture_default_str();
  app.add_option("--requests", s.requests, "requests in total")->capture_default_str();
  app.add_option("--io-threads", s.io_threads, "emulator server threads")->capture_default_str();
  app.add_option("--client-threads", s.client_threads, "client threads")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  using namespace opencloser;
  emulator::dataverse_emulator emu;
  emulator::emulator_options options;
  options.seeds = {s.seed};
  options.io_threads = s.io_threads;
  options.throttle_requests = 0;  // measuring the server, not its service protection
  options.throttle_concurrency = 0;
  options.throttle_exec_ms = 0;
  options.request_log_capacity = 1;  // the in-memory log would otherwise grow with the run
  const auto port = emu.start(options);

  shared_run run;
  run.host = "127.0.0.1";
  run.port = std::to_string(port);
  run.config = &s;
  {
    const auto& seed = emu.seed();
    http::request<http::string_body> req{http::verb::post,
                                         "/" + seed.tenant_id + "/oauth2/v2.0/token", 11};
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.body() = "grant_type=client_credentials&client_id=" + seed.clients.front().client_id +
                 "&client_secret=" + seed.clients.front().client_secret +
                 "&scope=http%3A%2F%2F127.0.0.1%3A" + run.port + "%2F.default";
    const auto res = once(run, req);
    const auto answer = json::parse(res.body());
    const auto* token = answer.find("access_token");
    if (!token) {
      std::cerr << "token request failed: " << res.body() << '\n';
      return 2;
    }
    run.token = token->as_string();
  }
  {
    http::request<http::string_body> req{
        http::verb::get, "/api/data/v9.2/" + s.table_set + "?$select=" + s.primary_id, 11};
    req.set(http::field::authorization, "Bearer " + run.token);
    const auto res = once(run, req);
    const auto page = json::parse(res.body());
    const auto* rows = page.find("value");
    if (!rows) {
      std::cerr << "reading " << s.table_set << " failed: " << res.body() << '\n';
      return 2;
    }
    for (const auto& row : rows->as_array())
      if (const auto* id = row.find(s.primary_id)) run.ids.push_back(id->as_string());
  }
  if (run.ids.empty()) {
    std::cerr << "no rows in " << s.table_set << '\n';
    return 2;
  }

  run.remaining = s.requests;
  asio::io_context ioc;
  const auto endpoints = tcp::resolver(ioc).resolve(run.host, run.port);
  const auto started = std::chrono::steady_clock::now();
  for (int c = 0; c < s.connections; ++c)
    std::make_shared<connection>(ioc, run, static_cast<std::size_t>(c) * 7)->start(endpoints);
  std::vector<std::thread> threads;
  for (int t = 1; t < s.client_threads; ++t) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  emu.stop();

  const long done = run.done.load();
  std::printf(
      "emulator_throughput: %ld requests (GET/PATCH alternating) over %d keep-alive connections, "
      "%d server thread(s), %d client thread(s)\n",
      done, s.connections, s.io_threads, s.client_threads);
  std::printf(
      "  wall time       %.3f s\n  throughput      %.0f requests/s\n  failures        %ld\n",
      seconds, done / seconds, run.failures.load());
  return run.failures.load() == 0 ? 0 : 1;
}
