#include "actors/supervisor/session_records.hpp"

#include "adapters/dataverse/dataverse_responses.hpp"

namespace opencloser {

namespace {

nullable<std::string> text_or_null(const json::value& v) {
  if (v.is_string()) return v.as_string();
  return {};
}

}  // namespace

queue_baseline queue_baseline_of(const dataverse::resolved_mapping& m, const std::string& row_json,
                                 const std::string& session_id, const std::string& queue_item_id,
                                 const std::string& captured_at, baseline_phase phase) {
  const auto row = json::parse(row_json);
  const auto b = dataverse::baseline_from_row(m, row);
  queue_baseline out;
  out.session_id = session_id;
  out.queue_item_id = queue_item_id;
  out.captured_at = captured_at;
  out.phase = phase;
  out.status_value = b.status;
  out.last_session_id = text_or_null(b.last_session_id);
  out.last_disposition = text_or_null(b.last_disposition);
  if (b.etag) out.etag = *b.etag;
  for (const auto& [column, value] : b.preserve) out.preserve_values.emplace_back(column, value);
  return out;
}

std::string baseline_row_json(const dataverse::resolved_mapping& m, const queue_baseline& b) {
  json::value row = json::object{};
  row.set(m.queue.primary_id, b.queue_item_id);
  if (b.etag) row.set("@odata.etag", *b.etag);
  const auto put = [&](const char* key, json::value v) {
    if (auto prop = m.queue_field_property(key)) row.set(*prop, std::move(v));
  };
  put("queue.status", b.status_value);
  put("queue.last_session_id", b.last_session_id ? json::value{*b.last_session_id} : json::value{});
  put("queue.last_disposition",
      b.last_disposition ? json::value{*b.last_disposition} : json::value{});
  for (const auto& [column, value] : b.preserve_values) row.set(m.queue_property(column), value);
  return json::write_compact(row);
}

write_plan_record write_plan_record_of(const dataverse::resolved_mapping& m,
                                       const std::string& session_id, bool batch,
                                       bool link_regarding, const writeback_plan& plan,
                                       const std::string& owner_entity_set,
                                       const std::string& mapping_sha256,
                                       const std::string& planned_at) {
  write_plan_record r;
  r.session_id = session_id;
  r.writeback_mode = batch ? "batch" : "sequential";
  r.link_regarding = link_regarding;
  r.queue_entity_set = m.queue.entity_set;
  r.queue_primary_id = m.queue.primary_id;
  r.phone_call_entity_set = m.phone_call.entity_set;
  r.phone_call_primary_id = m.phone_call.primary_id;
  r.phone_call_key_column = m.required_column("phone_call.idempotency_key");
  if (m.phone_call_regarding) r.phone_call_regarding = *m.phone_call_regarding;
  r.task_entity_set = m.task.entity_set;
  r.task_primary_id = m.task.primary_id;
  r.task_key_column = m.required_column("task.idempotency_key");
  if (m.task_regarding) r.task_regarding = *m.task_regarding;
  if (plan.task && plan.task->assigned_to) {
    r.owner_id = *plan.task->assigned_to;
    r.owner_entity_set = owner_entity_set;
  }
  r.mapping_sha256 = mapping_sha256;
  r.planned_at = planned_at;
  return r;
}

}  // namespace opencloser
