#include "actors/supervisor/supervisor_actor.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "actors/call_simulator/call_simulator_actor.hpp"
#include "actors/common/ids.hpp"
#include "actors/dataverse_emitter/dataverse_emitter_actor.hpp"
#include "actors/dataverse_gateway/dataverse_calls.hpp"
#include "actors/drain/drain_totals.hpp"
#include "actors/queue_loader/eligibility.hpp"
#include "actors/queue_loader/queue_loader_actor.hpp"
#include "actors/redactor/redactor_actor.hpp"
#include "actors/supervisor/session_policy.hpp"
#include "actors/supervisor/session_records.hpp"
#include "actors/supervisor/session_simulation.hpp"
#include "actors/writeback_planner/writeback_planner_actor.hpp"
#include "adapters/artifacts/artifact_json.hpp"
#include "adapters/artifacts/plan_reader.hpp"
#include "adapters/artifacts/run_report_json.hpp"
#include "adapters/artifacts/session_artifacts.hpp"
#include "adapters/dataverse/dataverse_requests.hpp"
#include "adapters/dataverse/dataverse_responses.hpp"

namespace opencloser {

/// One session in flight: what it has learnt so far and how it ends.
struct session_job {
  caf::typed_response_promise<session_report> promise;
  session_order order;
  bool resume = false;
  std::string command;
  // What the session knows (the artifact writers take a session_run).
  session_run run;
  std::string decision_id;
  std::string task_id;
  std::string load_row_json;
  std::string active_row_json;  ///< load row, or the claimed row once the claim landed
  nullable<std::string> claim_etag;
  std::string owner_set = "systemusers";
  bool session_begun = false;
  bool ledger_ours = false;  ///< write mode: this run holds the ledger's lease
  bool interrupted = false;  ///< a signal stopped the write-back at a checkpoint
  // How it ends.
  exit_status status = exit_status::failed;
  nullable<std::string> block_reason;
  std::string message;
  nullable<std::vector<std::string>> replayed;
  std::vector<std::string> notices;
  http_counters http;

  queue_item loaded;  ///< the queue item as loaded (its status is the previous status)

