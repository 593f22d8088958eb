#include "actors/dataverse_emitter/batch_logic.hpp"

#include "actors/dataverse_emitter/retry_policy.hpp"

namespace opencloser {

bool batch_applies(const emit_order& order) {
  if (!order.batch || !order.plan.phone_call_activity) return false;
  const bool task_written = order.task_done && task_allowed(order.plan);
  return !order.phone_call_done && !order.queue_status_done && !task_written;
}

batch_check_decision decide_batch_checks(const batch_checks& checks) {
  if (checks.queue_row.step == queue_row_step::conflict)
    return {batch_check_step::conflict, checks.queue_row.conflicting_fields};
  const bool queue_applied = checks.queue_row.step == queue_row_step::already_applied;
  // An open Phone Call is there but not done: the sequential close finishes it.
  const bool phone_present = checks.phone_call.has_value();
  const bool phone_done =
      phone_present && checks.phone_call->statecode == std::optional<std::int64_t>(1);
  const bool task_present = checks.task_planned && checks.task.has_value();
  const bool task_done = !checks.task_planned || task_present;

  if (queue_applied && phone_done && task_done) return {batch_check_step::all_applied, {}};
  if (!queue_applied && !phone_present && !task_present) return {batch_check_step::send_batch, {}};
  return {batch_check_step::finish_sequentially, {}};
}

batch_answer_step decide_batch_answer(const batch_answer_facts& answer) {
  switch (answer.outcome) {
    case dataverse_outcome::transient:
      return batch_answer_step::check_again;
    case dataverse_outcome::transient_exhausted:
      return batch_answer_step::resume_needed;
    case dataverse_outcome::success:
    case dataverse_outcome::permanent:
      break;
  }
  if (!answer.readable) return batch_answer_step::permanent;
  if (answer.all_succeeded) return batch_answer_step::completed;
  // The change set rolled back; a record with the deterministic id was there all along (a
  // racing run, or another session's record): only the read-back by id can tell which.
  if (answer.duplicate_key) return batch_answer_step::finish_sequentially;
  if (answer.status == 412) return batch_answer_step::reread_queue_row;
  switch (classify_status(answer.status)) {
    case outcome_class::transient:
    case outcome_class::throttled:
      return batch_answer_step::check_again;
    case outcome_class::success:  // a 200 without a part per operation
    case outcome_class::permanent:
      break;
  }
  return batch_answer_step::permanent;
}

std::string batch_part_failure_message(int status) {
  if (status >= 200 && status < 300) return "the $batch answer does not cover every operation";
  return "Dataverse answered an operation of the $batch change set with HTTP " +
         std::to_string(status);
}

}  // namespace opencloser
