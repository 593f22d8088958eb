#include "actors/dataverse_emitter/dataverse_emitter_actor.hpp"

#include <caf/typed_response_promise.hpp>

#include <memory>

#include "actors/dataverse_emitter/claim_logic.hpp"
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

  void add(const http_counters& c) {
    auto& t = result.counters;
    t.requests += c.requests;
    t.retries += c.retries;
    t.throttled += c.throttled;
    t.token_requests += c.token_requests;
    t.writes += c.writes;
  }
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

dataverse_call call_of(const dataverse::dataverse_request& r) {
  return {r.step, r.method, r.relative_url, r.headers, r.body_text(), true};
}

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

}  // namespace

dataverse_emitter_actor::behavior_type dataverse_emitter(self_pointer self,
                                                         dataverse_emitter_config config) {
  self->state.config = std::move(config);
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
  };
}

}  // namespace opencloser
