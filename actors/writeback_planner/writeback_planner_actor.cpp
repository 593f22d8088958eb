#include "actors/writeback_planner/writeback_planner_actor.hpp"

#include <memory>

#include "actors/call_simulator/persona.hpp"
#include "actors/common/version.hpp"
#include "actors/writeback_planner/writeback_plan.hpp"
#include "adapters/dataverse/http_plan.hpp"

namespace opencloser {

namespace {

dataverse::plan_path path_of(const plan_order& order) {
  if (order.decision.outcome != eligibility_outcome::block) return dataverse::plan_path::allowed;
  return order.item.status == callable_status::in_progress
             ? dataverse::plan_path::blocked_in_progress
             : dataverse::plan_path::blocked;
}

plan_result plan(const dataverse::resolved_mapping& mapping, const plan_order& order) {
  session_facts facts;
  facts.session_id = order.session_id;
  facts.item = order.item;
  facts.started_at = order.started_at;
  facts.ended_at = order.ended_at;
  facts.now = order.now;
  facts.decision = &order.decision;
  facts.call = order.call ? &*order.call : nullptr;
  facts.persona_version = std::string(persona_version);  // readiness checked the config's
  facts.transcript_written = order.transcript_written;

  plan_result out;
  out.result = build_normalized_result(facts);
  out.plan = plan_writeback(facts, out.result, {order.callback_owner, order.review_owner},
                            [&] { return order.task_id; });
  out.keys = session_idempotency_keys(facts, out.plan);
  out.attempts_after = attempts_after(facts);

  dataverse::http_plan_facts hp;
  hp.mapping = &mapping;
  hp.plan = &out.plan;
  hp.session_id = order.session_id;
  hp.queue_item_id = order.item.queue_item_id;
  hp.mode = order.mode;
  hp.batch = order.batch;
  hp.path = path_of(order);
  if (order.load_etag) hp.load_etag = *order.load_etag;
  hp.loaded_attempts = order.item.attempt_count;
  if (order.claim_etag) hp.claim_etag = *order.claim_etag;
  hp.task_owner = order.task_owner_set == "teams" ? dataverse::owner_kind::team
                                                  : dataverse::owner_kind::systemuser;
  if (order.session_warning) hp.session_warning = *order.session_warning;
  try {
    out.http_plan_json = json::write_compact(
        dataverse::http_plan_json(hp, dataverse::planned_requests(hp), product_version));
  } catch (const std::exception& e) {
    out.message = std::string("write-back planning failed: ") + e.what();
  }
  return out;
}

}  // namespace

writeback_planner_actor::behavior_type writeback_planner(writeback_planner_actor::pointer,
                                                         dataverse::resolved_mapping mapping) {
  auto shared = std::make_shared<const dataverse::resolved_mapping>(std::move(mapping));
  return {
      [shared](const plan_order& order) { return plan(*shared, order); },
  };
}

}  // namespace opencloser
