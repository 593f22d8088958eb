#include "cli/drain_command.hpp"

#include <unistd.h>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "actors/common/ids.hpp"
#include "actors/drain/drain_coordinator_actor.hpp"
#include "actors/drain/progress_line.hpp"
#include "actors/queue_loader/queue_loader_actor.hpp"
#include "adapters/artifacts/drain_report.hpp"
#include "adapters/fixtures/fixture_plan.hpp"
#include "adapters/process/interrupts.hpp"
#include "adapters/state/state_journal.hpp"
#include "adapters/timezone/os_zone_database.hpp"
#include "cli/drain_control.hpp"
#include "cli/output.hpp"

namespace opencloser::cli {

namespace {

/// The fixture plan the flags describe (cli.md §5, fixtures.md §4); validated in full.
std::shared_ptr<const fixture_plan> plan_of(const drain_options& o) {
  try {
    fixture_plan plan;
    if (!o.fixture_plan.empty()) {
      plan = load_fixture_plan(o.fixture_plan);
      if (!o.scenario_mix.empty()) replace_mix(plan, parse_scenario_mix(o.scenario_mix));
    } else if (!o.scenario_mix.empty()) {
      plan = plan_from_mix(parse_scenario_mix(o.scenario_mix), o.fixtures_dir);
    } else {
      throw usage_error("provide --fixture-plan or --scenario-mix");
    }
    if (o.mix_seed) plan.seed = *o.mix_seed;
    return std::make_shared<const fixture_plan>(std::move(plan));
  } catch (const usage_error&) {
    throw;
  } catch (const std::exception& e) {
    throw usage_error(e.what());
  }
}

std::int64_t at_least_one(const char* flag, std::int64_t value) {
  if (value < 1) throw usage_error(std::string(flag) + " must be at least 1");
  return value;
}

progress_snapshot progress_of(const drain_snapshot& s) {
  progress_snapshot p;
  const auto& c = s.counts;
  p.totals = {c.seen,
              c.processed,
              c.deferred,
              c.not_started,
              c.completed,
              c.blocked_eligibility,
              c.blocked_conflict,
              c.blocked_other,
              c.resume_needed,
              c.failed,
              c.no_callable_item};
  p.pages_remain = s.pages_remain;
  p.in_flight = s.in_flight;
  p.target = s.target;
  p.throttled = s.throttled;
  p.elapsed_ms = s.elapsed_ms;
  return p;
}

/// Shows progress on stderr (a bar on a TTY, a plain line every 10 s otherwise) and turns the
/// first SIGINT/SIGTERM into `cancel` (cli.md §1; a second one exits 130 in the handler).
class progress_reporter {
 public:
  progress_reporter(caf::actor_system& sys, drain_coordinator_actor drain, bool show,
                    const std::atomic<bool>& interrupted)
      : thread_([this, &sys, drain, show, &interrupted] { run(sys, drain, show, interrupted); }) {}
  ~progress_reporter() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void run(caf::actor_system& sys, const drain_coordinator_actor& drain, bool show,
           const std::atomic<bool>& interrupted) {
    const bool tty = ::isatty(2) != 0;
    const auto every = std::chrono::milliseconds(show ? progress_interval_ms(tty) : 200);
    auto last_print = std::chrono::steady_clock::now();
    bool cancel_sent = false;
    caf::scoped_actor self{sys};
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return done_; })) break;
      }
      if (interrupted.load() && !cancel_sent) {
        cancel_sent = true;
        self->send(drain, cancel_atom::value);
        if (show)
          std::cerr << (tty ? "\n" : "") << "interrupted: finishing the sessions in flight "
                    << "(interrupt again to stop at once)\n";
      }
      if (!show || std::chrono::steady_clock::now() - last_print < every) continue;
      last_print = std::chrono::steady_clock::now();
      self->request(drain, std::chrono::seconds(2), status_atom::value)
          .receive(
              [&](drain_snapshot& s) {
                const auto p = progress_of(s);
                if (tty)
                  std::cerr << '\r' << progress_bar_line(p, 100) << std::flush;
                else
                  std::cerr << progress_plain_line(p) << '\n';
              },
              [](caf::error&) {});
    }
    if (show && tty) std::cerr << '\n';
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

