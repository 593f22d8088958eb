#include "actors/supervisor/session_policy.hpp"

#include "actors/common/utc_ms.hpp"

namespace opencloser {

namespace {

session_end ended(exit_status status, std::string message, std::optional<run_status> ledger,
                  nullable<std::string> block_reason = {}) {
  return {status, std::move(block_reason), std::move(message), ledger};
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

std::optional<session_end> end_after_claim(const claim_outcome& o) {
  switch (o.status) {
    case claim_status::claimed:
      return std::nullopt;
    case claim_status::conflict:
      return ended(exit_status::blocked, o.message, run_status::blocked,
                   std::string("conflict_detected"));
    case claim_status::failed:
      return ended(exit_status::failed, o.message, run_status::aborted);
    case claim_status::resume_needed:
      return ended(exit_status::resume_needed, o.message, run_status::resume_needed);
    case claim_status::permanent:
      return ended(exit_status::blocked, o.message, run_status::blocked,
                   std::string("permanent_other"));
  }
  return ended(exit_status::failed, o.message, run_status::aborted);
}

session_end end_after_emit(const emit_outcome& o, bool resume,
                           const std::vector<std::string>& replayed) {
  const auto failure = [&](const std::string& m) {
    return resume ? "resume replay failed: " + m : m;
  };
  switch (o.status) {
    case emit_status::completed:
      return ended(exit_status::completed,
                   resume ? "resume completed; replayed " + std::to_string(replayed.size()) +
                                " operation(s): " + (replayed.empty() ? "none" : join(replayed))
                          : std::string(),
                   run_status::completed);
    case emit_status::conflict:
      return ended(exit_status::blocked, failure(o.message), run_status::blocked,
                   std::string("conflict_detected"));
    case emit_status::resume_needed:
      return ended(exit_status::resume_needed, failure(o.message), run_status::resume_needed);
    case emit_status::permanent:
      return ended(exit_status::blocked, failure(o.message), run_status::blocked,
                   std::string("permanent_other"));
    case emit_status::stopped:
      return ended(exit_status::failed, o.message, std::nullopt);
  }
  return ended(exit_status::failed, o.message, std::nullopt);
}

std::vector<std::string> operations_confirmed(const emit_outcome& o) {
  std::vector<std::string> names;
  for (auto kind :
       {crm_record_kind::phone_call_activity, crm_record_kind::queue_status, crm_record_kind::task})
    for (const auto& r : o.results)
      if (r.record_kind == kind && r.write_status == crm_write_status::confirmed) {
        names.emplace_back(kind == crm_record_kind::queue_status ? "queue_status_update"
                                                                 : std::string(to_string(kind)));
        break;
      }
  return names;
}

ledger_change ledger_change_of(const emit_outcome& o) {
  ledger_change c;
  c.phone_call_activity_done = o.phone_call_done;
  c.queue_status_update_done = o.queue_status_done;
  c.task_done = o.task_done;
  for (const auto& r : o.results)
    if (r.write_status == crm_write_status::confirmed)
      c.correlations.push_back({r.session_id, r.record_kind, r.idempotency_key,
                                r.dataverse_record_id, r.write_status, "", ""});
  return c;
}

std::vector<local_idempotency_key> done_keys(const std::vector<local_idempotency_key>& keys,
                                             const emit_outcome& o) {
  std::vector<local_idempotency_key> out;
  for (const auto& k : keys)
    if ((k.kind == writeback_kind::phone_call_activity && o.phone_call_done) ||
        (k.kind == writeback_kind::queue_status_update && o.queue_status_done) ||
        (k.kind == writeback_kind::task_payload && o.task_done))
      out.push_back(k);
  return out;
}

preflight_verdict resume_preflight(const std::string& sid, const std::optional<ledger_row>& row,
                                   unix_ms now, const std::optional<write_plan_record>& plan,
                                   const std::string& mapping_path,
                                   const std::string& mapping_sha256) {
  preflight_verdict v;
  const std::string prefix = "resume pre-flight failed: ";
  if (!row) {
    v.usage_error = true;
    v.message = prefix + "session '" + sid + "' has no writeback_progress row; nothing to resume";
    return v;
  }
  switch (row->status) {
    case run_status::completed:
    case run_status::aborted:
      v.status = exit_status::no_resume_needed;
      v.message = "session '" + sid + "' is '" + std::string(to_string(row->status)) +
                  "'; nothing to resume";
      return v;
    case run_status::blocked:
      v.status = exit_status::blocked;
      v.block_reason = row->block_reason;
      v.message = "session '" + sid + "' is blocked" +
                  (row->last_error ? ": " + *row->last_error : std::string());
      return v;
    case run_status::in_progress: {
      const auto expires = parse_utc_ms(row->lease_expires_at);
      if (expires && *expires >= now) {
        v.status = exit_status::failed;
        v.message = prefix + "session '" + sid + "' is 'in_progress' until " +
                    row->lease_expires_at + "; another run may still be working on it";
        return v;
      }
      break;
    }
    case run_status::resume_needed:
      break;
  }
  if (plan && plan->mapping_sha256 != mapping_sha256) {
    v.usage_error = true;
    v.message = prefix + "mapping " + mapping_path + " changed since session '" + sid +
                "' was planned; restore the mapping used by that session";
    return v;
  }
  v.proceed = true;
  return v;
}

}  // namespace opencloser
