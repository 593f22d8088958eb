// opencloser-bench — the drain benchmark harness of cli.md §10 (`make bench`). A harness,
// never a test: it measures, prints and writes results; it asserts nothing about speed.
//
// Each cell starts `opencloser emulator` as its own process on a freshly generated seed, runs
// `opencloser drain` as another (so the drain's peak RSS is its own, from wait4), and reads
// the figures from the drain report; cell (c) replays (b)'s request log with a raw keep-alive
// client. Results: bench/results/<name>.json and two SVG plots.

#include <sys/statvfs.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "bench/bench_cells.hpp"
#include "bench/bench_results.hpp"
#include "bench/bench_settings.hpp"
#include "bench/child_process.hpp"
#include "bench/machine_info.hpp"

#ifndef OPENCLOSER_EXECUTABLE
#define OPENCLOSER_EXECUTABLE ""
#endif
#ifndef OPENCLOSER_SOURCE_DIR
#define OPENCLOSER_SOURCE_DIR "."
#endif

namespace {

using namespace opencloser::bench;
namespace json = opencloser::json;
namespace fs = std::filesystem;

/// tmpfs when there is one with room: the drain writes ~7 artifact files per session, and
/// this machine's ext4 is slow at creating many files, which would measure the disk instead of
/// the drain. The filesystem used is recorded in the results.
fs::path default_work_dir() {
  const fs::path shm = "/dev/shm";
  struct statvfs s {};
  if (filesystem_type(shm) == "tmpfs" && ::statvfs(shm.c_str(), &s) == 0 &&
      static_cast<double>(s.f_bavail) * static_cast<double>(s.f_frsize) > 6e9 &&
      ::access(shm.c_str(), W_OK) == 0)
    return shm / ("opencloser-bench-" + std::to_string(::getpid()));
  return fs::temp_directory_path() / ("opencloser-bench-" + std::to_string(::getpid()));
}

std::string joined_argv(int argc, char** argv) {
  std::ostringstream s;
  for (int i = 0; i < argc; ++i) s << (i ? " " : "") << argv[i];
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  bench_settings s;
  s.opencloser = OPENCLOSER_EXECUTABLE;
  s.source_dir = OPENCLOSER_SOURCE_DIR;
  std::string cells = "a,b,c,d";
  std::string work_dir;
  int timeout_s = 3600;

  CLI::App app{
      "opencloser-bench: dry-run and write drains, the raw-HTTP limit and a throttled "
      "drain against the Dataverse emulator (cli.md §10); writes bench/results/"};
  app.add_option("--name", s.name, "results name (default <host>-<UTC date>)");
  app.add_option("--cells", cells, "cells to run, of a,b,c,d (c replays b's request log)")
      ->capture_default_str();
  app.add_option("--writeback-mode", s.writeback_mode, "write-back mode of the write drains")
      ->check(CLI::IsMember({"sequential", "batch"}))
      ->capture_default_str();
  app.add_option("--opencloser", s.opencloser, "the opencloser executable")->capture_default_str();
  app.add_option("--source-dir", s.source_dir, "repository root (config/, drains' cwd)")
      ->capture_default_str();
  app.add_option("--results-dir", s.results_dir,
                 "where results go (default <source>/bench/results)");
  app.add_option("--work-dir", work_dir,
                 "artifacts, state databases and request logs (default: a fresh directory on "
                 "/dev/shm when it is tmpfs, else the temp directory)");
  app.add_option("--rows-a", s.rows_a, "(a) dry-run queue sizes")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--rows-b", s.rows_b, "(b) write drain queue size")->capture_default_str();
  app.add_option("--concurrency", s.concurrency, "(b)/(c) concurrencies")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--rows-d", s.rows_d, "(d) throttled write drain queue size")
      ->capture_default_str();
  app.add_option("--throttle-requests", s.throttle_requests, "(d) requests per window")
      ->capture_default_str();
  app.add_option("--throttle-window-s", s.throttle_window_s, "(d) window in seconds")
      ->capture_default_str();
  app.add_option("--drain-timeout-s", timeout_s, "a drain still running after this is cancelled")
      ->capture_default_str();
  app.add_flag("--keep-work", s.keep_work, "keep each cell's artifacts and logs");
  app.add_flag("--quick", s.quick, "tiny sizes: a smoke run of the harness, not a measurement");
  std::string replot_file;
  app.add_option("--replot", replot_file,
                 "only re-render the SVG plots of this results file (measures nothing)");
  CLI11_PARSE(app, argc, argv);

  if (!replot_file.empty()) {
    try {
      replot(replot_file);
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "error:       " << e.what() << '\n';
      return 2;
    }
  }

  s.command_line = joined_argv(argc, argv);
  s.cells.clear();
  std::stringstream list(cells);
  for (std::string c; std::getline(list, c, ',');) {
    if (c != "a" && c != "b" && c != "c" && c != "d") {
      std::cerr << "error:       unknown cell '" << c << "' (cells are a, b, c, d)\n";
      return 2;
    }
    s.cells.push_back(c);
  }
  if (s.has_cell("c") && !s.has_cell("b")) {
    std::cerr << "error:       cell c replays the request log of cell b: add b to --cells\n";
    return 2;
  }
  if (s.quick) {
    // Explicit flags are overridden too: --quick is a smoke run, its figures mean nothing.
    s.rows_a = {200, 1000};
    s.rows_b = 300;
    s.concurrency = {1, 4};
    s.rows_d = 40;
    s.throttle_requests = 60;
    s.throttle_window_s = 3;
  }
  s.drain_timeout = std::chrono::seconds(timeout_s);
  if (s.opencloser.empty() || !fs::exists(s.opencloser)) {
    std::cerr << "error:       the opencloser executable '" << s.opencloser.string()
              << "' does not exist (--opencloser)\n";
    return 2;
  }
  s.opencloser = fs::absolute(s.opencloser);
  s.source_dir = fs::absolute(s.source_dir);
  if (s.results_dir.empty()) s.results_dir = s.source_dir / "bench" / "results";
  s.work_dir = work_dir.empty() ? default_work_dir() : fs::absolute(work_dir);
  fs::create_directories(s.work_dir);

  run_facts facts;
  facts.machine = describe_machine();
  facts.commit = describe_commit(s.source_dir);
  facts.opencloser_version = capture_output({s.opencloser.string(), "--version"});
  facts.work_filesystem = filesystem_type(s.work_dir);
  facts.started_at = utc_timestamp();
  if (s.name.empty())
    s.name = facts.machine.hostname + "-" + utc_date() + (s.quick ? "-quick" : "");

  std::printf("opencloser-bench %s: %s, %u cores, %.1f GiB; %s; commit %s%s\n", s.name.c_str(),
              facts.machine.cpu_model.c_str(), facts.machine.cores,
              static_cast<double>(facts.machine.memory_bytes) / (1024.0 * 1024 * 1024),
              facts.opencloser_version.c_str(), facts.commit.commit.c_str(),
              facts.commit.dirty ? " (with uncommitted changes)" : "");
  std::printf("work dir %s (%s); results in %s\n", s.work_dir.c_str(),
              facts.work_filesystem.c_str(), s.results_dir.c_str());
  std::fflush(stdout);

  json::array results;
  // Written after every cell, so an interrupted run still leaves what it measured.
  const auto save = [&] { write_results(s, results_document(s, facts, results)); };
  int status = 0;
  try {
    bench_cells run(s);
    if (s.has_cell("a"))
      for (const auto rows : s.rows_a) {
        results.push_back(run.run_a(rows));
        save();
      }
    if (s.has_cell("b"))
      for (const auto n : s.concurrency) {
        auto [b, c] = run.run_b(n, s.has_cell("c"));
        results.push_back(std::move(b));
        if (c) results.push_back(std::move(*c));
        save();
      }
    if (s.has_cell("d")) {
      results.push_back(run.run_d());
      save();
    }
    save();
  } catch (const std::exception& e) {
    std::cerr << "error:       " << e.what() << '\n';
    status = 2;
  }
  if (!s.keep_work && work_dir.empty()) {
    std::error_code ec;
    fs::remove_all(s.work_dir, ec);
  }

  const auto doc = results_document(s, facts, results);
  std::printf("\ntargets (reported whether met or not):\n");
  for (const auto& t : doc.find("targets")->as_array()) {
    const auto* v = t.find("value");
    char value[32] = "n/a";
    if (v->is_number()) std::snprintf(value, sizeof value, "%.3f", v->as_double());
    std::printf("  %-4s %-34s %10s %s %g\n", t.find("met")->as_bool() ? "met" : "MISS",
                t.find("target")->as_string().c_str(), value,
                t.find("comparison")->as_string().c_str(), t.find("threshold")->as_double());
  }
  std::printf("results: %s.json\n", (s.results_dir / s.name).c_str());
  return status;
}
