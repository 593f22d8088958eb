#include "actors/dataverse_emitter/claim_logic.hpp"

namespace opencloser {

namespace {

/// The name a conflict reports for a column; an unmapped one never differs (both sides null),
/// but keep a readable fallback anyway.
std::string name_or(const std::string& column, std::string_view fallback) {
  return column.empty() ? std::string(fallback) : column;
}

claim_decision conflict(std::vector<std::string> fields) {
  return {claim_step::conflict, std::move(fields)};
}

claim_decision conflict(std::string_view field) {
  return conflict(std::vector<std::string>{std::string(field)});
}

/// Conflict for a row that is there but not as loaded: its differing columns, else only the
/// ETag moved.
claim_decision changed_row(const claim_columns& columns, const dataverse::row_baseline& loaded,
                           const dataverse::row_baseline& now) {
  auto fields = claim_differences(columns, loaded, now);
  if (fields.empty()) fields.emplace_back(etag_field);
  return conflict(std::move(fields));
}

}  // namespace

bool shows_claim(const claim_columns& columns, const dataverse::row_baseline& row,
                 std::string_view session_id) {
  return row.status == json::value(columns.in_progress_value) &&
         row.last_session_id == json::value(session_id);
}

std::vector<std::string> claim_differences(const claim_columns& columns,
                                           const dataverse::row_baseline& loaded,
                                           const dataverse::row_baseline& now) {
  std::vector<std::string> out;
  if (now.status != loaded.status) out.push_back(name_or(columns.status, "queue.status"));
  if (now.last_session_id != loaded.last_session_id)
    out.push_back(name_or(columns.last_session_id, "queue.last_session_id"));
  // Preserve columns in the loaded (mapping) order; a column the re-read lacks reads as null.
  static const json::value null_value;
  for (const auto& [column, value] : loaded.preserve) {
    const json::value* current = &null_value;
    for (const auto& [c, v] : now.preserve)
      if (c == column) current = &v;
    if (*current != value) out.push_back(column);
  }
  if (now.phone != loaded.phone) out.push_back(name_or(columns.phone, "queue.phone"));
  if (now.timezone != loaded.timezone) out.push_back(name_or(columns.timezone, "queue.timezone"));
  if (now.attempt_count != loaded.attempt_count)
    out.push_back(name_or(columns.attempt_count, "queue.attempt_count"));
  if (now.dnc != loaded.dnc) out.push_back(name_or(columns.dnc, "queue.dnc"));
  return out;
}

claim_decision decide_after_precondition_failed(const claim_columns& columns,
                                                const dataverse::row_baseline& loaded,
                                                const claim_reread& reread,
                                                std::string_view session_id, int reclaims_done) {
  if (!reread.succeeded) return {claim_step::resume_needed, {}};
  if (!reread.row) return conflict(row_deleted_field);
  const auto& now = *reread.row;
  // An earlier attempt landed (e.g. its response was lost and the resend met the new ETag).
  if (shows_claim(columns, now, session_id)) return {claim_step::claimed, {}};
  auto fields = claim_differences(columns, loaded, now);
  if (!fields.empty()) return conflict(std::move(fields));
  // Only a column the claim does not compare moved the ETag: one more claim is safe; a second
  // such change means the row keeps moving under us.
  if (reclaims_done < 1) return {claim_step::claim_again, {}};
  return conflict(etag_field);
}

claim_decision decide_after_exhaustion(const claim_columns& columns,
                                       const dataverse::row_baseline& loaded,
                                       const claim_reread& verification,
                                       std::string_view session_id) {
  if (!verification.succeeded) return {claim_step::resume_needed, {}};
  if (!verification.row) return conflict(row_deleted_field);
  const auto& now = *verification.row;
  if (shows_claim(columns, now, session_id)) return {claim_step::claimed, {}};
  // "Unchanged" is judged by the load ETag; a row loaded without one can only be compared by
  // its values.
  const bool unchanged =
      loaded.etag ? now.etag == loaded.etag : claim_differences(columns, loaded, now).empty();
  if (unchanged) return {claim_step::failed, {}};
  return changed_row(columns, loaded, now);
}

claim_decision decide_after_success_read(const claim_columns& columns, const claim_reread& read,
                                         std::string_view session_id) {
  if (!read.succeeded) return {claim_step::resume_needed, {}};
  if (!read.row) return conflict(row_deleted_field);
  const auto& now = *read.row;
  if (shows_claim(columns, now, session_id)) return {claim_step::claimed, {}};
  std::vector<std::string> fields;
  if (now.status != json::value(columns.in_progress_value))
    fields.push_back(name_or(columns.status, "queue.status"));
  if (now.last_session_id != json::value(session_id))
    fields.push_back(name_or(columns.last_session_id, "queue.last_session_id"));
  return conflict(std::move(fields));
}

std::string claim_conflict_message(std::string_view queue_item_id,
                                   const std::vector<std::string>& fields) {
  std::string list;
  for (const auto& f : fields) list += (list.empty() ? "" : ", ") + f;
  return "conflict_detected: queue item '" + std::string(queue_item_id) +
         "' changed between load and claim; conflicting fields: " + list;
}

std::string claim_failed_message(std::string_view error) {
  return "dataverse claim failed: " + std::string(error);
}

std::string claim_unknown_message(std::string_view claim_error, std::string_view read_error) {
  return "dataverse claim state unknown: " + std::string(claim_error) +
         "; verification read failed: " + std::string(read_error);
}

}  // namespace opencloser
