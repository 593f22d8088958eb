#include "adapters/artifacts/run_report_json.hpp"

#include <algorithm>

namespace opencloser {

namespace {

json::value str(const nullable<std::string>& v) {
  return v ? json::value{*v} : json::value{};
}

json::value eligibility_json(const nullable<eligibility_decision>& d) {
  if (!d) return {};
  json::array letters;
  for (const auto& l : d->failing_rules) letters.emplace_back(l);
  json::value v;
  v.set("allowed", d->outcome == eligibility_outcome::allow);
  v.set("blocked_reason",
        d->outcome == eligibility_outcome::allow ? json::value{} : json::value{std::move(letters)});
  return v;
}

json::value correlations_json(const std::optional<std::vector<crm_correlation>>& rows) {
  if (!rows) return {};
  auto sorted = *rows;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return to_string(a.record_kind) < to_string(b.record_kind);
  });
  json::array out;
  for (const auto& c : sorted) {
    json::value v;
    v.set("dataverse_record_id", str(c.dataverse_record_id));
    v.set("idempotency_key", c.idempotency_key);
    v.set("record_kind", to_string(c.record_kind));
    v.set("write_status", to_string(c.write_status));
    out.push_back(std::move(v));
  }
  return out;
}

json::value progress_json(const std::optional<ledger_row>& row) {
  if (!row) return {};
  json::value v;
  v.set("block_reason", str(row->block_reason));
  v.set("claim_done", row->claim_done);
  v.set("last_error", str(row->last_error));
  v.set("phone_call_activity_done", row->phone_call_activity_done);
  v.set("queue_status_update_done", row->queue_status_update_done);
  v.set("run_status", to_string(row->status));
  v.set("task_done", row->task_done);
  return v;
}

}  // namespace

json::value run_report_json(const run_report_facts& f) {
  const auto& r = f.report;
  const auto& o = r.outcome;
  json::value v;
  v.set("schema_version", run_report_schema_version);
  v.set("run_id", r.run_id);
  v.set("command", r.command);
  v.set("run_mode", to_string(r.mode));
  v.set("resumed", r.resumed);
  v.set("exit_status", to_string(o.status));
  v.set("block_reason", str(o.block_reason));
  v.set("message", o.message);
  v.set("session_id", o.session_id.empty() ? json::value{} : json::value{o.session_id});
  v.set("queue_item_id", o.queue_item_id.empty() ? json::value{} : json::value{o.queue_item_id});
  v.set("final_disposition",
        o.final_disposition ? json::value{to_string(*o.final_disposition)} : json::value{});
  v.set("persona_version", str(r.persona_version));
  v.set("mock_provider_call_id", str(r.mock_provider_call_id));
  v.set("started_at", str(r.started_at));
  v.set("ended_at", str(r.ended_at));
  v.set("eligibility_decision", eligibility_json(f.decision));
  v.set("metadata_report", f.metadata_report);
  json::array warnings;
  for (const auto& w : f.warnings) {
    json::value item;
    item.set("code", w.code);
    item.set("field", w.field);
    item.set("message", w.message);
    warnings.push_back(std::move(item));
  }
  v.set("warnings", std::move(warnings));
  v.set("artifact_dir", str(r.artifact_dir));
  v.set("crm_correlations", correlations_json(f.correlations));
  v.set("writeback_progress", progress_json(f.ledger));
  if (r.operations_replayed) {
    json::array ops;
    for (const auto& op : *r.operations_replayed) ops.emplace_back(op);
    v.set("operations_replayed", std::move(ops));
  } else {
    v.set("operations_replayed", json::value{});
  }
  json::value redaction;
  redaction.set("policy", f.redaction.policy == redaction_policy_kind::regex ? "regex" : "noop");
  redaction.set("retention",
                f.redaction.retention == retention_mode::full ? "full" : "summary-only");
  v.set("redaction", std::move(redaction));
  v.set("writeback_mode", r.writeback_mode);
  json::value http;
  http.set("requests", r.http.requests);
  http.set("retries", r.http.retries);
  http.set("throttled", r.http.throttled);
  http.set("token_requests", r.http.token_requests);
  http.set("writes", r.http.writes);
  v.set("http", std::move(http));
  return v;
}

}  // namespace opencloser
