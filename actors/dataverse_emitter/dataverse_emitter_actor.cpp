#include "actors/dataverse_emitter/dataverse_emitter_actor.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/typed_response_promise.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <memory>

#include "actors/common/ids.hpp"
#include "actors/dataverse_emitter/batch_logic.hpp"
#include "actors/dataverse_emitter/claim_logic.hpp"
#include "actors/dataverse_emitter/retry_policy.hpp"
#include "actors/dataverse_emitter/writeback_logic.hpp"
#include "actors/dataverse_gateway/dataverse_calls.hpp"
#include "adapters/dataverse/dataverse_requests.hpp"
#include "adapters/dataverse/dataverse_responses.hpp"

namespace opencloser {

namespace {

using self_pointer = dataverse_emitter_actor::stateful_pointer<dataverse_emitter_state>;
using promise_type = caf::typed_response_promise<claim_outcome>;

/// One claim in progress: the order, the loaded row and its baseline, the promise, and the
/// counters of every request it sent.
struct claim_job {
  claim_order order;
  promise_type promise;
  claim_outcome result;
  json::value loaded_row;
  dataverse::row_baseline loaded;
  claim_columns columns;
  int reclaims = 0;
  std::string claim_error;  ///< the message of the claim PATCH that did not settle

  void add(const http_counters& c) { add_counters(result.counters, c); }
  void finish(claim_status status, std::string message = {}) {
    result.status = status;
    result.message = std::move(message);
    promise.deliver(std::move(result));
  }
  void conflict(std::vector<std::string> fields) {
    auto message = claim_conflict_message(order.queue_item_id, fields);
    result.conflicting_fields = std::move(fields);
    finish(claim_status::conflict, std::move(message));
  }
};
using job_ptr = std::shared_ptr<claim_job>;

claim_columns columns_of(const dataverse::resolved_mapping& m) {
  const auto column = [&](std::string_view key) {
    const auto* c = m.column(key);
    return c ? *c : std::string();
  };
  return {column("queue.status"),       column("queue.last_session_id"), column("queue.phone"),
          column("queue.timezone"),     column("queue.attempt_count"),   column("queue.dnc"),
          m.status_value("in_progress")};
}

/// The claimed row: the loaded row with the answer's ETag, status and last session, so that
/// baseline_from_row of it is the §6 claim baseline (preserve values and last disposition as
/// loaded, even if a re-read shows newer ones: the pre-write read must still catch those).
void deliver_claimed(self_pointer self, const job_ptr& job, const json::value& answer) {
  const auto& m = self->state.config.mapping;
  auto row = job->loaded_row;
  std::vector<std::string> keys{std::string(etag_field)};
  for (const char* key : {"queue.status", "queue.last_session_id"})
    if (auto prop = m.queue_field_property(key)) keys.push_back(*prop);
  for (const auto& key : keys)
    if (const auto* v = answer.find(key)) row.set(key, *v);
  job->result.row_json = json::write_compact(row);
  job->finish(claim_status::claimed);
}

/// Sends a queue-row GET and continues with what it found: the row (nullopt: none) and its
/// baseline, or a failed read.
template <class Next>
void reread(self_pointer self, const job_ptr& job, const dataverse::dataverse_request& request,
            Next next) {
  self->request(self->state.config.gateway, caf::infinite, call_of(request))
      .then(
          [self, job, next](dataverse_reply& reply) mutable {
            job->add(reply.counters);
            claim_reread read;
            std::optional<json::value> row;
            if (reply.outcome != dataverse_outcome::success) {
              read.message = reply.message;
              return next(std::move(read), std::move(row));
            }
            try {
              row = dataverse::first_row(json::parse(reply.body));
              if (row) read.row = dataverse::baseline_from_row(self->state.config.mapping, *row);
              read.succeeded = true;
            } catch (const std::exception& e) {
              read.message = std::string("unreadable answer (") + e.what() + ")";
              row.reset();
            }
            next(std::move(read), std::move(row));
          },
          [self, job, next](caf::error& e) mutable {
            claim_reread read;
            read.message = self->system().render(e);
            next(std::move(read), std::optional<json::value>{});
          });
}

void send_claim(self_pointer self, const job_ptr& job, const std::optional<std::string>& etag);

/// Carries out a claim_logic decision; `row` is the re-read row it was made on.
void follow(self_pointer self, const job_ptr& job, const claim_decision& d,
            const std::optional<json::value>& row, const std::string& read_error) {
  switch (d.step) {
    case claim_step::claimed:
      return deliver_claimed(self, job, *row);
    case claim_step::claim_again:
      ++job->reclaims;
      return send_claim(self, job, dataverse::row_etag(*row));
    case claim_step::conflict:
      return job->conflict(d.conflicting_fields);
    case claim_step::failed:
      return job->finish(claim_status::failed, claim_failed_message(job->claim_error));
    case claim_step::resume_needed:
      return job->finish(claim_status::resume_needed,
                         claim_unknown_message(job->claim_error, read_error));
  }
}

void after_precondition_failed(self_pointer self, const job_ptr& job) {
  const auto& m = self->state.config.mapping;
  reread(self, job, dataverse::claim_reread_request(m, job->order.queue_item_id),
         [self, job](claim_reread read, std::optional<json::value> row) {
           const auto d = decide_after_precondition_failed(job->columns, job->loaded, read,
                                                           job->order.session_id, job->reclaims);
           follow(self, job, d, row, read.message);
         });
}

void after_exhaustion(self_pointer self, const job_ptr& job) {
  const auto& m = self->state.config.mapping;
  reread(self, job, dataverse::claim_reread_request(m, job->order.queue_item_id),
         [self, job](claim_reread read, std::optional<json::value> row) {
           const auto d =
               decide_after_exhaustion(job->columns, job->loaded, read, job->order.session_id);
           follow(self, job, d, row, read.message);
         });
}

/// A 2xx without the representation (a 204): the §7.1 read supplies the new ETag.
void after_bodiless_success(self_pointer self, const job_ptr& job) {
  const auto& m = self->state.config.mapping;
  reread(self, job, dataverse::pre_write_read_request(m, job->order.queue_item_id),
         [self, job](claim_reread read, std::optional<json::value> row) {
           const auto d = decide_after_success_read(job->columns, read, job->order.session_id);
           follow(self, job, d, row, read.message);
         });
}

/// The representation of a 2xx claim answer, when it is a row with an ETag.
std::optional<json::value> claimed_representation(const std::string& body) {
  if (body.empty()) return std::nullopt;
  try {
    auto row = json::parse(body);
    if (row.is_object() && dataverse::row_etag(row)) return row;
  } catch (const json::parse_error&) {
  }
  return std::nullopt;
}

void send_claim(self_pointer self, const job_ptr& job, const std::optional<std::string>& etag) {
  const auto& m = self->state.config.mapping;
  const auto request = dataverse::claim_request(m, job->order.queue_item_id, job->order.session_id,
                                                etag, job->order.loaded_attempts);
  self->request(self->state.config.gateway, caf::infinite, call_of(request))
      .then(
          [self, job](dataverse_reply& reply) {
            job->add(reply.counters);
            switch (reply.outcome) {
              case dataverse_outcome::success:
                if (auto row = claimed_representation(reply.body))
                  return deliver_claimed(self, job, *row);
                job->claim_error =
                    "claim answer without the row (HTTP " + std::to_string(reply.status) + ")";
                return after_bodiless_success(self, job);
              case dataverse_outcome::permanent:
                if (reply.status == 412) {
                  job->claim_error = reply.message;
                  return after_precondition_failed(self, job);
                }
                if (reply.status == 404) return job->conflict({std::string(row_deleted_field)});
                return job->finish(claim_status::permanent, claim_failed_message(reply.message));
              case dataverse_outcome::transient:
              case dataverse_outcome::transient_exhausted:
                job->claim_error = reply.message;
                return after_exhaustion(self, job);
            }
          },
          [self, job](caf::error& e) {
            // The PATCH may or may not have reached Dataverse: verify, as after exhaustion.
            job->claim_error = self->system().render(e);
            after_exhaustion(self, job);
          });
}

// ---- §7 sequential write-back ------------------------------------------------------------

/// Answers `(resend_atom, milliseconds)` with `true` once the delay is over: the create loop's
/// §5 wait between a failed POST and the next key pre-query, without blocking the emitter.
struct wait_timer_state {
  std::uint64_t next = 0;
  std::map<std::uint64_t, caf::response_promise> waiting;
};

caf::behavior wait_timer(caf::stateful_actor<wait_timer_state>* self) {
  return {
      [self](resend_atom, std::uint64_t ms) -> caf::result<bool> {
        const auto id = ++self->state.next;
        self->state.waiting.emplace(id, self->make_response_promise());
        self->delayed_send(self, std::chrono::milliseconds(ms), token_atom::value, id);
        return caf::delegated<bool>();
      },
      [self](token_atom, std::uint64_t id) {
        auto it = self->state.waiting.find(id);
        if (it == self->state.waiting.end()) return;
        it->second.deliver(true);
        self->state.waiting.erase(it);
      },
  };
}

/// One write-back in progress: the order, the active baseline, the outcome being filled and
/// the promise.
struct write_job {
  emit_order order;
  caf::typed_response_promise<emit_outcome> promise;
  emit_outcome result;
  dataverse::row_baseline baseline;
  std::optional<data_quality_warning> warning;
  dataverse::owner_kind owner = dataverse::owner_kind::systemuser;