int print_drain(const drain_summary& s, const std::string& drain_id, const std::string& report,
                bool as_json, const std::string& report_bytes_path) {
  const auto& c = s.last.counts;
  if (as_json) {
    std::ifstream in(report_bytes_path, std::ios::binary);
    std::cout << in.rdbuf();
    return exit_code_of(s.status);
  }
  labelled("drain_id", drain_id);
  labelled("exit_status", to_string(s.status));
  if (s.block_reason) labelled("block_reason", *s.block_reason);
  labelled("processed", std::to_string(c.processed));
  labelled("completed", std::to_string(c.completed));
  labelled("blocked", std::to_string(c.blocked_eligibility + c.blocked_conflict + c.blocked_other) +
                          " (eligibility " + std::to_string(c.blocked_eligibility) + ", conflict " +
                          std::to_string(c.blocked_conflict) + ", other " +
                          std::to_string(c.blocked_other) + ")");
  labelled("deferred", std::to_string(c.deferred));
  labelled("resume_needed", std::to_string(c.resume_needed));
  labelled("failed", std::to_string(c.failed));
  if (!s.message.empty()) labelled("message", s.message);
  labelled("report", report);
  return exit_code_of(s.status);
}

}  // namespace

int run_drain(const drain_options& o) {
  try {
    if (o.resume_pending && !o.write)
      throw usage_error("--resume-pending requires --write (resume is a write-back continuation)");
    auto setup = prepare(o.common);
    const auto& config = setup.config;
    const std::string campaign = o.campaign.empty() ? config.run_campaign : o.campaign;
    std::shared_ptr<const fixture_plan> plan;
    if (!o.resume_pending) {
      if (campaign.empty())
        throw usage_error(
            "drain requires --campaign (or a non-empty [run].campaign in slice2.toml)");
      plan = plan_of(o);
    }
    concurrency_limits limits;
    limits.initial =
        at_least_one("--concurrency", o.concurrency.value_or(config.drain.concurrency));
    limits.max_concurrency =
        at_least_one("--max-concurrency", o.max_concurrency.value_or(config.drain.max_concurrency));
    limits.increase_after = config.drain.increase_after;
    limits.respect_dop_hint = config.drain.respect_dop_hint;
    const auto page_size = o.page_size.value_or(config.drain.page_size);
    if (page_size < 1 || page_size > 5000) throw usage_error("--page-size must be 1-5000");
    if (o.limit < 0) throw usage_error("--limit must be 0 (all) or more");
    const auto listen = check_listen(o.listen.value_or(config.drain.listen), o.allow_remote);

    dataverse_connection dataverse(config, o.common.connection);
    auto ready = readiness(setup, dataverse, !o.resume_pending);
    if (ready.failure) {
      labelled("exit_status", to_string(ready.failure->status));
      if (ready.failure->status == exit_status::blocked) labelled("block_reason", "metadata");
      labelled("message", ready.failure->message);
      return exit_code_of(ready.failure->status);
    }
    std::shared_ptr<state_journal> journal;
    const auto drain_id = mint_id("drn");
    const auto started_at = setup.clock.now_utc_ms();
    std::vector<std::string> resumes;
    try {
      journal =
          std::make_shared<state_journal>(state_journal::open(setup.state_db, system_now_ms()));
      journal->record_drain(
          drain_id, campaign.empty() ? nullable<std::string>() : nullable<std::string>(campaign),
          setup.clock.now());
      if (o.resume_pending) resumes = journal->resumable_sessions(system_now_ms());
    } catch (const std::exception& e) {
      throw usage_error(e.what());
    }

    const os_zone_database zones;
    const auto mode = o.write ? run_mode::write_enabled : run_mode::dry_run;
    auto context = std::move(*ready.context);
    const auto mapping = context.mapping;
    auto sc = supervisor_config_for(setup, dataverse, std::move(context), mode,
                                    o.resume_pending ? "resume" : "drain-item", journal, zones);
    auto& sys = dataverse.system();
    const auto& interrupted = install_interrupt_handlers();
    auto sup = sys.spawn<caf::detached>(supervisor, std::move(sc));
    auto pager = sys.spawn(
        queue_loader,
        queue_loader_config{dataverse.gateway(), mapping, config.call_window, config.eligibility,
                            &zones, setup.clock, dataverse.env_url() + "/api/data/v9.2/"});
    // Readiness's answers carried the dop hint already: the first sessions must respect it.
    std::optional<std::int64_t> dop_hint;
    {
      caf::scoped_actor self{sys};
      self->request(dataverse.gateway(), std::chrono::seconds(5), status_atom::value)
          .receive(
              [&](gateway_stats& g) {
                if (g.dop_hint > 0) dop_hint = g.dop_hint;
              },
              [](caf::error&) {});
    }
    drain_coordinator_config dc;
    dc.supervisor = sup;
    dc.pager = pager;
    dc.plan = plan;
    dc.campaign = campaign;
    dc.page_size = page_size;
    dc.limit = o.limit;
    dc.limits = limits;
    dc.dop_hint = dop_hint;
    dc.resume_sessions = std::move(resumes);
    auto drain = sys.spawn(drain_coordinator, std::move(dc));
    caf::anon_send(dataverse.gateway(), observe_atom::value, caf::actor_cast<caf::actor>(drain));
    drain_control control(sys, drain, o.resume_pending);
    if (!listen.empty()) control.publish(listen);

    drain_summary summary;
    gateway_stats stats;
    {
      const bool show = !o.no_progress && o.common.log_level != "off";
      progress_reporter progress(sys, drain, show, interrupted);
      caf::scoped_actor self{sys};
      self->request(drain, caf::infinite, drain_order{drain_id})
          .receive([&](drain_summary& s) { summary = std::move(s); },
                   [&](caf::error& e) {
                     summary.status = exit_status::failed;
                     summary.message = "drain failure: " + sys.render(e);
                   });
      self->request(dataverse.gateway(), std::chrono::seconds(5), status_atom::value)
          .receive([&](gateway_stats& g) { stats = g; }, [](caf::error&) {});
      control.finish();
      for (const auto& a : {caf::actor_cast<caf::actor>(drain), caf::actor_cast<caf::actor>(pager),
                            caf::actor_cast<caf::actor>(sup)}) {
        self->send_exit(a, caf::exit_reason::user_shutdown);
        self->wait_for(a);
      }
    }
    summary.request_p50_ms = stats.request_p50_ms;
    summary.request_p99_ms = stats.request_p99_ms;
    summary.max_in_flight_requests = stats.max_in_flight;

    const auto report_dir = setup.artifacts_dir / "drains" / drain_id;
    const auto report_path = report_dir / "drain-report.json";
    std::vector<std::filesystem::path> paths{report_path};
    if (!o.report.empty()) paths.emplace_back(o.report);
    drain_report_facts facts;
    facts.drain_id = drain_id;
    if (!campaign.empty()) facts.campaign = campaign;
    facts.run_mode = std::string(to_string(mode));
    facts.writeback_mode = config.writeback.mode;
    facts.started_at = started_at;
    facts.ended_at = setup.clock.now_utc_ms();
    facts.summary = &summary;
    facts.for_each_item = [&](const std::function<void(const drain_item_record&)>& visit) {
      journal->for_each_drain_item(drain_id, visit);
    };
    try {
      write_drain_report(facts, paths);
    } catch (const std::exception& e) {
      error_line(e.what());
      return 2;
    }
    return print_drain(summary, drain_id, report_path.string(), o.json, report_path.string());
  } catch (const std::exception& e) {
    error_line(e.what());
    return 2;
  }
}

}  // namespace opencloser::cli
