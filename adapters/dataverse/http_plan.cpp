#include "adapters/dataverse/http_plan.hpp"

#include <stdexcept>

#include "actors/common/ids.hpp"

namespace opencloser::dataverse {

std::string_view step_condition(std::string_view step) {
  if (step == "claim" || step == "pre_write_read" || step == "phone_call_prequery" ||
      step == "task_prequery")
    return "always";
  if (step == "phone_call_create" || step == "task_create" || step == "batch")
    return "if_prequery_empty";
  if (step == "phone_call_close") return "if_not_closed";
  if (step == "queue_status_update") return "if_not_applied";
  throw std::invalid_argument("'" + std::string(step) + "' is not an http-plan step");
}

std::vector<dataverse_request> planned_requests(const http_plan_facts& f) {
  if (!f.mapping || !f.plan) throw std::invalid_argument("http plan needs a mapping and a plan");
  const auto& m = *f.mapping;
  const auto& plan = *f.plan;
  std::vector<dataverse_request> out;
  if (f.path == plan_path::blocked_in_progress) return out;

  if (f.path == plan_path::blocked) {
    // The blocked-path PATCH is always a plain request, also in batch mode (§7.5).
    out.push_back(pre_write_read_request(m, f.queue_item_id));
    out.push_back(
        queue_status_update_request(m, plan.queue_status, f.load_etag, f.session_warning));
    return out;
  }

  if (f.mode == run_mode::dry_run)
    out.push_back(claim_request(m, f.queue_item_id, f.session_id, f.load_etag, f.loaded_attempts));
  out.push_back(pre_write_read_request(m, f.queue_item_id));

  const std::optional<std::string> status_etag =
      f.mode == run_mode::dry_run ? std::optional<std::string>(etag_after_claim_placeholder)
                                  : f.claim_etag;
  const auto status_update =
      queue_status_update_request(m, plan.queue_status, status_etag, f.session_warning);
  std::optional<dataverse_request> phone_create, phone_close, task_create;
  if (plan.phone_call_activity) {
    phone_create = phone_call_create_request(m, *plan.phone_call_activity);
    phone_close = phone_call_close_request(
        m, deterministic_record_id(plan.phone_call_activity->session_id, "phonecall"));
  }
  if (plan.task) task_create = task_create_request(m, *plan.task, f.task_owner);

  if (f.batch) {
    if (phone_create) out.push_back(phone_call_prequery_request(m, f.session_id));
    if (task_create) out.push_back(task_prequery_request(m, f.session_id));
    std::vector<dataverse_request> ops;
    if (phone_create) ops.insert(ops.end(), {*phone_create, *phone_close});
    ops.push_back(status_update);
    if (task_create) ops.push_back(*task_create);
    out.push_back(batch_request(f.session_id, ops));
    return out;
  }

  if (phone_create) {
    out.push_back(phone_call_prequery_request(m, f.session_id));
    out.push_back(*phone_create);
    out.push_back(*phone_close);
  }
  out.push_back(status_update);
  if (task_create) {
    out.push_back(task_prequery_request(m, f.session_id));
    out.push_back(*task_create);
  }
  return out;
}

json::value http_plan_json(const http_plan_facts& f, const std::vector<dataverse_request>& requests,
                           std::string_view product_version) {
  json::array items;
  std::int64_t seq = 0;
  for (const auto& r : requests) {
    json::object headers;
    for (auto& [name, value] : plan_headers(r, product_version))
      headers.emplace_back(std::move(name), std::move(value));
    json::value body = nullptr;
    if (r.json_body)
      body = *r.json_body;
    else if (!r.raw_body.empty())
      body = r.raw_body;
    items.push_back(json::object{{"seq", ++seq},
                                 {"step", r.step},
                                 {"condition", step_condition(r.step)},
                                 {"method", r.method},
                                 {"url", r.plan_url},
                                 {"headers", std::move(headers)},
                                 {"body", std::move(body)}});
  }
  return json::object{{"base_url", "<env>/api/data/v9.2/"},
                      {"queue_item_id", f.queue_item_id},
                      {"requests", std::move(items)},
                      {"run_mode", to_string(f.mode)},
                      {"schema_version", http_plan_schema_version},
                      {"session_id", f.session_id},
                      {"writeback_mode", f.batch ? "batch" : "sequential"}};
}

}  // namespace opencloser::dataverse
