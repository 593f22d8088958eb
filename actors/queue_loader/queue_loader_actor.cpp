#include "actors/queue_loader/queue_loader_actor.hpp"

#include <caf/typed_response_promise.hpp>

#include "actors/common/ids.hpp"
#include "actors/dataverse_gateway/dataverse_calls.hpp"
#include "actors/queue_loader/eligibility.hpp"
#include "actors/supervisor/session_simulation.hpp"
#include "adapters/dataverse/dataverse_requests.hpp"
#include "adapters/dataverse/dataverse_responses.hpp"

namespace opencloser {

namespace {

using self_pointer = queue_loader_actor::stateful_pointer<queue_loader_state>;
using promise_type = caf::typed_response_promise<load_result>;

/// One load in progress: the order, the promise, and the counters of its requests.
struct load_job {
  load_order order;
  promise_type promise;
  load_result result;

  void add(const http_counters& c) { add_counters(result.counters, c); }
  void finish(load_status status, std::string message = {}) {
    result.status = status;
    result.message = std::move(message);
    promise.deliver(std::move(result));
  }
  void fail(const std::string& detail) {
    finish(load_status::failed, "queue loader error: " + detail);
  }
};
using job_ptr = std::shared_ptr<load_job>;

/// Sends `request` and continues with the parsed body, or fails the job.
template <class Next>
void fetch(self_pointer self, const job_ptr& job, const dataverse::dataverse_request& request,
           Next next) {
  self->request(self->state.config.gateway, caf::infinite, call_of(request))
      .then(
          [job, next](dataverse_reply& reply) mutable {
            job->add(reply.counters);
            if (reply.outcome != dataverse_outcome::success) return job->fail(reply.message);
            json::value body;
            try {
              body = json::parse(reply.body);
            } catch (const std::exception& e) {
              return job->fail(std::string("unreadable answer (") + e.what() + ")");
            }
            next(std::move(body));
          },
          [job, self](caf::error& e) { job->fail(self->system().render(e)); });
}

/// The loaded row → queue item, facility name, warnings, eligibility; then the reply.
void evaluate(self_pointer self, const job_ptr& job, json::value row, std::string facility_name,
              dataverse::loaded_queue_row parsed) {
  auto& c = self->state.config;
  auto& r = job->result;
  r.item = std::move(parsed.item);
  r.item.facility_name = std::move(facility_name);
  r.owner_override = parsed.owner_override.value_or("");
  r.row_json = json::write_compact(row);
  if (auto warning = phone_warning(r.item)) r.warnings.push_back(std::move(*warning));
  r.decision = evaluate_eligibility(r.item, c.window, c.rules, *c.zones, c.clock.now(),
                                    job->order.decision_id, job->order.session_id);
  job->finish(load_status::loaded);
}

void load_row(self_pointer self, const job_ptr& job, json::value row) {
  auto& m = self->state.config.mapping;
  dataverse::loaded_queue_row parsed;
  try {
    parsed = dataverse::parse_queue_row(m, row);
  } catch (const std::exception& e) {
    return job->fail(e.what());
  }
  // Facility name: the account's primary name, its raw id when the account is missing, ""
  // without a lookup value or a name table (dataverse.md §4).
  if (!parsed.facility_account_id || !m.name_table)
    return evaluate(self, job, std::move(row), "", std::move(parsed));
  auto& names = self->state.facility_names;
  if (auto it = names.find(*parsed.facility_account_id); it != names.end())
    return evaluate(self, job, std::move(row), it->second, std::move(parsed));
  dataverse::dataverse_request request;
  try {
    request = dataverse::facility_name_request(m, *parsed.facility_account_id);
  } catch (const std::exception& e) {
    return job->fail(e.what());
  }
  fetch(self, job, request,
        [self, job, row = std::move(row), parsed = std::move(parsed)](json::value body) mutable {
          const auto raw = *parsed.facility_account_id;
          auto name = dataverse::facility_name_from(self->state.config.mapping, body, raw);
          self->state.facility_names.emplace(raw, name);
          evaluate(self, job, std::move(row), std::move(name), std::move(parsed));
        });
}

void load_next_ready(self_pointer self, const job_ptr& job) {
  auto& m = self->state.config.mapping;
  const auto campaign = job->order.campaign;
  dataverse::dataverse_request next, probe;
  try {
    next = dataverse::queue_next_ready_request(m, campaign);
    probe = dataverse::campaign_probe_request(m, campaign);
  } catch (const std::exception& e) {
    return job->fail(e.what());
  }
  fetch(self, job, next, [self, job, probe, campaign](json::value body) {
    if (auto row = dataverse::first_row(body)) return load_row(self, job, std::move(*row));
    // Empty: an unknown campaign fails, a known one simply has nothing ready.
    fetch(self, job, probe, [job, campaign](json::value probe_body) {
      if (dataverse::first_row(probe_body))
        return job->finish(load_status::no_callable_item, "no callable queue item");
      job->finish(load_status::failed, "configured_campaign_not_found: campaign '" + campaign +
                                           "' has zero queue items in Dataverse");
    });
  });
}

/// One page in progress: the result being filled and the promise.
struct page_job {
  page_result result;
  caf::typed_response_promise<page_result> promise;
  void finish(page_status status, std::string message = {}) {
    result.status = status;
    result.message = std::move(message);
    promise.deliver(std::move(result));
  }
  void fail(const std::string& detail) {
    finish(page_status::failed, "queue loader error: " + detail);
  }
};

/// An empty first page: the campaign exists (nothing ready) or it is unknown.
void probe_campaign(self_pointer self, const std::shared_ptr<page_job>& job,
                    const std::string& campaign) {
  auto& m = self->state.config.mapping;
  self->request(self->state.config.gateway, caf::infinite,
                call_of(dataverse::campaign_probe_request(m, campaign)))
      .then(
          [job, campaign](dataverse_reply& probe) {
            add_counters(job->result.counters, probe.counters);
            if (probe.outcome != dataverse_outcome::success) return job->fail(probe.message);
            try {
              if (dataverse::first_row(json::parse(probe.body)))
                return job->finish(page_status::no_callable_item);
            } catch (const std::exception& e) {
              return job->fail(e.what());
            }
            job->finish(page_status::failed, "configured_campaign_not_found: campaign '" +
                                                 campaign + "' has zero queue items in Dataverse");
          },
          [self, job](caf::error& e) { job->fail(self->system().render(e)); });
}

/// One page of ready rows; an empty first page asks whether the campaign exists at all.
void fetch_page(self_pointer self, page_order order,
                caf::typed_response_promise<page_result> promise) {
  auto& m = self->state.config.mapping;
  auto job = std::make_shared<page_job>();
  job->promise = std::move(promise);
  dataverse::dataverse_request request;
  try {
    request = order.next_link.empty()
                  ? dataverse::queue_next_ready_request(m, order.campaign, order.page_size)
                  : dataverse::next_page_request(self->state.config.service_root_url,
                                                 order.next_link, order.page_size);
  } catch (const std::exception& e) {
    return job->fail(e.what());
  }
  const bool first = order.next_link.empty();
  self->request(self->state.config.gateway, caf::infinite, call_of(request))
      .then(
          [self, job, first, campaign = order.campaign](dataverse_reply& reply) {
            add_counters(job->result.counters, reply.counters);
            if (reply.outcome != dataverse_outcome::success) return job->fail(reply.message);
            try {
              const auto body = json::parse(reply.body);
              const auto& pk = self->state.config.mapping.queue.primary_id;
              for (const auto& row : dataverse::collection_rows(body)) {
                const auto* id = row.find(pk);
                if (!id || !id->is_string() || !is_guid(id->as_string()))
                  return job->fail("paged row without a GUID primary id ('" + pk + "')");
                job->result.ids.push_back(canonical_guid(id->as_string()));
                job->result.rows.push_back(json::write_compact(row));
              }
              if (const auto* link = body.find("@odata.nextLink"); link && link->is_string())
                job->result.next_link = link->as_string();
            } catch (const std::exception& e) {
              return job->fail(std::string("unreadable page (") + e.what() + ")");
            }
            if (!first || !job->result.rows.empty()) return job->finish(page_status::rows);
            probe_campaign(self, job, campaign);
          },
          [self, job](caf::error& e) { job->fail(self->system().render(e)); });
}

}  // namespace

queue_loader_actor::behavior_type queue_loader(self_pointer self, queue_loader_config config) {
  self->state.config = std::move(config);
  return {
      [self](load_order& order) -> caf::result<load_result> {
        auto job = std::make_shared<load_job>();
        job->promise = self->make_response_promise<load_result>();
        job->order = std::move(order);
        auto promise = job->promise;
        if (!job->order.row_json.empty()) {
          try {
            load_row(self, job, json::parse(job->order.row_json));
          } catch (const std::exception& e) {
            job->fail(std::string("unreadable paged row (") + e.what() + ")");
          }
          return promise;
        }
        if (job->order.queue_item_id.empty()) {
          load_next_ready(self, job);
          return promise;
        }
        if (!is_guid(job->order.queue_item_id)) {
          job->fail("queue item id '" + job->order.queue_item_id + "' is not a GUID");
          return promise;
        }
        fetch(self, job,
              dataverse::queue_load_by_id_request(self->state.config.mapping,
                                                  job->order.queue_item_id),
              [self, job](json::value body) {
                if (auto row = dataverse::first_row(body))
                  return load_row(self, job, std::move(*row));
                job->finish(load_status::no_callable_item, "no callable queue item");
              });
        return promise;
      },
      [self](page_order& order) -> caf::result<page_result> {
        auto promise = self->make_response_promise<page_result>();
        fetch_page(self, std::move(order), promise);
        return promise;
      },
  };
}

}  // namespace opencloser
