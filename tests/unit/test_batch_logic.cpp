// The pure decisions of the `$batch` write-back (dataverse.md §7.5): when a session goes out
// as one change set, what the checks around a batch (§7.1 read, both key pre-queries) say,
// and where each kind of batch answer leads.

#include <catch2/catch.hpp>

#include "actors/dataverse_emitter/batch_logic.hpp"

using namespace opencloser;

namespace {

emit_order batch_order(bool with_task = true) {
  emit_order o;
  o.session_id = "ses_00000000000000000000000000000001";
  o.batch = true;
  o.plan.phone_call_activity = phone_call_payload{};
  o.plan.queue_status.new_status = callable_status::completed;
  if (with_task) o.plan.task = task_payload{};
  o.task_done = !with_task;  // the planner sets it when no Task is required
  return o;
}

const queue_row_decision proceed{queue_row_step::proceed, {}};
const queue_row_decision applied{queue_row_step::already_applied, {}};
const prequery_hit closed_call{"c0000000-0000-4000-8000-000000000001", 1};
const prequery_hit open_call{"c0000000-0000-4000-8000-000000000001", 0};
const prequery_hit found_task{"d0000000-0000-4000-8000-000000000001", std::nullopt};

batch_checks checks(queue_row_decision queue, std::optional<prequery_hit> call,
                    std::optional<prequery_hit> task, bool task_planned = true) {
  return {std::move(queue), std::move(call), task_planned, std::move(task)};
}

batch_answer_facts answered(int status, bool all_succeeded = false, bool duplicate_key = false) {
  const auto outcome =
      status >= 200 && status < 300 ? dataverse_outcome::success : dataverse_outcome::permanent;
  return {outcome, true, all_succeeded, status, duplicate_key};
}

}  // namespace

TEST_CASE("a batch goes out only in batch mode with a Phone Call planned and nothing done") {
  CHECK(batch_applies(batch_order()));
  CHECK(batch_applies(batch_order(false)));  // task_done only means "no Task required"

  auto sequential = batch_order();
  sequential.batch = false;
  CHECK_FALSE(batch_applies(sequential));

  auto blocked_path = batch_order(false);
  blocked_path.plan.phone_call_activity.reset();
  CHECK_FALSE(batch_applies(blocked_path));

  auto phone_done = batch_order();
  phone_done.phone_call_done = true;
  CHECK_FALSE(batch_applies(phone_done));

  auto queue_done = batch_order();
  queue_done.queue_status_done = true;
  CHECK_FALSE(batch_applies(queue_done));

  auto task_written = batch_order();
  task_written.task_done = true;
  CHECK_FALSE(batch_applies(task_written));
}

TEST_CASE("a Task the guard refuses is not a done operation for the batch decision") {
  // A do-not-call session: the plan carries a Task the emitter never sends.
  auto dnc = batch_order();
  dnc.plan.queue_status.new_status = callable_status::dnc;
  dnc.task_done = true;
  CHECK(batch_applies(dnc));
}

TEST_CASE("checks that find nothing applied send the batch") {
  CHECK(decide_batch_checks(checks(proceed, std::nullopt, std::nullopt)) ==
        batch_check_decision{batch_check_step::send_batch, {}});
  CHECK(decide_batch_checks(checks(proceed, std::nullopt, std::nullopt, false)).step ==
        batch_check_step::send_batch);
}

TEST_CASE("checks that find everything applied complete without a batch") {
  CHECK(decide_batch_checks(checks(applied, closed_call, found_task)) ==
        batch_check_decision{batch_check_step::all_applied, {}});
  // Without a Task the Phone Call and the status update are everything.
  CHECK(decide_batch_checks(checks(applied, closed_call, std::nullopt, false)).step ==
        batch_check_step::all_applied);
}

