#include "bench/bench_cells.hpp"

#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <stdexcept>
#include <string_view>

#include "adapters/dataverse/odata_encoding.hpp"
#include "bench/bench_seed.hpp"
#include "bench/cell_figures.hpp"
#include "bench/drain_process.hpp"
#include "bench/emulator_process.hpp"
#include "bench/machine_info.hpp"
#include "bench/raw_replay.hpp"
#include "bench/request_log_reader.hpp"

namespace opencloser::bench {

namespace {

/// GET /_emulator/state's counters (emulator.md §7); null when unreadable.
json::value emulator_counters(const emulator_process& emu) {
  try {
    const auto res = fetch(emu.host(), emu.port(), "GET", "/_emulator/state");
    if (res.status != 200) return {};
    return at(json::parse(res.body), {"counters"});
  } catch (const std::exception&) {
    return {};
  }
}

/// A bearer token from the emulator's token endpoint (emulator.md §1).
std::string fetch_token(const emulator_process& emu) {
  const auto& env = emu.env();
  const auto body = "grant_type=client_credentials&client_id=" +
                    dataverse::percent_encode(env.at("DATAVERSE_CLIENT_ID")) + "&client_secret=" +
                    dataverse::percent_encode(std::string(bench_client_secret)) +
                    "&scope=" + dataverse::percent_encode(emu.origin() + "/.default");
  const auto res = fetch(emu.host(), emu.port(), "POST",
                         "/" + env.at("DATAVERSE_TENANT_ID") + "/oauth2/v2.0/token",
                         {{"Content-Type", "application/x-www-form-urlencoded"}}, body);
  const auto answer = json::parse(res.body);
  const auto* token = answer.find("access_token");
  if (res.status != 200 || !token || !token->is_string())
    throw std::runtime_error("token request failed (" + std::to_string(res.status) + ")");
  return token->as_string();
}

json::value load_json(double before) {
  json::value v;
  v.set("before", before);
  v.set("after", load_average_1m());
  return v;
}

double cpu_seconds_self() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void announce(const std::string& what) {
  std::printf("%s  %s\n", utc_timestamp().c_str(), what.c_str());
  std::fflush(stdout);
}

}  // namespace

std::filesystem::path bench_cells::seed_for(std::int64_t rows) {
  if (auto it = seeds_.find(rows); it != seeds_.end()) return it->second;
  std::filesystem::create_directories(settings_.work_dir / "seeds");
  const auto path = settings_.work_dir / "seeds" / ("seed-" + std::to_string(rows) + ".json");
  write_bench_seed(settings_.source_dir / "config" / "emulator-seed.json", rows, path);
  return seeds_[rows] = path;
}

std::filesystem::path bench_cells::fresh_dir(const std::string& name) const {
  const auto dir = settings_.work_dir / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void bench_cells::discard(const std::filesystem::path& dir) const {
  if (settings_.keep_work) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

emulator_launch bench_cells::emulator_for(std::int64_t rows, const std::filesystem::path& dir) {
  emulator_launch el;
  el.opencloser = settings_.opencloser;
  el.seed = seed_for(rows);
  el.dir = dir;
  return el;
}

drain_launch bench_cells::drain_for(const emulator_process& emu, const std::filesystem::path& dir,
                                    bool write, std::optional<int> concurrency) const {
  drain_launch dl;
  dl.opencloser = settings_.opencloser;
  dl.source_dir = settings_.source_dir;
  dl.dir = dir;
  dl.emulator_env = emu.env();
  dl.write = write;
  dl.concurrency = concurrency;
  dl.writeback_mode = settings_.writeback_mode;
  dl.timeout = settings_.drain_timeout;
  return dl;
}

json::value bench_cells::run_a(std::int64_t rows) {
  const std::string id = "a-" + std::to_string(rows);
  announce("cell " + id + ": dry-run drain of " + std::to_string(rows) + " rows");
  const auto dir = fresh_dir(id);
  emulator_process emu(emulator_for(rows, dir));
  const double load_before = load_average_1m();
  const auto drain = run_drain(drain_for(emu, dir, false));

  json::value cell;
  cell.set("cell", "a");
  cell.set("id", id);
  cell.set("rows", rows);
  cell.set("mode", "dry-run");
  add_drain_figures(cell, drain);
  const double processed = number(drain.report, {"totals", "processed"});
  cell.set("sessions_per_second_wall",
           figure(drain.usage.wall_s > 0 ? processed / drain.usage.wall_s : std::nan("")));
  cell.set("load_average_1m", load_json(load_before));
  cell.set("emulator_process", usage_json(emu.stop()));
  print_drain_line(id, cell);
  discard(dir);
  return cell;
}

std::pair<json::value, std::optional<json::value>> bench_cells::run_b(int concurrency,
                                                                      bool with_c) {
  const std::string id = "b-c" + std::to_string(concurrency);
  announce("cell " + id + ": write drain of " + std::to_string(settings_.rows_b) +
           " rows at concurrency " + std::to_string(concurrency));
  const auto dir = fresh_dir(id);
  const auto request_log = dir / "requests.jsonl";
  json::value cell;
  {
    auto el = emulator_for(settings_.rows_b, dir);
    el.request_log = request_log;
    emulator_process emu(el);
    const double load_before = load_average_1m();
    const auto drain = run_drain(drain_for(emu, dir, true, concurrency));
    cell.set("cell", "b");
    cell.set("id", id);
    cell.set("rows", settings_.rows_b);
    cell.set("concurrency", concurrency);
    cell.set("writeback_mode", settings_.writeback_mode);
    add_drain_figures(cell, drain);
    cell.set("load_average_1m", load_json(load_before));
    cell.set("emulator_counters", emulator_counters(emu));
    // Stopping the emulator flushes and closes its request log for (c).
    cell.set("emulator_process", usage_json(emu.stop()));
  }
  print_drain_line(id, cell);
  std::optional<json::value> replay;
  if (with_c) replay = replay_cell(concurrency, dir, request_log, cell);
  discard(dir);
  return {std::move(cell), std::move(replay)};
}

json::value bench_cells::replay_cell(int concurrency, const std::filesystem::path& dir,
                                     const std::filesystem::path& request_log,
                                     const json::value& b) {
  const std::string id = "c-c" + std::to_string(concurrency);
  announce("cell " + id + ": raw-HTTP replay of " + b.find("id")->as_string() +
           "'s request log over " + std::to_string(concurrency) + " keep-alive connection(s)");
  // Reseeded: a new emulator process on the same seed, logging its requests as (b)'s did, so
  // it does the same work per request.
  auto el = emulator_for(settings_.rows_b, dir);
  el.request_log = dir / "replay-requests.jsonl";
  el.name = "replay-emulator";
  emulator_process emu(el);
  replay_rewrite rewrite;
  rewrite.new_origin = emu.origin();
  const auto recorded = read_request_log(request_log, rewrite);
  const auto token = fetch_token(emu);
  const double load_before = load_average_1m();
  const double cpu_before = cpu_seconds_self();
  const auto result = replay(emu.host(), emu.port(), token, recorded.requests, concurrency);
  const double client_cpu = cpu_seconds_self() - cpu_before;

  json::value cell;
  cell.set("cell", "c");
  cell.set("id", id);
  cell.set("replays", b.find("id")->as_string());
  cell.set("concurrency", concurrency);
  cell.set("requests", result.requests);
  cell.set("transport_failures", result.transport_failures);
  cell.set("seconds", result.seconds);
  cell.set("requests_per_second", result.requests_per_second);
  const double b_rps = number(b, {"requests_per_second"});
  const double efficiency =
      result.requests_per_second > 0 ? b_rps / result.requests_per_second : std::nan("");
  cell.set("efficiency", figure(efficiency));
  json::value statuses = json::object{};
  for (const auto& [status, count] : result.statuses) statuses.set(std::to_string(status), count);
  cell.set("statuses", std::move(statuses));
  json::value recorded_statuses = json::object{};
  for (const auto& [status, count] : recorded.recorded_statuses)
    recorded_statuses.set(std::to_string(status), count);
  cell.set("recorded_statuses", std::move(recorded_statuses));
  cell.set("recorded_token_requests_skipped", recorded.token_requests);
  cell.set("recorded_batch_operations_skipped", recorded.batch_operations);
  cell.set("requests_held_for_their_create", recorded.ordered_after_create);
  json::value client;
  client.set("cpu_s", client_cpu);
  client.set("cpu_cores_busy", result.seconds > 0 ? client_cpu / result.seconds : 0.0);
  cell.set("client_process", std::move(client));
  cell.set("load_average_1m", load_json(load_before));
  cell.set("emulator_counters", emulator_counters(emu));
  cell.set("emulator_process", usage_json(emu.stop()));
  std::printf(
      "  %-8s %lld requests in %.2f s  %9.1f requests/s  efficiency of %s: %.3f  "
      "(transport failures %lld)\n",
      id.c_str(), static_cast<long long>(result.requests), result.seconds,
      result.requests_per_second, b.find("id")->as_string().c_str(), efficiency,
      static_cast<long long>(result.transport_failures));
  std::fflush(stdout);
  return cell;
}

json::value bench_cells::run_d() {
  const std::string id = "d-" + std::to_string(settings_.rows_d);
  announce("cell " + id + ": write drain of " + std::to_string(settings_.rows_d) +
           " rows against a budget of " + std::to_string(settings_.throttle_requests) +
           " requests per " + std::to_string(settings_.throttle_window_s) + " s");
  const auto dir = fresh_dir(id);
  auto el = emulator_for(settings_.rows_d, dir);
  el.throttle_requests = settings_.throttle_requests;
  el.throttle_window_s = settings_.throttle_window_s;
  emulator_process emu(el);
  const double load_before = load_average_1m();
  const auto drain = run_drain(drain_for(emu, dir, true));

  json::value cell;
  cell.set("cell", "d");
  cell.set("id", id);
  cell.set("rows", settings_.rows_d);
  cell.set("writeback_mode", settings_.writeback_mode);
  json::value budget;
  budget.set("requests", settings_.throttle_requests);
  budget.set("window_s", settings_.throttle_window_s);
  cell.set("throttle", std::move(budget));
  add_drain_figures(cell, drain);
  const auto& r = drain.report;
  const double permitted = static_cast<double>(settings_.throttle_requests) /
                           static_cast<double>(settings_.throttle_window_s);
  // Served requests only: a 429 consumes no budget and does no work.
  const double served = number(r, {"http", "requests"}) - number(r, {"http", "throttled"});
  const double seconds = number(r, {"throughput", "duration_ms"}) / 1000.0;
  const double achieved = seconds > 0 ? served / seconds : std::nan("");
  cell.set("permitted_requests_per_second", permitted);
  cell.set("served_requests", figure(served));
  cell.set("achieved_requests_per_second", figure(achieved));
  cell.set("achieved_over_permitted", figure(achieved / permitted));
  cell.set("throttled_responses", at(r, {"http", "throttled"}));
  cell.set("failed_sessions", at(r, {"totals", "failed"}));
  cell.set("resume_needed_sessions", at(r, {"totals", "resume_needed"}));
  cell.set("load_average_1m", load_json(load_before));
  cell.set("emulator_counters", emulator_counters(emu));
  cell.set("emulator_process", usage_json(emu.stop()));
  print_drain_line(id, cell);
  std::printf(
      "  %-8s served %.0f requests in %.1f s: %.2f requests/s of %.2f permitted (%.3f), "
      "429s %s, failed sessions %s\n",
      id.c_str(), served, seconds, achieved, permitted, achieved / permitted,
      json::write_compact(at(r, {"http", "throttled"})).c_str(),
      json::write_compact(at(r, {"totals", "failed"})).c_str());
  std::fflush(stdout);
  discard(dir);
  return cell;
}

}  // namespace opencloser::bench