  const std::string& session_id() const { return run.session.session_id; }
};
using job_ptr = std::shared_ptr<session_job>;

namespace {

using self_pointer = supervisor_actor::stateful_pointer<supervisor_state>;

const settings& cfg(self_pointer self) {
  return self->state.config.config;
}
bool write_mode(self_pointer self) {
  return self->state.config.mode == run_mode::write_enabled;
}
state_journal& journal(self_pointer self) {
  return *self->state.config.journal;
}
std::string now_text(self_pointer self) {
  return self->state.config.clock.now_utc_ms();
}
unix_ms now_ms(self_pointer self) {
  return self->state.config.clock.now();
}

bool interrupted(self_pointer self) {
  const auto* flag = self->state.config.interrupted;
  return flag && flag->load();
}

/// A signal after the claim or during the write-back: what is done stays journaled and the
/// rest waits for `run-crm --write --resume` (cli.md §1).
session_end interrupted_end(const job_ptr& job) {
  return {exit_status::resume_needed,
          {},
          "interrupted by a signal; continue with run-crm --write --resume " + job->session_id(),
          run_status::resume_needed};
}

ledger_lease lease_of(self_pointer self) {
  return {self->state.config.run_id, system_now_ms(), cfg(self).writeback.lease_seconds};
}

artifact_writer artifacts(self_pointer self) {
  return artifact_writer(self->state.config.artifacts_dir, write_mode(self));
}

std::string warning_text(const data_quality_warning& w) {
  return w.code + ":" + w.message;
}

/// The session's own `non_e164_phone` warning, as the queue PATCH's last error carries it.
nullable<data_quality_warning> session_warning(const job_ptr& job) {
  for (const auto& w : job->run.warnings)
    if (w.code == "non_e164_phone") return w;
  return {};
}

// ---- The end of a session ------------------------------------------------------------------

/// Builds and writes the run report, forgets the session and answers the front-end.
void deliver(self_pointer self, const job_ptr& job) {
  const auto& sid = job->session_id();
  run_report_facts facts;
  auto& r = facts.report;
  r.run_id = self->state.config.run_id;
  r.command = job->command;
  r.mode = self->state.config.mode;
  r.resumed = job->resume;
  r.outcome.session_id = sid;
  r.outcome.queue_item_id = job->run.session.queue_item_id;
  r.outcome.status = job->status;
  r.outcome.block_reason = job->block_reason;
  r.outcome.message = job->message;
  r.outcome.final_disposition = job->run.session.final_disposition;
  r.outcome.warnings = self->state.config.context->warnings;
  for (const auto& w : job->run.warnings) r.outcome.warnings.push_back(w);
  r.persona_version = job->run.session.persona_version;
  r.mock_provider_call_id = job->run.session.mock_provider_call_id;
  if (!sid.empty()) {
    r.started_at = job->run.session.started_at;
    r.ended_at = job->run.session.ended_at;
    r.artifact_dir = artifacts(self).session_dir(sid).string();
  }
  r.operations_replayed = job->replayed;
  r.writeback_mode = cfg(self).writeback.mode;
  r.http = job->http;
  if (job->session_begun) facts.decision = job->run.decision;
  facts.metadata_report = self->state.config.context->metadata_report;
  facts.warnings = r.outcome.warnings;
  facts.redaction = cfg(self).redaction;
  session_report report;
  if (write_mode(self) && job->session_begun) {
    try {
      facts.correlations = journal(self).correlations(sid);
      facts.ledger = journal(self).ledger(sid);
    } catch (const std::exception& e) {
      job->notices.push_back("cannot read the ledger for the run report: " + std::string(e.what()));
    }
  }
  const auto json = run_report_json(facts);
  report.run_report_json = json::write_compact(json);
  if (!sid.empty()) {
    try {
      artifacts(self).write_json(sid, "run-report.json", json);
      report.artifact_dir = *r.artifact_dir;
      report.run_report_path = (artifacts(self).session_dir(sid) / "run-report.json").string();
    } catch (const std::exception& e) {
      r.outcome.status = exit_status::failed;  // local I/O (dataverse.md §12)
      job->message = e.what();
    }
  }
  report.outcome = r.outcome;
  report.outcome.message = job->message;
  report.http = job->http;
  report.saw_throttle = job->http.throttled > 0;
  if (!job->order.drain_id.empty()) {
    try {
      drain_item_record item;
      item.drain_id = job->order.drain_id;
      item.queue_item_id = r.outcome.queue_item_id;
      if (job->session_begun) item.session_id = sid;
      // Item statuses are the drain's (cli.md §5.3): e.g. no-resume-needed counts as completed.
      item.outcome = std::string(to_string(item_status_of(report.outcome.status)));
      item.block_reason = report.outcome.block_reason;
      if (r.outcome.final_disposition)
        item.final_disposition = std::string(to_string(*r.outcome.final_disposition));
      if (!job->order.scenario.empty()) item.scenario = job->order.scenario;
      journal(self).record_drain_item(item, now_ms(self));
    } catch (const std::exception& e) {
      report.outcome.status = exit_status::failed;
      report.outcome.message = e.what();
    }
  }
  report.operations_replayed = job->replayed;
  report.notices = job->notices;
  self->state.sessions.erase(sid);
  job->promise.deliver(std::move(report));
}

/// Ends the session with `end`: ledger state (when the ledger is ours), the session row, the
/// report. A ledger write that fails is reported, never hidden.
void end_session(self_pointer self, const job_ptr& job, const session_end& end,
                 std::optional<session_state> session_state_after = std::nullopt) {
  job->status = end.status;
  job->block_reason = end.block_reason;
  job->message = end.message;
  const auto& sid = job->session_id();
  try {
    if (end.ledger && job->ledger_ours) {
      ledger_change change;
      change.status = *end.ledger;
      if (end.block_reason) change.block_reason = end.block_reason;
      if (*end.ledger != run_status::completed && !end.message.empty())
        change.last_error = nullable<std::string>(end.message);
      journal(self).apply(sid, lease_of(self), change);
    }
    if (session_state_after && job->session_begun) {
      job->run.session.state = *session_state_after;
      if (!job->run.session.ended_at) job->run.session.ended_at = now_text(self);
      journal(self).update_session(job->run.session, now_ms(self));
    }
  } catch (const std::exception& e) {
    job->status = exit_status::failed;
    job->block_reason.reset();
    job->message = e.what();
  }
  deliver(self, job);
}

void fail(self_pointer self, const job_ptr& job, std::string message) {
  end_session(self, job, {exit_status::failed, {}, std::move(message), std::nullopt});
}

/// A journal step that throws ends the session as `failed` (local I/O, a lease taken over).
template <class F>
bool journaled(self_pointer self, const job_ptr& job, F step) {
  try {
    step();
    return true;
  } catch (const std::exception& e) {
    fail(self, job, e.what());
    return false;
  }
}

// ---- Write-back ----------------------------------------------------------------------------

/// The final artifacts and journal rows of a session whose write-back (or dry-run) is done.
void finish_writeback(self_pointer self, const job_ptr& job, const session_end& end,
                      session_state state_after) {
  if (!journaled(self, job, [&] {
        write_final_artifacts(artifacts(self), job->run);
        if (write_mode(self) && end.status == exit_status::completed && job->run.plan.task &&
            job->run.plan.task->assigned_to)
          journal(self).record_task_owner(job->session_id(), *job->run.plan.task->assigned_to);
        if (state_after == session_state::finalized && end.status == exit_status::completed)
          journal(self).finalize_session(job->session_id(), now_ms(self));
      }))
    return;
  end_session(self, job, end,
              state_after == session_state::finalized ? std::nullopt
                                                      : std::optional<session_state>(state_after));
}

void emit(self_pointer self, const job_ptr& job, emit_order order) {
  self->request(self->state.emitter, caf::infinite, std::move(order))
      .then(
          [self, job](emit_outcome& outcome) {
            add_counters(job->http, outcome.counters);
            const auto replayed = operations_confirmed(outcome);
            if (job->resume) job->replayed = replayed;
            auto end = end_after_emit(outcome, job->resume, replayed);
            if (job->interrupted) end = interrupted_end(job);
            if ((outcome.status != emit_status::stopped || job->interrupted) &&
                !journaled(self, job, [&] {
                  auto change = ledger_change_of(outcome);
                  change.keys = done_keys(job->run.keys, outcome);
                  journal(self).apply(job->session_id(), lease_of(self), change);
                }))
              return;
            const bool blocked_path = job->run.decision.outcome == eligibility_outcome::block;
            if (end.status == exit_status::completed && blocked_path) {
              // The eligibility block's status PATCH landed: the session stays blocked.
              return finish_writeback(self, job,
                                      {exit_status::blocked, std::string("eligibility"),
                                       job->message, run_status::blocked},
                                      session_state::blocked);
            }
            if (end.status == exit_status::completed) {
              auto done = end;
              if (done.message.empty()) done.message = "write-back completed";
              return finish_writeback(self, job, done, session_state::finalized);
            }
            end_session(self, job, end);
          },
          [self, job](caf::error& e) { fail(self, job, self->system().render(e)); });
}

emit_order emit_order_of(self_pointer self, const job_ptr& job) {
  emit_order order;
  order.session_id = job->session_id();
  order.queue_item_id = job->run.session.queue_item_id;
  order.plan = job->run.plan;
  order.baseline_row_json = job->active_row_json;
  order.task_owner_set = job->owner_set;
  if (auto w = session_warning(job)) order.session_warning = warning_text(*w);
  order.task_done = !job->run.plan.task;
  order.batch = cfg(self).writeback.mode == "batch";
  return order;
}

// ---- Planning ------------------------------------------------------------------------------

/// The plan's files exist before the first write-back request (dataverse.md §7); the plan and
/// the mapping's digest are journaled for a resume.
void after_plan(self_pointer self, const job_ptr& job, plan_result& planned) {
  auto& run = job->run;
  run.result = std::move(planned.result);
  run.plan = std::move(planned.plan);
  run.keys = std::move(planned.keys);
  run.attempts_after = planned.attempts_after;
  run.session.final_disposition = run.result.final_disposition;
  if (run.result.blocked_reason) run.session.blocked_reason = blocked_reason_letters(run.decision);
  run.session.ended_at = run.result.ended_at;
  if (!planned.message.empty()) return fail(self, job, planned.message);
  const auto& ctx = *self->state.config.context;
  if (!journaled(self, job, [&] {
        journal(self).record_session_result(run.session, run.result, run.plan, now_ms(self));
        write_planned_artifacts(artifacts(self), run);
        artifacts(self).write_json(job->session_id(), "http-plan.json",
                                   json::parse(planned.http_plan_json));
        if (write_mode(self)) {
          ledger_change change;
          change.write_plan = write_plan_record_of(
              ctx.mapping, job->session_id(), cfg(self).writeback.mode == "batch",
              cfg(self).writeback.link_regarding, run.plan, job->owner_set, ctx.mapping_sha256,
              now_text(self));
          change.task_done = !run.plan.task;
          journal(self).apply(job->session_id(), lease_of(self), change);
        }
      }))
    return;
  if (write_mode(self)) self->state.config.hook->reach("after_plan");

  const bool blocked_path = run.decision.outcome == eligibility_outcome::block;
  if (!write_mode(self)) {
    const session_end end = blocked_path
                                ? session_end{exit_status::blocked, std::string("eligibility"),
                                              job->message, std::nullopt}
                                : session_end{exit_status::completed,
                                              {},
                                              "dry-run completed; nothing was written to Dataverse",
                                              std::nullopt};
    return finish_writeback(self, job, end,
                            blocked_path ? session_state::blocked : session_state::finalized);
  }
  if (blocked_path && job->loaded.status == callable_status::in_progress) {
    // §7.3: a row loaded in_progress belongs to another session; nothing is sent.
    job->run.warnings.push_back({"queue_row_in_progress_not_patched", "queue.status",
                                 "queue item '" + job->loaded.queue_item_id +
                                     "' is in_progress; its status was not patched"});
    if (!journaled(self, job, [&] {
          ledger_change change;
          change.queue_status_update_done = true;
          change.task_done = true;
          journal(self).apply(job->session_id(), lease_of(self), change);
        }))
      return;
    return finish_writeback(
        self, job,
        {exit_status::blocked, std::string("eligibility"), job->message, run_status::blocked},
        session_state::blocked);
  }
  if (interrupted(self)) return end_session(self, job, interrupted_end(job));
  emit(self, job, emit_order_of(self, job));
}

void plan(self_pointer self, const job_ptr& job, const std::string& owner) {
  plan_order order;
  const auto& run = job->run;
  order.session_id = job->session_id();
  order.item = job->loaded;
  order.started_at = run.session.started_at;
  order.now = now_text(self);
  order.ended_at = run.call ? order.now : run.session.started_at;
  order.decision = run.decision;
  order.call = run.call;
  order.transcript_written = run.transcript_file.has_value();
  order.task_id = job->task_id;
  const auto& c = cfg(self);
  order.callback_owner = owner.empty() ? c.task_owner_callback : owner;
  order.review_owner = owner.empty() ? c.task_owner_review : owner;
  order.mode = self->state.config.mode;
  order.batch = c.writeback.mode == "batch";
  if (auto etag = dataverse::row_etag(json::parse(job->load_row_json))) order.load_etag = *etag;
  order.claim_etag = job->claim_etag;
  order.session_warning = session_warning(job);
  // The owner's set: the override's, else the verified default of the Task's kind (a Task's
  // kind is known only once planned, so both defaults are verified at readiness).
  const auto& owners = self->state.config.context->owners;
  const auto set_of = [&](const std::string& id) {
    auto it = owners.find(id);
    return it != owners.end() && it->second == dataverse::owner_kind::team ? "teams"
                                                                           : "systemusers";
  };
  job->owner_set = set_of(order.callback_owner);
  order.task_owner_set = job->owner_set;
  self->request(self->state.planner, caf::infinite, std::move(order))
      .then(
          [self, job, set_of](plan_result& planned) {
            if (planned.plan.task && planned.plan.task->assigned_to)
              job->owner_set = set_of(*planned.plan.task->assigned_to);
            after_plan(self, job, planned);
          },
          [self, job](caf::error& e) { fail(self, job, self->system().render(e)); });
}

/// The Task owner override of the loaded row (§7.4): a GUID that verifies as an enabled user
/// or an owner team, checked once per id per run; otherwise the default and a warning.
void resolve_owner(self_pointer self, const job_ptr& job, const std::string& override_id) {
  if (override_id.empty()) return plan(self, job, "");
  auto& owners = self->state.config.context->owners;
  const auto unverifiable = [self, job, override_id] {
    job->run.warnings.push_back({"task_owner_override_unverifiable", "queue.task_owner_override",
                                 "task owner override '" + override_id +
                                     "' is not an enabled user or an owner team; the default "
                                     "owner is used"});
    plan(self, job, "");
  };
  if (owners.count(override_id)) return plan(self, job, override_id);
  if (!is_guid(override_id)) return unverifiable();
  const auto ask = [self, job](const dataverse::dataverse_request& r) {
    return self->request(self->state.config.gateway, caf::infinite, call_of(r));
  };
  ask(dataverse::owner_user_request(override_id))
      .then(
          [self, job, override_id, unverifiable, ask](dataverse_reply& user) {
            add_counters(job->http, user.counters);
            owner_verdict v;
            try {
              v = decide_owner(user, nullptr);
            } catch (const std::exception&) {
              return unverifiable();
            }
            auto known = [self, job, override_id](dataverse::owner_kind kind) {
              self->state.config.context->owners.emplace(override_id, kind);
              plan(self, job, override_id);
            };
            if (v.kind) return known(*v.kind);
            if (!v.needs_team) return unverifiable();
            ask(dataverse::owner_team_request(override_id))
                .then(
                    [job, user, known, unverifiable](dataverse_reply& team) {
                      add_counters(job->http, team.counters);
                      owner_verdict t;
                      try {
                        t = decide_owner(user, &team);
                      } catch (const std::exception&) {
                        return unverifiable();
                      }
                      if (t.kind) return known(*t.kind);
                      unverifiable();
                    },
                    [unverifiable](caf::error&) { unverifiable(); });
          },
          [unverifiable](caf::error&) { unverifiable(); });
}

// ---- The call ------------------------------------------------------------------------------

void redact_then_plan(self_pointer self, const job_ptr& job, const std::string& override_id) {
  const auto& call = *job->run.call;
  if (!call.persona) return resolve_owner(self, job, override_id);
  job->run.session.persona_version = call.persona->persona_version;
  self->request(self->state.redactor, caf::infinite, redact_atom::value, call.transcript)
      .then(
          [self, job, override_id](redaction_result& redacted) {
            job->run.transcript_file = std::move(redacted.transcript_file);
            resolve_owner(self, job, override_id);
          },
          [self, job](caf::error& e) { fail(self, job, self->system().render(e)); });
}

void place_call(self_pointer self, const job_ptr& job, const std::string& override_id) {
  auto& s = job->run.session;
  s.mock_provider_call_id = mint_id("call");
  if (!journaled(self, job, [&] {
        journal(self).record_call_placed(s, job->loaded.attempt_count, now_ms(self));
      }))
    return;
  call_order order{job->session_id(), *s.mock_provider_call_id, job->order.transport,
                   job->order.conversation};
  self->request(self->state.caller, caf::infinite, std::move(order))
      .then(
          [self, job, override_id](call_outcome& outcome) {
            for (const auto& w : outcome.log_warnings) job->notices.push_back(w);
            job->run.call = std::move(outcome);
            job->run.session.state = session_state::in_flight;
            if (!journaled(self, job, [&] {
                  journal(self).record_call_outcome(job->run.session, *job->run.call, now_ms(self));
                }))
              return;
            redact_then_plan(self, job, override_id);
          },
          [self, job](caf::error& e) { fail(self, job, self->system().render(e)); });
}

// ---- Claim ---------------------------------------------------------------------------------

void claim(self_pointer self, const job_ptr& job, const std::string& override_id) {
  claim_order order{job->session_id(), job->loaded.queue_item_id, job->load_row_json,
                    job->loaded.attempt_count};
  self->request(self->state.emitter, caf::infinite, std::move(order))
      .then(
          [self, job, override_id](claim_outcome& outcome) {
            add_counters(job->http, outcome.counters);
            if (auto end = end_after_claim(outcome)) {
              // An aborted session leaves its decision and its run report (dataverse.md §6).
              if (!journaled(self, job, [&] {
                    artifacts(self).write_json(job->session_id(), "eligibility-decision.json",
                                               to_json(job->run.decision));
                  }))
                return;
              return end_session(self, job, *end, session_state::aborted);
            }
            const auto& ctx = *self->state.config.context;
            job->active_row_json = outcome.row_json;
            if (auto etag = dataverse::row_etag(json::parse(outcome.row_json)))
              job->claim_etag = *etag;
            if (!journaled(self, job, [&] {
                  ledger_change change;
                  change.claim_done = true;
                  change.correlations.push_back({job->session_id(), crm_record_kind::queue_claim,
                                                 job->session_id(), job->loaded.queue_item_id,
                                                 crm_write_status::confirmed, "", ""});
                  change.claim_baseline = queue_baseline_of(
                      ctx.mapping, outcome.row_json, job->session_id(), job->loaded.queue_item_id,
                      now_text(self), baseline_phase::claim);
                  journal(self).apply(job->session_id(), lease_of(self), change);
                }))
              return;
            self->state.config.hook->reach("after_claim");
            if (interrupted(self)) return end_session(self, job, interrupted_end(job));
            place_call(self, job, override_id);
          },
          [self, job](caf::error& e) { fail(self, job, self->system().render(e)); });
}

// ---- Load and begin ------------------------------------------------------------------------

void on_loaded(self_pointer self, const job_ptr& job, load_result& loaded) {
  add_counters(job->http, loaded.counters);
  if (loaded.status == load_status::no_callable_item)
    return end_session(self, job,
                       {exit_status::no_callable_item,
                        {},
                        loaded.message.empty() ? "no callable queue item" : loaded.message,
                        std::nullopt});
  if (loaded.status == load_status::failed) return fail(self, job, loaded.message);

  auto& run = job->run;
  // A drain defers a row whose only failing rule is the calling window (c): no session, no
  // request, nothing journaled but the drain item (cli.md §5).
  if (!job->order.drain_id.empty() && loaded.decision.outcome == eligibility_outcome::block &&
      loaded.decision.failing_rules == std::vector<std::string>{"c"}) {
    run.session.queue_item_id = loaded.item.queue_item_id;
    return end_session(self, job,
                       {exit_status::deferred,
                        {},
                        "outside the calling window; deferred to a later drain",
                        std::nullopt});
  }
  job->loaded = loaded.item;
  job->load_row_json = loaded.row_json;
  job->active_row_json = loaded.row_json;
  run.decision = loaded.decision;
  run.warnings = loaded.warnings;
  auto& s = run.session;
  s.session_id = loaded.decision.session_id;
  s.queue_item_id = loaded.item.queue_item_id;
  s.started_at = now_text(self);
  s.mode = self->state.config.mode;
  s.state = session_state::eligibility_evaluated;
  if (!job->order.drain_id.empty()) s.drain_id = job->order.drain_id;
  self->state.sessions.emplace(s.session_id, job);

  const auto& ctx = *self->state.config.context;
  session_start start;
  start.session = s;
  start.decision = run.decision;
  start.loaded_item = loaded.item;
  try {
    if (write_mode(self)) {
      start.lease = lease_of(self);
      start.load_baseline = queue_baseline_of(ctx.mapping, loaded.row_json, s.session_id,
                                              s.queue_item_id, s.started_at, baseline_phase::load);
    }
    journal(self).begin_session(start);
  } catch (const std::exception& e) {
    return fail(self, job, e.what());
  }
  job->session_begun = true;
  job->ledger_ours = write_mode(self);

  if (run.decision.outcome == eligibility_outcome::block) {
    job->message = "queue item '" + s.queue_item_id + "' is not eligible: rule(s) " +
                   blocked_reason_letters(run.decision) + " failed";
    return plan(self, job, "");
  }
  if (write_mode(self) && interrupted(self))
    return end_session(self, job,
                       {exit_status::failed,
                        {},
                        "interrupted by a signal before the claim; nothing was written",
                        run_status::aborted},
                       session_state::aborted);
  if (write_mode(self)) return claim(self, job, loaded.owner_override);
  place_call(self, job, loaded.owner_override);
}

void start_session(self_pointer self, const job_ptr& job) {
  load_order order{mint_id("ses"), mint_id("dec"), job->order.queue_item_id, job->order.campaign,
                   job->order.row_json};
  job->decision_id = order.decision_id;
  job->task_id = mint_id("task");
  self->request(self->state.loader, caf::infinite, std::move(order))
      .then([self, job](load_result& loaded) { on_loaded(self, job, loaded); },
            [self, job](caf::error& e) { fail(self, job, self->system().render(e)); });
}

// ---- Resume (dataverse.md §10) -------------------------------------------------------------

/// §10 release: the row still shows this session's claim → PATCH it back to ready.
void release_claim(self_pointer self, const job_ptr& job, int rereads_left) {
  const auto& m = self->state.config.context->mapping;
  const auto& qid = job->run.session.queue_item_id;
  const auto sid = job->session_id();
  const auto released = [self, job](bool done) {
    job->replayed =
        done ? std::vector<std::string>{"queue_claim_release"} : std::vector<std::string>{};
    if (!journaled(self, job, [&] {
          ledger_change change;
          change.status = run_status::aborted;
          journal(self).apply(job->session_id(), lease_of(self), change);
        }))
      return;
    job->ledger_ours = false;
    end_session(
        self, job,
        {done ? exit_status::completed : exit_status::no_resume_needed,
         {},
         done ? "resume completed; released the claim of session '" + job->session_id() + "'"
              : "session '" + job->session_id() +
                    "' holds no claim on its queue row; nothing to resume",
         std::nullopt},
        session_state::aborted);
  };
  self->request(self->state.config.gateway, caf::infinite,
                call_of(dataverse::pre_write_read_request(m, qid)))
      .then(
          [self, job, released, rereads_left, sid, qid](dataverse_reply& read) {
            add_counters(job->http, read.counters);
            if (read.outcome != dataverse_outcome::success)
              return end_session(self, job,
                                 {exit_status::resume_needed,
                                  {},
                                  "resume replay failed: " + read.message,
                                  run_status::resume_needed});
            std::optional<json::value> row;
            try {
              row = dataverse::first_row(json::parse(read.body));
            } catch (const std::exception& e) {
              return end_session(
                  self, job,
                  {exit_status::blocked, std::string("permanent_other"),
                   std::string("resume replay failed: ") + e.what(), run_status::blocked});
            }
            const auto& m = self->state.config.context->mapping;
            if (!row || !dataverse::claim_applied(m, *row, sid)) return released(false);
            self->request(self->state.config.gateway, caf::infinite,
                          call_of(dataverse::claim_release_request(m, qid, sid,
                                                                   dataverse::row_etag(*row))))
                .then(
                    [self, job, released, rereads_left](dataverse_reply& patch) {
                      add_counters(job->http, patch.counters);
                      if (patch.outcome == dataverse_outcome::success) return released(true);
                      if (patch.status == 412 && rereads_left > 0)
                        return release_claim(self, job, rereads_left - 1);
                      const bool transient = patch.outcome != dataverse_outcome::permanent;
                      end_session(self, job,
                                  {transient ? exit_status::resume_needed : exit_status::blocked,
                                   transient ? nullable<std::string>{}
                                             : nullable<std::string>("permanent_other"),
                                   "resume replay failed: " + patch.message,
                                   transient ? run_status::resume_needed : run_status::blocked});
                    },
                    [self, job](caf::error& e) { fail(self, job, self->system().render(e)); });
          },
          [self, job](caf::error& e) { fail(self, job, self->system().render(e)); });
}

void start_resume(self_pointer self, const job_ptr& job, resume_order& order) {
  const auto& sid = order.session_id;
  auto& j = journal(self);
  std::optional<ledger_row> row;
  std::optional<write_plan_record> plan_record;
  std::optional<queue_baseline> baseline;
  try {
    auto session = j.session(sid);
    auto decision = j.decision(sid);
    auto item = j.loaded_item(sid);
    if (!session || !decision || !item)
      return fail(self, job, "resume pre-flight failed: session '" + sid + "' is not journaled");
    job->run.session = *session;
    job->run.decision = *decision;
    job->loaded = *item;
    job->session_begun = true;
    self->state.sessions.emplace(sid, job);
    // Take the session over before the first write-phase request (§10 step 5, §12).
    if (!j.take_over(sid, lease_of(self))) {
      const auto& ctx = *self->state.config.context;
      const auto verdict = resume_preflight(sid, j.ledger(sid), system_now_ms(), j.write_plan(sid),
                                            ctx.mapping_path, ctx.mapping_sha256);
      return end_session(self, job,
                         {verdict.proceed ? exit_status::failed : verdict.status,
                          verdict.block_reason, verdict.message, std::nullopt});
    }
    job->ledger_ours = true;
    row = j.ledger(sid);
    plan_record = j.write_plan(sid);
    baseline = j.active_baseline(sid);
  } catch (const std::exception& e) {
    return fail(self, job, e.what());
  }
  if (order.read_plan) {
    // `drain --resume-pending`: the plan file is read here, under the same rules as run-crm.
    try {
      order.plan = read_session_plan(artifacts(self).session_dir(sid));
    } catch (const std::exception& e) {
      return end_session(self, job,
                         {exit_status::failed,
                          {},
                          std::string("resume pre-flight failed: ") + e.what(),
                          run_status::resume_needed});
    }
    if (!order.plan && job->run.decision.outcome != eligibility_outcome::allow)
      return end_session(self, job,
                         {exit_status::failed,
                          {},
                          "resume pre-flight failed: neither planned-writeback.json nor "
                          "writeback.json exists under " +
                              artifacts(self).session_dir(sid).string(),
                          run_status::resume_needed});
  }
  if (!order.plan) return release_claim(self, job, 1);
  if (!baseline)
    return end_session(self, job,
                       {exit_status::failed,
                        {},
                        "resume pre-flight failed: session '" + sid + "' has no baseline",
                        run_status::resume_needed});
  const auto& ctx = *self->state.config.context;
  job->run.plan = std::move(*order.plan);
  job->owner_set = plan_record && plan_record->owner_entity_set ? *plan_record->owner_entity_set
                                                                : std::string("systemusers");
  job->active_row_json = baseline_row_json(ctx.mapping, *baseline);
  auto e = emit_order_of(self, job);
  e.phone_call_done = row->phone_call_activity_done;
  e.queue_status_done = row->queue_status_update_done;
  e.task_done = row->task_done || !job->run.plan.task;
  e.batch = false;  // §7.5: operations left by a resume are sent as plain requests
  job->replayed = std::vector<std::string>{};
  emit(self, job, std::move(e));
}

}  // namespace

supervisor_actor::behavior_type supervisor(self_pointer self, supervisor_config config) {
  auto& st = self->state;
  st.config = std::move(config);
  const auto& ctx = *st.config.context;
  st.readiness_http = ctx.readiness_http;
  const auto& c = st.config.config;
  st.loader = self->spawn<caf::linked>(
      queue_loader,
      queue_loader_config{st.config.gateway, ctx.mapping, c.call_window, c.eligibility,
                          st.config.zones, st.config.clock, st.config.service_root_url});
  st.caller = self->spawn<caf::linked>(call_simulator);
  st.redactor = self->spawn<caf::linked>(redactor, *st.config.redactor);
  st.planner = self->spawn<caf::linked>(writeback_planner, ctx.mapping);
  dataverse_emitter_config emitter_config{st.config.gateway, ctx.mapping, c.retry};
  emitter_config.gate = caf::actor_cast<write_gate_actor>(self);
  st.emitter = self->spawn<caf::linked>(dataverse_emitter, std::move(emitter_config));
  // Leases are renewed at least every lease_seconds/3 while sessions are in flight (§12).
  const auto renew_every =
      std::chrono::seconds(std::max<std::int64_t>(1, c.writeback.lease_seconds / 3));
  if (st.config.mode == run_mode::write_enabled)
    self->delayed_send(self, renew_every, renew_atom::value);
  return {
      [self, renew_every](renew_atom) {
        for (auto& [sid, job] : self->state.sessions) {
          if (!job->ledger_ours) continue;
          try {
            journal(self).renew_lease(sid, lease_of(self));
          } catch (const std::exception&) {
            job->ledger_ours = false;  // taken over: the next checkpoint stops the emit
          }
        }
        self->delayed_send(self, renew_every, renew_atom::value);
      },
      [self](write_checkpoint& cp) -> checkpoint_verdict {
        auto it = self->state.sessions.find(cp.session_id);
        if (it == self->state.sessions.end()) return {false, "unknown session " + cp.session_id};
        emit_outcome so_far;
        so_far.results = std::move(cp.results);
        so_far.phone_call_done = cp.phone_call_done;
        so_far.queue_status_done = cp.queue_status_done;
        try {
          journal(self).apply(cp.session_id, lease_of(self), ledger_change_of(so_far));
        } catch (const std::exception& e) {
          it->second->ledger_ours = false;
          return {false, e.what()};
        }
        if (interrupted(self)) {
          it->second->interrupted = true;
          return {false, "interrupted by a signal"};
        }
        static constexpr const char* names[] = {"after_phone_call", "after_queue_update",
                                                "before_task_post"};
        self->state.config.hook->reach(names[static_cast<int>(cp.point)]);
        return {true, ""};
      },
      [self](drain_note& note) {
        try {
          journal(self).record_drain_item(
              {note.drain_id, note.queue_item_id, {}, note.outcome, {}, {}, {}, "coordinator"},
              now_ms(self));
        } catch (const std::exception&) {
          // The drain report counts the row anyway; only its line in `items` is missing.
        }
      },
      [self](session_order& order) -> caf::result<session_report> {
        auto job = std::make_shared<session_job>();
        job->promise = self->make_response_promise<session_report>();
        job->order = std::move(order);
        job->command = self->state.config.command;
        job->http = std::exchange(self->state.readiness_http, http_counters{});
        auto promise = job->promise;
        start_session(self, job);
        return promise;
      },
      [self](resume_order& order) -> caf::result<session_report> {
        auto job = std::make_shared<session_job>();
        job->promise = self->make_response_promise<session_report>();
        job->resume = true;
        job->command = "resume";
        job->order.drain_id = order.drain_id;
        job->http = std::exchange(self->state.readiness_http, http_counters{});
        auto promise = job->promise;
        start_resume(self, job, order);
        return promise;
      },
  };
}

}  // namespace opencloser
