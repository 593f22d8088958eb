#include "actors/dataverse_emitter/writeback_logic.hpp"

#include "actors/dataverse_emitter/claim_logic.hpp"  // row_deleted_field, etag_field

namespace opencloser {

queue_row_decision decide_pre_write_read(const queue_row_facts& row,
                                         const std::optional<std::string>& baseline_etag) {
  if (row.found && row.applied) return {queue_row_step::already_applied, {}};
  if (!row.found) return {queue_row_step::conflict, {std::string(row_deleted_field)}};
  if (!row.differing.empty()) return {queue_row_step::conflict, row.differing};
  // A null ETag on either side cannot tell an edit: only two different non-null ones do.
  if (row.etag && baseline_etag && *row.etag != *baseline_etag)
    return {queue_row_step::conflict, {std::string(etag_field)}};
  return {queue_row_step::proceed, {}};
}

queue_row_decision decide_after_status_412(const queue_row_facts& row) {
  if (row.found && row.applied) return {queue_row_step::already_applied, {}};
  if (!row.found) return {queue_row_step::conflict, {std::string(row_deleted_field)}};
  if (!row.differing.empty()) return {queue_row_step::conflict, row.differing};
  return {queue_row_step::conflict, {std::string(etag_field)}};
}

bool readback_is_ours(const std::optional<std::string>& key_value, std::string_view session_id) {
  return key_value && *key_value == session_id;
}

bool needs_close(bool created, std::optional<std::int64_t> statecode) {
  return created || statecode != std::optional<std::int64_t>(1);
}

close_step decide_close_state(const close_state_facts& read) {
  if (!read.found) return close_step::record_gone;
  if (read.statecode == std::optional<std::int64_t>(1)) return close_step::closed;
  return close_step::close_again;
}

bool task_allowed(const writeback_plan& plan) {
  if (!plan.task) return false;
  return plan.queue_status.new_status != callable_status::dnc && !plan.queue_status.set_dnc_flag;
}

namespace {
std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs) {
    if (!out.empty()) out += ", ";
    out += x;
  }
  return out;
}
}  // namespace

std::string writeback_conflict_message(std::string_view queue_item_id,
                                       const std::vector<std::string>& fields) {
  return "conflict_detected: queue item '" + std::string(queue_item_id) +
         "' changed between claim and write-back; conflicting fields: " + joined(fields) +
         ". Manual reconciliation required.";
}

std::string key_mismatch_message(std::string_view entity, std::string_view record_id,
                                 std::string_view session_id,
                                 const std::optional<std::string>& found_key) {
  return std::string(entity) + " '" + std::string(record_id) + "' exists with idempotency key " +
         (found_key ? "'" + *found_key + "'" : std::string("null")) + ", not '" +
         std::string(session_id) + "'";
}

std::string writeback_failed_message(std::string_view step, std::string_view error) {
  return "dataverse write-back failed: " + std::string(step) + ": " + std::string(error);
}

}  // namespace opencloser