TEST_CASE("checks that find part of the write-back finish it sequentially") {
  const auto partial =
      GENERATE_COPY(checks(applied, std::nullopt, std::nullopt),      // only the status update
                    checks(proceed, closed_call, std::nullopt),       // only the Phone Call
                    checks(proceed, std::nullopt, found_task),        // only the Task
                    checks(applied, closed_call, std::nullopt),       // all but the Task
                    checks(proceed, closed_call, found_task),         // all but the status update
                    checks(applied, open_call, found_task),           // the Phone Call still open
                    checks(proceed, open_call, std::nullopt, false),  // an open Phone Call alone
                    checks(applied, std::nullopt, std::nullopt, false));
  CHECK(decide_batch_checks(partial).step == batch_check_step::finish_sequentially);
}

TEST_CASE("a conflict on the queue row wins over every pre-query hit") {
  const queue_row_decision conflict{queue_row_step::conflict, {"acme_notes"}};
  CHECK(decide_batch_checks(checks(conflict, closed_call, found_task)) ==
        batch_check_decision{batch_check_step::conflict, {"acme_notes"}});
  CHECK(decide_batch_checks(checks(conflict, std::nullopt, std::nullopt)).conflicting_fields ==
        std::vector<std::string>{"acme_notes"});
}

TEST_CASE("a Task pre-query hit does not count when no Task is planned") {
  // (The emitter does not ask then; a stray hit must not turn none into partial.)
  CHECK(decide_batch_checks(checks(proceed, std::nullopt, found_task, false)).step ==
        batch_check_step::send_batch);
}

TEST_CASE("a 200 with a 2xx part per operation completes the write-back") {
  CHECK(decide_batch_answer(answered(200, true)) == batch_answer_step::completed);
}

TEST_CASE("a 200 without a part per operation is permanent") {
  CHECK(decide_batch_answer(answered(200, false)) == batch_answer_step::permanent);
}

TEST_CASE("a 412 in the change set re-reads the queue row") {
  CHECK(decide_batch_answer(answered(412)) == batch_answer_step::reread_queue_row);
  // The failing part decides, even under a 2xx envelope (continue-on-error answers).
  auto inner = answered(412);
  inner.outcome = dataverse_outcome::success;
  CHECK(decide_batch_answer(inner) == batch_answer_step::reread_queue_row);
}

TEST_CASE("a duplicate key in the change set is left to the sequential read-back") {
  CHECK(decide_batch_answer(answered(412, false, true)) == batch_answer_step::finish_sequentially);
  CHECK(decide_batch_answer(answered(400, false, true)) == batch_answer_step::finish_sequentially);
}

TEST_CASE("a transient or lost batch answer checks again, an exhausted one needs a resume") {
  batch_answer_facts lost{dataverse_outcome::transient, true, false, 0, false};
  CHECK(decide_batch_answer(lost) == batch_answer_step::check_again);
  batch_answer_facts throttled{dataverse_outcome::transient, true, false, 429, false};
  CHECK(decide_batch_answer(throttled) == batch_answer_step::check_again);
  batch_answer_facts exhausted{dataverse_outcome::transient_exhausted, true, false, 503, false};
  CHECK(decide_batch_answer(exhausted) == batch_answer_step::resume_needed);
  // A transient part under a 2xx envelope is as unclear as a lost answer.
  auto inner = answered(503);
  inner.outcome = dataverse_outcome::success;
  CHECK(decide_batch_answer(inner) == batch_answer_step::check_again);
}

TEST_CASE("other failing parts and unreadable answers are permanent") {
  CHECK(decide_batch_answer(answered(400)) == batch_answer_step::permanent);
  CHECK(decide_batch_answer(answered(404)) == batch_answer_step::permanent);
  CHECK(decide_batch_answer(answered(501)) == batch_answer_step::permanent);
  auto unreadable = answered(200, true);
  unreadable.readable = false;
  CHECK(decide_batch_answer(unreadable) == batch_answer_step::permanent);
}

TEST_CASE("a failing part without a gateway message is described by its status") {
  CHECK(batch_part_failure_message(400) ==
        "Dataverse answered an operation of the $batch change set with HTTP 400");
  CHECK(batch_part_failure_message(200) == "the $batch answer does not cover every operation");
}