  void add(const http_counters& c) { add_counters(result.counters, c); }
  void record(crm_record_kind kind, nullable<std::string> id, crm_write_status status,
              nullable<std::string> error = {}) {
    result.results.push_back(
        {order.session_id, kind, std::move(id), order.session_id, status, std::move(error)});
  }
  void finish(emit_status status, std::string message = {}) {
    result.status = status;
    result.message = std::move(message);
    result.phone_call_done = order.phone_call_done;
    result.queue_status_done = order.queue_status_done;
    result.task_done = order.task_done;
    promise.deliver(std::move(result));
  }
  /// A failed operation: transient trouble leaves the rest for a resume, anything else is
  /// permanent.
  void fail(crm_record_kind kind, bool transient, std::string message) {
    record(kind, {}, crm_write_status::failed, message);
    finish(transient ? emit_status::resume_needed : emit_status::permanent, std::move(message));
  }
  void conflict(std::vector<std::string> fields) {
    auto message = writeback_conflict_message(order.queue_item_id, fields);
    result.conflicting_fields = std::move(fields);
    finish(emit_status::conflict, std::move(message));
  }
};
using write_ptr = std::shared_ptr<write_job>;

/// Lets the write gate journal what is done before the next write; a refusal (or a gate that
/// is gone) stops the emit without sending anything more.
template <class Next>
void checkpoint(self_pointer self, const write_ptr& job, write_point point, Next next) {
  const auto& gate = self->state.config.gate;
  if (!gate) return next();
  write_checkpoint cp{job->order.session_id, point, job->order.phone_call_done,
                      job->order.queue_status_done, job->result.results};
  self->request(gate, caf::infinite, std::move(cp))
      .then(
          [job, next](checkpoint_verdict& verdict) mutable {
            if (!verdict.proceed) return job->finish(emit_status::stopped, verdict.message);
            next();
          },
          [self, job](caf::error& e) {
            job->finish(emit_status::stopped, "write gate failed: " + self->system().render(e));
          });
}

/// A reply the gateway handed back unresent: a 429 waits its Retry-After without counting
/// against max_retries (dataverse.md §5); anything else is an ordinary transient failure.
outcome_class unresent_class(const dataverse_reply& reply) {
  return reply.status == 429 ? outcome_class::throttled : outcome_class::transient;
}

bool is_transient(dataverse_outcome o) {
  return o == dataverse_outcome::transient || o == dataverse_outcome::transient_exhausted;
}

/// Sends one request through the gateway; a failed request (the gateway gone) reads as a
/// transient exhaustion: whether it landed is unknown.
template <class Next>
void send(self_pointer self, const write_ptr& job, const dataverse::dataverse_request& request,
          bool resend_on_transient, Next next) {
  auto call = call_of(request);
  call.resend_on_transient = resend_on_transient;
  self->request(self->state.config.gateway, caf::infinite, std::move(call))
      .then(
          [job, next](dataverse_reply& reply) mutable {
            job->add(reply.counters);
            next(reply);
          },
          [self, next](caf::error& e) mutable {
            dataverse_reply reply;
            reply.outcome = dataverse_outcome::transient_exhausted;
            reply.message = self->system().render(e);
            next(reply);
          });
}

std::optional<std::string> header_of(const dataverse_reply& reply, std::string_view name) {
  for (const auto& [k, v] : reply.headers)
    if (std::equal(k.begin(), k.end(), name.begin(), name.end(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return v;
  return std::nullopt;
}

/// The queue row read (§7.1 / §7.3 re-read) reduced to writeback_logic's facts.
queue_row_facts facts_of(const dataverse::resolved_mapping& m, const write_job& job,
                         const std::optional<json::value>& row) {
  queue_row_facts f;
  if (!row) return f;
  f.found = true;
  f.applied = dataverse::status_update_applied(m, *row, job.order.plan.queue_status);
  f.differing = dataverse::baseline_conflicts(m, job.baseline, *row);
  f.etag = dataverse::row_etag(*row);
  return f;
}

/// GETs the queue row and hands its facts on; a failed read ends the emit.
template <class Next>
void read_queue_row(self_pointer self, const write_ptr& job, Next next) {
  const auto& m = self->state.config.mapping;
  send(self, job, dataverse::pre_write_read_request(m, job->order.queue_item_id), true,
       [self, job, next](const dataverse_reply& reply) mutable {
         if (reply.outcome != dataverse_outcome::success)
           return job->fail(crm_record_kind::queue_status, is_transient(reply.outcome),
                            writeback_failed_message("queue row read", reply.message));
         queue_row_facts facts;
         try {
           facts = facts_of(self->state.config.mapping, *job,
                            dataverse::first_row(json::parse(reply.body)));
         } catch (const std::exception& e) {
           return job->fail(crm_record_kind::queue_status, false,
                            writeback_failed_message("queue row read", e.what()));
         }
         next(facts);
       });
}

/// A §7.2 / §7.4 key pre-query (`entity`: `phone call` | `task`, for messages): its hit — id
/// and, when selected, statecode — or none. A failed or unreadable answer ends the emit (a hit
/// without an id is a write-back error).
template <class Next>
void key_prequery(self_pointer self, const write_ptr& job,
                  const dataverse::dataverse_request& request, std::string primary_id,
                  crm_record_kind kind, const std::string& entity, Next next) {
  send(self, job, request, true,
       [job, primary_id = std::move(primary_id), kind, step = entity + " key pre-query",
        next](const dataverse_reply& reply) mutable {
         if (reply.outcome != dataverse_outcome::success)
           return job->fail(kind, is_transient(reply.outcome),
                            writeback_failed_message(step, reply.message));
         std::optional<prequery_hit> hit;
         try {
           const auto body = json::parse(reply.body);
           if (auto id = dataverse::prequery_hit_id(body, primary_id)) {
             hit = prequery_hit{*id, std::nullopt};
             const auto row = dataverse::first_row(body);
             if (row->find("statecode")) hit->statecode = dataverse::row_statecode(*row);
           }
         } catch (const std::exception& e) {
           return job->fail(kind, false, writeback_failed_message(step, e.what()));
         }
         next(hit);
       });
}

/// One §7.2 / §7.4 create loop: key pre-query before every POST, duplicate-key read-back,
/// k counted by a retry_state (a 429 waits its Retry-After, re-queries and is not counted).
struct create_loop {
  crm_record_kind kind = crm_record_kind::phone_call_activity;
  std::string entity;  ///< for messages: `phone call` | `task`
  dataverse::dataverse_request prequery, create;
  dataverse::dataverse_request readback;
  std::string record_id;  ///< the deterministic id
  std::string primary_id, key_column;
  retry_state retry;
  /// The record: its id, whether this loop created it, its statecode when known.
  std::function<void(std::string, bool, std::optional<std::int64_t>)> found;
  explicit create_loop(retry_settings s) : retry(std::move(s)) {}
};
using loop_ptr = std::shared_ptr<create_loop>;

void prequery(self_pointer self, const write_ptr& job, const loop_ptr& loop);

void after_duplicate_key(self_pointer self, const write_ptr& job, const loop_ptr& loop) {
  send(self, job, loop->readback, true, [job, loop](const dataverse_reply& reply) {
    const auto step = loop->entity + " read-back";
    if (reply.outcome != dataverse_outcome::success)
      return job->fail(loop->kind, is_transient(reply.outcome),
                       writeback_failed_message(step, reply.message));
    std::optional<std::string> key;
    std::optional<std::int64_t> statecode;
    try {
      const auto row = json::parse(reply.body);
      if (const auto* k = row.find(loop->key_column); k && k->is_string()) key = k->as_string();
      if (row.find("statecode")) statecode = dataverse::row_statecode(row);
    } catch (const std::exception& e) {
      return job->fail(loop->kind, false, writeback_failed_message(step, e.what()));
    }
    if (!readback_is_ours(key, job->order.session_id))
      return job->fail(
          loop->kind, false,
          writeback_failed_message(step, key_mismatch_message(loop->entity, loop->record_id,
                                                              job->order.session_id, key)));
    loop->found(loop->record_id, false, statecode);
  });
}

void send_post(self_pointer self, const write_ptr& job, const loop_ptr& loop);

void post(self_pointer self, const write_ptr& job, const loop_ptr& loop) {
  if (loop->kind != crm_record_kind::task) return send_post(self, job, loop);
  checkpoint(self, job, write_point::before_task_post,
             [self, job, loop] { send_post(self, job, loop); });
}

void send_post(self_pointer self, const write_ptr& job, const loop_ptr& loop) {
  send(self, job, loop->create, false, [self, job, loop](const dataverse_reply& reply) {
    const auto step = loop->entity + " create";
    switch (reply.outcome) {
      case dataverse_outcome::success: {
        std::string id;
        try {
          id = dataverse::created_record_id(header_of(reply, "OData-EntityId"), reply.status,
                                            reply.body, loop->primary_id);
        } catch (const std::exception& e) {
          return job->fail(loop->kind, false, writeback_failed_message(step, e.what()));
        }
        return loop->found(id, true, std::nullopt);
      }
      case dataverse_outcome::permanent:
        if (dataverse::is_duplicate_key(reply.status, reply.body))
          return after_duplicate_key(self, job, loop);
        return job->fail(loop->kind, false, writeback_failed_message(step, reply.message));
      case dataverse_outcome::transient_exhausted:
        return job->fail(loop->kind, true, writeback_failed_message(step, reply.message));
      case dataverse_outcome::transient: {
        // The POST may have landed (a lost response): wait, then re-query by key (§5).
        std::optional<double> retry_after;
        if (auto h = header_of(reply, "Retry-After")) retry_after = parse_retry_after(*h);
        const auto d = loop->retry.on_outcome(unresent_class(reply), retry_after);
        if (d.action != retry_action::wait_then_resend)
          return job->fail(loop->kind, true, writeback_failed_message(step, reply.message));
        const auto ms = static_cast<std::uint64_t>(d.wait_seconds * 1000);
        self->request(self->state.wait_timer, caf::infinite, resend_atom::value, ms)
            .then([self, job, loop](bool) { prequery(self, job, loop); },
                  [job, loop, step](caf::error&) {
                    job->fail(loop->kind, true, writeback_failed_message(step, "wait failed"));
                  });
        return;
      }
    }
  });
}

void prequery(self_pointer self, const write_ptr& job, const loop_ptr& loop) {
  key_prequery(self, job, loop->prequery, loop->primary_id, loop->kind, loop->entity,
               [self, job, loop](const std::optional<prequery_hit>& hit) {
                 if (hit) return loop->found(hit->id, false, hit->statecode);
                 post(self, job, loop);
               });
}

void queue_step(self_pointer self, const write_ptr& job);
void task_step(self_pointer self, const write_ptr& job);

/// The Phone Call is done: journal it (after_phone_call), then the queue status update.
void phone_call_done(self_pointer self, const write_ptr& job, const std::string& id) {
  job->order.phone_call_done = true;
  job->record(crm_record_kind::phone_call_activity, id, crm_write_status::confirmed);
  checkpoint(self, job, write_point::after_phone_call, [self, job] { queue_step(self, job); });
}

/// §7.2 close: `If-Match: *` PATCH, not resent blindly; before resending it, and after a 4xx,
/// the statecode read decides.
void close_phone_call(self_pointer self, const write_ptr& job, const std::string& id,
                      const std::shared_ptr<retry_state>& retry);

void read_close_state(self_pointer self, const write_ptr& job, const std::string& id,
                      const std::shared_ptr<retry_state>& retry, std::string close_error,
                      bool may_close_again) {
  const auto& m = self->state.config.mapping;
  send(self, job, dataverse::phone_call_state_request(m, id), true,
       [self, job, id, retry, close_error, may_close_again](const dataverse_reply& reply) {
         const std::string step = "phone call close";
         close_state_facts facts;
         if (reply.outcome == dataverse_outcome::permanent && reply.status == 404) {
           facts.found = false;
         } else if (reply.outcome != dataverse_outcome::success) {
           return job->fail(crm_record_kind::phone_call_activity, is_transient(reply.outcome),
                            writeback_failed_message(step, reply.message));
         } else {
           try {
             facts.statecode = dataverse::row_statecode(json::parse(reply.body));
           } catch (const std::exception& e) {
             return job->fail(crm_record_kind::phone_call_activity, false,
                              writeback_failed_message(step, e.what()));
           }
         }
         switch (decide_close_state(facts)) {
           case close_step::closed:
             return phone_call_done(self, job, id);
           case close_step::record_gone:
             return job->fail(crm_record_kind::phone_call_activity, false,
                              writeback_failed_message(step, "phone call '" + id + "' is gone"));
           case close_step::close_again:
             if (!may_close_again)
               return job->fail(crm_record_kind::phone_call_activity, false,
                                writeback_failed_message(step, close_error));
             return close_phone_call(self, job, id, retry);
         }
       });
}

void close_phone_call(self_pointer self, const write_ptr& job, const std::string& id,
                      const std::shared_ptr<retry_state>& retry) {
  const auto& m = self->state.config.mapping;
  send(self, job, dataverse::phone_call_close_request(m, id), false,
       [self, job, id, retry](const dataverse_reply& reply) {
         switch (reply.outcome) {
           case dataverse_outcome::success:
             return phone_call_done(self, job, id);
           case dataverse_outcome::permanent:
             return read_close_state(self, job, id, retry, reply.message, false);
           case dataverse_outcome::transient_exhausted:
             return job->fail(crm_record_kind::phone_call_activity, true,
                              writeback_failed_message("phone call close", reply.message));
           case dataverse_outcome::transient: {
             std::optional<double> retry_after;
             if (auto h = header_of(reply, "Retry-After")) retry_after = parse_retry_after(*h);
             const auto d = retry->on_outcome(unresent_class(reply), retry_after);
             if (d.action != retry_action::wait_then_resend)
               return job->fail(crm_record_kind::phone_call_activity, true,
                                writeback_failed_message("phone call close", reply.message));
             const auto ms = static_cast<std::uint64_t>(d.wait_seconds * 1000);
             self->request(self->state.wait_timer, caf::infinite, resend_atom::value, ms)
                 .then([self, job, id, retry, msg = reply.message](
                           bool) { read_close_state(self, job, id, retry, msg, true); },
                       [job](caf::error&) {
                         job->fail(crm_record_kind::phone_call_activity, true,
                                   writeback_failed_message("phone call close", "wait failed"));
                       });
             return;
           }
         }
       });
}

void phone_call_step(self_pointer self, const write_ptr& job) {
  const auto& plan = job->order.plan;
  if (job->order.phone_call_done || !plan.phone_call_activity) {
    job->order.phone_call_done = true;
    return queue_step(self, job);
  }
  const auto& m = self->state.config.mapping;
  auto loop = std::make_shared<create_loop>(self->state.config.retry);
  try {
    loop->kind = crm_record_kind::phone_call_activity;
    loop->entity = "phone call";
    loop->prequery = dataverse::phone_call_prequery_request(m, job->order.session_id);
    loop->create = dataverse::phone_call_create_request(m, *plan.phone_call_activity);
    loop->record_id = deterministic_record_id(job->order.session_id, "phonecall");
    loop->readback = dataverse::phone_call_readback_request(m, loop->record_id);
    loop->primary_id = m.phone_call.primary_id;
    loop->key_column = m.required_column("phone_call.idempotency_key");
  } catch (const std::exception& e) {
    return job->fail(loop->kind, false, writeback_failed_message("phone call", e.what()));
  }
  loop->found = [self, job](std::string id, bool created, std::optional<std::int64_t> state) {
    if (!needs_close(created, state)) return phone_call_done(self, job, id);
    close_phone_call(self, job, id, std::make_shared<retry_state>(self->state.config.retry));
  };
  prequery(self, job, loop);
}

void queue_done(self_pointer self, const write_ptr& job) {
  job->order.queue_status_done = true;
  job->record(crm_record_kind::queue_status, job->order.queue_item_id, crm_write_status::confirmed);
  checkpoint(self, job, write_point::after_queue_update, [self, job] { task_step(self, job); });
}

/// §7.3: the PATCH guarded by the active baseline's ETag; a 412 is re-read.
void queue_step(self_pointer self, const write_ptr& job) {
  if (job->order.queue_status_done) return task_step(self, job);
  const auto& m = self->state.config.mapping;
  dataverse::dataverse_request request;
  try {
    request = dataverse::queue_status_update_request(m, job->order.plan.queue_status,
                                                     job->baseline.etag, job->warning);
  } catch (const std::exception& e) {
    return job->fail(crm_record_kind::queue_status, false,
                     writeback_failed_message("queue status update", e.what()));
  }
  send(self, job, request, true, [self, job](const dataverse_reply& reply) {
    if (reply.outcome == dataverse_outcome::success) return queue_done(self, job);
    if (reply.outcome == dataverse_outcome::permanent && reply.status == 404)
      return job->conflict({std::string(row_deleted_field)});
    if (reply.outcome == dataverse_outcome::permanent && reply.status == 412)
      return read_queue_row(self, job, [self, job](const queue_row_facts& facts) {
        const auto d = decide_after_status_412(facts);
        if (d.step == queue_row_step::already_applied) return queue_done(self, job);
        job->conflict(d.conflicting_fields);
      });
    job->fail(crm_record_kind::queue_status, is_transient(reply.outcome),
              writeback_failed_message("queue status update", reply.message));
  });
}

void task_step(self_pointer self, const write_ptr& job) {
  const auto& plan = job->order.plan;
  if (job->order.task_done || !task_allowed(plan)) {
    job->order.task_done = true;
    return job->finish(emit_status::completed);
  }
  const auto& m = self->state.config.mapping;
  auto loop = std::make_shared<create_loop>(self->state.config.retry);
  try {
    loop->kind = crm_record_kind::task;
    loop->entity = "task";
    loop->prequery = dataverse::task_prequery_request(m, job->order.session_id);
    loop->create = dataverse::task_create_request(m, *plan.task, job->owner);
    loop->record_id = deterministic_record_id(job->order.session_id, "task");
    loop->readback = dataverse::task_readback_request(m, loop->record_id);
    loop->primary_id = m.task.primary_id;
    loop->key_column = m.required_column("task.idempotency_key");
  } catch (const std::exception& e) {
    return job->fail(loop->kind, false, writeback_failed_message("task", e.what()));
  }
  loop->found = [job](std::string id, bool, std::optional<std::int64_t>) {
    job->order.task_done = true;
    job->record(crm_record_kind::task, id, crm_write_status::confirmed);
    job->finish(emit_status::completed);
  };
  prequery(self, job, loop);
}

/// §7.1, unless the queue update is done: applied → done; a conflict stops before any create.
void pre_write_read(self_pointer self, const write_ptr& job) {
  if (job->order.queue_status_done) return phone_call_step(self, job);
  read_queue_row(self, job, [self, job](const queue_row_facts& facts) {
    const auto d = decide_pre_write_read(facts, job->baseline.etag);
    switch (d.step) {
      case queue_row_step::already_applied:
        job->order.queue_status_done = true;
        job->record(crm_record_kind::queue_status, job->order.queue_item_id,
                    crm_write_status::confirmed);
        return phone_call_step(self, job);
      case queue_row_step::proceed:
        return phone_call_step(self, job);
      case queue_row_step::conflict:
        return job->conflict(d.conflicting_fields);
    }
  });
}

// ---- §7.5 $batch write-back ----------------------------------------------------------------

/// One `$batch` write-back: the change set (built once and resent as is — its ids are
/// deterministic), the checks' requests and the §5 budget of the resends.
struct batch_run {
  dataverse::dataverse_request request;
  std::size_t operations = 0;
  bool with_task = false;     ///< the Task POST is part of the change set
  std::string phone_call_id;  ///< the deterministic ids the change set creates
  std::string task_id;
  dataverse::dataverse_request phone_call_prequery, task_prequery;
  retry_state retry;
  explicit batch_run(retry_settings s) : retry(std::move(s)) {}
};
using batch_ptr = std::shared_ptr<batch_run>;

/// Nothing is done when the batch fails, so every operation of it failed alike; transient
/// trouble leaves the whole write-back for a resume (which re-queries before it writes).
void fail_batch(const write_ptr& job, const batch_ptr& batch, bool transient,
                const std::string& error) {
  const auto message = writeback_failed_message("$batch", error);
  job->record(crm_record_kind::phone_call_activity, {}, crm_write_status::failed, message);
  job->record(crm_record_kind::queue_status, {}, crm_write_status::failed, message);
  if (batch->with_task) job->record(crm_record_kind::task, {}, crm_write_status::failed, message);
  job->finish(transient ? emit_status::resume_needed : emit_status::permanent, message);
}

/// Every operation is on Dataverse (the change set committed, or the checks found it all).
void complete_batch(const write_ptr& job, const std::string& phone_call_id,
                    const std::optional<std::string>& task_id) {
  job->order.phone_call_done = true;
  job->record(crm_record_kind::phone_call_activity, phone_call_id, crm_write_status::confirmed);
  job->order.queue_status_done = true;
  job->record(crm_record_kind::queue_status, job->order.queue_item_id, crm_write_status::confirmed);
  if (task_id) job->record(crm_record_kind::task, *task_id, crm_write_status::confirmed);
  job->order.task_done = true;  // written, or none to write
  job->finish(emit_status::completed);
}

/// Part of the write-back is there: the sequential path does the rest, each create loop
/// re-querying by key first, so nothing is created twice.
void finish_sequentially(self_pointer self, const write_ptr& job, bool queue_status_applied) {
  if (queue_status_applied) {
    job->order.queue_status_done = true;
    job->record(crm_record_kind::queue_status, job->order.queue_item_id,
                crm_write_status::confirmed);
  }
  phone_call_step(self, job);
}

/// §7.5's checks: the §7.1 read, then both key pre-queries (the Task's when it is in the
/// change set). A conflict on the row stops before the pre-queries: nothing follows it.
template <class Next>
void run_batch_checks(self_pointer self, const write_ptr& job, const batch_ptr& batch, Next next) {
  read_queue_row(self, job, [self, job, batch, next](const queue_row_facts& facts) mutable {
    auto checks = std::make_shared<batch_checks>();
    checks->queue_row = decide_pre_write_read(facts, job->baseline.etag);
    checks->task_planned = batch->with_task;
    if (checks->queue_row.step == queue_row_step::conflict) return next(*checks);
    const auto& m = self->state.config.mapping;
    key_prequery(self, job, batch->phone_call_prequery, m.phone_call.primary_id,
                 crm_record_kind::phone_call_activity, "phone call",
                 [self, job, batch, checks, next](const std::optional<prequery_hit>& hit) mutable {
                   checks->phone_call = hit;
                   if (!checks->task_planned) return next(*checks);
                   key_prequery(self, job, batch->task_prequery,
                                self->state.config.mapping.task.primary_id, crm_record_kind::task,
                                "task",
                                [checks, next](const std::optional<prequery_hit>& task) mutable {
                                  checks->task = task;
                                  next(*checks);
                                });
                 });
  });
}

void send_batch(self_pointer self, const write_ptr& job, const batch_ptr& batch);

void follow_batch_checks(self_pointer self, const write_ptr& job, const batch_ptr& batch,
                         const batch_checks& checks) {
  const auto d = decide_batch_checks(checks);
  switch (d.step) {
    case batch_check_step::send_batch:
      return send_batch(self, job, batch);
    case batch_check_step::all_applied:
      return complete_batch(
          job, checks.phone_call->id,
          checks.task ? std::optional<std::string>(checks.task->id) : std::nullopt);
    case batch_check_step::finish_sequentially:
      return finish_sequentially(self, job,
                                 checks.queue_row.step == queue_row_step::already_applied);
    case batch_check_step::conflict:
      return job->conflict(d.conflicting_fields);
  }
}

/// A transient or lost answer: the change set may have committed. Within the §5 budget (a 429
/// waits its Retry-After without counting) wait, then check again what is applied.
void check_batch_again(self_pointer self, const write_ptr& job, const batch_ptr& batch,
                       const dataverse_reply& reply, outcome_class failure,
                       const std::string& error) {
  std::optional<double> retry_after;
  if (auto h = header_of(reply, "Retry-After")) retry_after = parse_retry_after(*h);
  const auto d = batch->retry.on_outcome(failure, retry_after);
  if (d.action != retry_action::wait_then_resend) return fail_batch(job, batch, true, error);
  const auto ms = static_cast<std::uint64_t>(d.wait_seconds * 1000);
  self->request(self->state.wait_timer, caf::infinite, resend_atom::value, ms)
      .then(
          [self, job, batch](bool) {
            run_batch_checks(self, job, batch, [self, job, batch](const batch_checks& checks) {
              follow_batch_checks(self, job, batch, checks);
            });
          },
          [job, batch](caf::error&) { fail_batch(job, batch, true, "wait failed"); });
}

/// One `POST $batch`, never resent by the gateway (§5); its answer is read as multipart
/// whatever its status (§7.5).
void send_batch(self_pointer self, const write_ptr& job, const batch_ptr& batch) {
  send(self, job, batch->request, false, [self, job, batch](const dataverse_reply& reply) {
    batch_answer_facts facts;
    facts.outcome = reply.outcome;
    facts.status = reply.status;
    std::string error = reply.message;
    if (reply.outcome == dataverse_outcome::success ||
        reply.outcome == dataverse_outcome::permanent) {
      try {
        const auto answer = dataverse::batch_answer_outcome(
            reply.status, header_of(reply, "Content-Type").value_or(""), reply.body,
            batch->operations);
        facts.all_succeeded = answer.success;
        facts.status = answer.status;
        facts.duplicate_key = dataverse::is_duplicate_key(answer.status, answer.body);
        if (error.empty() || answer.status != reply.status)
          error = batch_part_failure_message(answer.status);
      } catch (const std::exception& e) {
        facts.readable = false;
        error = e.what();
      }
    }
    switch (decide_batch_answer(facts)) {
      case batch_answer_step::completed:
        return complete_batch(
            job, batch->phone_call_id,
            batch->with_task ? std::optional<std::string>(batch->task_id) : std::nullopt);
      case batch_answer_step::reread_queue_row:
        // The change set rolled back: only the status update can be on the row already (an
        // earlier batch whose answer was lost); the re-read tells that from an edit.
        return read_queue_row(self, job, [self, job](const queue_row_facts& row) {
          const auto d = decide_after_status_412(row);
          if (d.step == queue_row_step::already_applied)
            return finish_sequentially(self, job, true);
          job->conflict(d.conflicting_fields);
        });
      case batch_answer_step::check_again:
        return check_batch_again(self, job, batch, reply,
                                 reply.outcome == dataverse_outcome::transient
                                     ? unresent_class(reply)
                                     : classify_status(facts.status),
                                 error);
      case batch_answer_step::finish_sequentially:
        return finish_sequentially(self, job, false);
      case batch_answer_step::resume_needed:
        return fail_batch(job, batch, true, error);
      case batch_answer_step::permanent:
        return fail_batch(job, batch, false, error);
    }
  });
}

/// §7.5: builds the change set (a plan it cannot be built from fails before any request),
/// then the checks decide whether it is sent.
void batch_write_back(self_pointer self, const write_ptr& job) {
  const auto& m = self->state.config.mapping;
  const auto& plan = job->order.plan;
  auto batch = std::make_shared<batch_run>(self->state.config.retry);
  try {
    const auto& call = *plan.phone_call_activity;
    batch->phone_call_id = deterministic_record_id(call.session_id, "phonecall");
    std::vector<dataverse::dataverse_request> ops{
        dataverse::phone_call_create_request(m, call),
        dataverse::phone_call_close_request(m, batch->phone_call_id),
        dataverse::queue_status_update_request(m, plan.queue_status, job->baseline.etag,
                                               job->warning)};
    batch->with_task = task_allowed(plan) && !job->order.task_done;
    if (batch->with_task) {
      ops.push_back(dataverse::task_create_request(m, *plan.task, job->owner));
      batch->task_id = deterministic_record_id(plan.task->session_id, "task");
      batch->task_prequery = dataverse::task_prequery_request(m, job->order.session_id);
    }
    batch->phone_call_prequery = dataverse::phone_call_prequery_request(m, job->order.session_id);
    batch->operations = ops.size();
    batch->request = dataverse::batch_request(job->order.session_id, ops);
  } catch (const std::exception& e) {
    return fail_batch(job, batch, false, e.what());
  }
  run_batch_checks(self, job, batch, [self, job, batch](const batch_checks& checks) {
    follow_batch_checks(self, job, batch, checks);
  });
}

/// `code:message` → the warning (split at the first ':'); "" → none.
std::optional<data_quality_warning> warning_of(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const auto colon = text.find(':');
  if (colon == std::string::npos) return data_quality_warning{text, "", ""};
  return data_quality_warning{text.substr(0, colon), "", text.substr(colon + 1)};
}

}  // namespace

dataverse_emitter_actor::behavior_type dataverse_emitter(self_pointer self,
                                                         dataverse_emitter_config config) {
  self->state.config = std::move(config);
  self->state.wait_timer = self->spawn<caf::linked>(wait_timer);
  return {
      [self](claim_order& order) -> caf::result<claim_outcome> {
        auto job = std::make_shared<claim_job>();
        job->promise = self->make_response_promise<claim_outcome>();
        job->order = std::move(order);
        auto promise = job->promise;
        // Everything that can be wrong with the order is found before the first request: a
        // claim that was never sent has not landed (failed).
        try {
          const auto& m = self->state.config.mapping;
          job->columns = columns_of(m);
          job->loaded_row = json::parse(job->order.row_json);
          if (!job->loaded_row.is_object())
            throw dataverse::response_error("the loaded row is not a JSON object");
          job->loaded = dataverse::baseline_from_row(m, job->loaded_row);
          // Builds (and so validates) the request once before any state is touched.
          (void)dataverse::claim_request(m, job->order.queue_item_id, job->order.session_id,
                                         job->loaded.etag, job->order.loaded_attempts);
        } catch (const std::exception& e) {
          job->finish(claim_status::failed, claim_failed_message(e.what()));
          return promise;
        }
        send_claim(self, job, job->loaded.etag);
        return promise;
      },
      [self](emit_order& order) -> caf::result<emit_outcome> {
        auto job = std::make_shared<write_job>();
        job->promise = self->make_response_promise<emit_outcome>();
        job->order = std::move(order);
        auto promise = job->promise;
        // A baseline or owner that cannot be used is found before the first request.
        try {
          const auto& m = self->state.config.mapping;
          const auto row = json::parse(job->order.baseline_row_json);
          if (!row.is_object())
            throw dataverse::response_error("the active baseline row is not a JSON object");
          job->baseline = dataverse::baseline_from_row(m, row);
          job->warning = warning_of(job->order.session_warning);
          if (job->order.task_owner_set == "teams")
            job->owner = dataverse::owner_kind::team;
          else if (job->order.task_owner_set == "systemusers" || job->order.task_owner_set.empty())
            job->owner = dataverse::owner_kind::systemuser;
          else
            throw std::invalid_argument("task owner set '" + job->order.task_owner_set +
                                        "' is neither systemusers nor teams");
        } catch (const std::exception& e) {
          job->finish(emit_status::permanent,
                      writeback_failed_message("write-back order", e.what()));
          return promise;
        }
        if (batch_applies(job->order))
          batch_write_back(self, job);
        else
          pre_write_read(self, job);
        return promise;
      },
  };
}

}  // namespace opencloser
