#include "actors/drain/drain_coordinator_actor.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <algorithm>
#include <chrono>

#include "actors/common/ids.hpp"
#include "actors/common/utc_ms.hpp"
#include "actors/dataverse_gateway/dataverse_calls.hpp"

namespace opencloser {

namespace {

using self_pointer = drain_coordinator_actor::stateful_pointer<drain_coordinator_state>;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t wall_now_ms() {
  return system_now_ms();
}

drain_snapshot snapshot(self_pointer self) {
  auto& st = self->state;
  drain_snapshot s;
  s.drain_id = st.drain_id;
  s.state = st.finished     ? "finished"
            : st.cancelling ? "cancelling"
            : st.paused     ? "paused"
                            : "running";
  s.in_flight = st.in_flight;
  s.target = st.control->target();
  s.ceiling = st.control->ceiling();
  const auto& t = st.tally.totals();
  s.counts = {t.seen,
              t.processed,
              t.deferred,
              t.not_started,
              t.completed,
              t.blocked_eligibility,
              t.blocked_conflict,
              t.blocked_other,
              t.resume_needed,
              t.failed,
              t.no_callable_item,
              static_cast<std::int64_t>(st.rows.size() + st.enqueued.size() + st.resumes.size())};
  const auto now = steady_ms();
  if (st.control->throttle_paused(now))
    s.paused_until = format_utc_ms(wall_now_ms() + (*st.control->paused_until_ms() - now));
  if (st.last_429_ms) s.last_429_at = format_utc_ms(wall_now_ms() - (now - *st.last_429_ms));
  s.pages_fetched = st.pages_fetched;
  s.pages_remain = st.pages_remain;
  s.throttled = st.throttled;
  s.elapsed_ms = now - st.started_ms;
  return s;
}

bool nothing_left(self_pointer self) {
  auto& st = self->state;
  return st.in_flight == 0 && !st.page_in_flight &&
         (st.cancelling ||
          (st.rows.empty() && st.enqueued.empty() && st.resumes.empty() && !st.pages_remain));
}

/// The drain's end: rows never started are journaled as such, then the summary goes out.
void finish(self_pointer self) {
  auto& st = self->state;
  if (st.finished) return;
  st.finished = true;
  // Rows seen but never started (cancel): paged, enqueued, or sessions left to resume.
  for (auto* ids : {&st.pending_ids, &st.enqueued})
    for (const auto& row_id : *ids) {
      st.tally.on_item(drain_item_status::not_started, {}, {});
      self->send(st.config.supervisor, drain_note{st.drain_id, row_id, "not_started"});
    }
  for (std::size_t i = 0; i < st.resumes.size(); ++i)
    st.tally.on_item(drain_item_status::not_started, {}, {});
  st.pending_ids.clear();
  st.enqueued.clear();
  st.resumes.clear();
  st.rows.clear();
  drain_summary sum;
  sum.last = snapshot(self);
  sum.last.state = "finished";
  for (auto count : st.tally.dispositions()) sum.dispositions.push_back(count);
  sum.cancelled = st.cancelling;
  if (st.early_status) {
    sum.status = *st.early_status;
    sum.message = st.early_message;
  } else {
    const auto exit = decide_drain_exit(st.tally.totals(), sum.cancelled);
    sum.status = exit.status;
    sum.block_reason = exit.block_reason;
  }
  if (st.unassigned > 0)
    sum.warnings.push_back("unassigned_row: " + std::to_string(st.unassigned) +
                           " row(s) have no scenario in the fixture plan and were not started");
  sum.duration_ms = steady_ms() - st.started_ms;
  sum.session_p50_ms = st.session_ms.percentile(50);
  sum.session_p99_ms = st.session_ms.percentile(99);
  sum.http = st.http;
  const auto c = st.control->report();
  if (c.dop_hint) sum.dop_hint = *c.dop_hint;
  sum.initial = c.initial;
  sum.final = c.final;
  sum.min = c.min;
  sum.max = c.max;
  sum.increases = c.increases;
  sum.decreases = c.decreases;
  st.promise.deliver(std::move(sum));
}

void pump(self_pointer self);

void request_page(self_pointer self) {
  auto& st = self->state;
  if (st.page_in_flight || !st.pages_remain || st.cancelling) return;
  st.page_in_flight = true;
  page_order order{st.config.campaign, st.config.page_size, st.next_link};
  const bool first = st.pages_fetched == 0;
  self->request(st.config.pager, caf::infinite, std::move(order))
      .then(
          [self, first](page_result& page) {
            auto& st = self->state;
            st.page_in_flight = false;
            ++st.pages_fetched;
            add_counters(st.http, page.counters);
            if (page.status != page_status::rows) {
              st.pages_remain = false;
              if (first) {
                st.early_status = page.status == page_status::no_callable_item
                                      ? exit_status::no_callable_item
                                      : exit_status::failed;
                st.early_message = page.message.empty() ? "no callable queue item" : page.message;
              } else if (page.status == page_status::failed) {
                st.early_status = exit_status::failed;
                st.early_message = page.message;
              }
              return pump(self);
            }
            st.next_link = page.next_link;
            st.pages_remain = !page.next_link.empty();
            const auto limit = st.config.limit;
            std::int64_t added = 0;
            for (std::size_t i = 0; i < page.rows.size(); ++i) {
              if (limit > 0 && st.tally.totals().seen + added >= limit) {
                st.pages_remain = false;  // --limit: paging stops
                break;
              }
              // A primary id seen twice in one drain is processed once (dataverse.md §4).
              if (!st.seen.insert(page.ids[i])) continue;
              st.rows.push_back(std::move(page.rows[i]));
              st.pending_ids.push_back(page.ids[i]);
              ++added;
            }
            st.tally.on_rows_seen(added);
            pump(self);
          },
          [self](caf::error& e) {
            auto& st = self->state;
            st.page_in_flight = false;
            st.pages_remain = false;
            st.early_status = exit_status::failed;
            st.early_message = "queue loader error: " + self->system().render(e);
            pump(self);
          });
}

/// One session's end: credits, adaptive concurrency, totals.
void on_report(self_pointer self, std::int64_t started, const session_report& report) {
  auto& st = self->state;
  --st.in_flight;
  st.session_ms.record(steady_ms() - started);
  add_counters(st.http, report.http);
  st.control->on_session_finished(report.saw_throttle);
  st.tally.on_item(item_status_of(report.outcome.status), report.outcome.block_reason,
                   report.outcome.final_disposition);
  pump(self);
}

template <class Order>
void start_session(self_pointer self, Order order) {
  auto& st = self->state;
  ++st.in_flight;
  const auto started = steady_ms();
  self->request(st.config.supervisor, caf::infinite, std::move(order))
      .then([self, started](session_report& report) { on_report(self, started, report); },
            [self, started](caf::error& e) {
              session_report failed;
              failed.outcome.status = exit_status::failed;
              failed.outcome.message = self->system().render(e);
              on_report(self, started, failed);
            });
}

/// Hands out rows while credits allow; asks for the next page when fewer than `ceiling`
/// unassigned rows remain, so memory stays O(page_size + ceiling).
void pump(self_pointer self) {
  auto& st = self->state;
  if (st.finished || !st.started) return;
  const auto now = steady_ms();
  while (!st.cancelling && st.control->may_start(st.in_flight, now, st.paused)) {
    if (!st.resumes.empty()) {
      resume_order order;
      order.session_id = std::move(st.resumes.front());
      st.resumes.pop_front();
      order.read_plan = true;
      order.drain_id = st.drain_id;
      start_session(self, std::move(order));
      continue;
    }
    session_order order;
    order.drain_id = st.drain_id;
    std::string id;
    if (!st.enqueued.empty()) {
      id = std::move(st.enqueued.front());
      st.enqueued.pop_front();
      order.queue_item_id = id;
    } else if (!st.rows.empty()) {
      order.row_json = std::move(st.rows.front());
      st.rows.pop_front();
      id = std::move(st.pending_ids.front());
      st.pending_ids.pop_front();
    } else {
      break;
    }
    const auto scenario = st.assigner ? st.assigner->assign(id) : std::nullopt;
    if (!scenario) {
      ++st.unassigned;
      st.tally.on_item(drain_item_status::not_started, {}, {});
      self->send(st.config.supervisor, drain_note{st.drain_id, id, "not_started"});
      continue;
    }
    const auto& s = st.config.plan->scenario(*scenario);
    order.scenario = *scenario;
    order.transport = s.transport;
    order.conversation = s.conversation;
    start_session(self, std::move(order));
  }
  if (static_cast<std::int64_t>(st.rows.size()) < st.control->ceiling()) request_page(self);
  if (nothing_left(self)) finish(self);
}

}  // namespace

drain_coordinator_actor::behavior_type drain_coordinator(self_pointer self,
                                                         drain_coordinator_config config) {
  auto& st = self->state;
  st.config = std::move(config);
  st.control = std::make_unique<concurrency_controller>(st.config.limits, st.config.dop_hint);
  if (st.config.plan) st.assigner = make_assigner(*st.config.plan);
  for (auto& sid : st.config.resume_sessions) st.resumes.push_back(sid);
  st.tally.on_rows_seen(static_cast<std::int64_t>(st.resumes.size()));
  st.pages_remain = st.config.resume_sessions.empty() && st.config.plan != nullptr;
  return {
      [self](drain_order& order) -> caf::result<drain_summary> {
        auto& st = self->state;
        st.promise = self->make_response_promise<drain_summary>();
        st.drain_id = order.drain_id;
        st.started = true;
        st.started_ms = steady_ms();
        self->send(self, tick_atom::value);
        pump(self);
        return st.promise;
      },
      [self](status_atom) { return snapshot(self); },
      [self](pause_atom) {
        self->state.paused = true;
        return true;
      },
      [self](unpause_atom) {
        self->state.paused = false;
        pump(self);
        return true;
      },
      [self](cancel_atom) {
        self->state.cancelling = true;
        pump(self);
        return true;
      },
      [self](concurrency_atom, std::int64_t n) {
        self->state.control->set_concurrency(n);
        pump(self);
        return true;
      },
      [self](enqueue_atom, std::vector<std::string>& ids) {
        auto& st = self->state;
        std::vector<std::string> ignored;
        for (auto& id : ids) {
          if (!st.seen.insert(id)) {
            ignored.push_back(id);
            continue;
          }
          st.tally.on_rows_seen(1);
          st.enqueued.push_back(canonical_guid(id));
        }
        pump(self);
        return ignored;
      },
      [self](throttled_atom, double seconds) {
        auto& st = self->state;
        const auto now = steady_ms();
        ++st.throttled;
        st.last_429_ms = now;
        st.control->on_throttled(now, static_cast<std::int64_t>(seconds * 1000));
      },
      [self](dop_hint_atom, std::int64_t hint) {
        self->state.control->on_dop_hint(hint);
        pump(self);
      },
      [self](tick_atom) {
        // Wakes the drain when a throttle pause is over (no session finishes to do it).
        if (self->state.finished) return;
        pump(self);
        self->delayed_send(self, std::chrono::milliseconds(100), tick_atom::value);
      },
  };
}

}  // namespace opencloser
