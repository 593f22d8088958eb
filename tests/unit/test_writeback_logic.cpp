// The pure decisions of the sequential write-back (dataverse.md §7.1–§7.4): the pre-write read,
// the re-read after a 412 on the queue PATCH, the duplicate-key read-back, the Phone Call
// close, the Task guard and the messages.

#include <catch2/catch.hpp>

#include "actors/dataverse_emitter/writeback_logic.hpp"

using namespace opencloser;

namespace {
queue_row_facts row(std::vector<std::string> differing = {},
                    std::optional<std::string> etag = std::string("W/\"7\""),
                    bool applied = false) {
  return {true, applied, std::move(differing), std::move(etag)};
}
const std::optional<std::string> baseline_etag = std::string("W/\"7\"");
}  // namespace

TEST_CASE("the pre-write read proceeds on a row equal to the active baseline") {
  CHECK(decide_pre_write_read(row(), baseline_etag) ==
        queue_row_decision{queue_row_step::proceed, {}});
  // A null ETag on either side cannot tell an edit apart.
  CHECK(decide_pre_write_read(row({}, std::nullopt), baseline_etag).step ==
        queue_row_step::proceed);
  CHECK(decide_pre_write_read(row(), std::nullopt).step == queue_row_step::proceed);
}

TEST_CASE("the pre-write read marks an already applied status update done") {
  // Applied wins over differences: the differences are this session's own update.
  CHECK(decide_pre_write_read(row({"acme_status"}, "W/\"9\"", true), baseline_etag).step ==
        queue_row_step::already_applied);
}

TEST_CASE("the pre-write read names the conflict: deleted row, columns, then the ETag") {
  CHECK(decide_pre_write_read(queue_row_facts{}, baseline_etag) ==
        queue_row_decision{queue_row_step::conflict, {"__row_deleted__"}});
  CHECK(decide_pre_write_read(row({"acme_status", "acme_notes"}), baseline_etag) ==
        queue_row_decision{queue_row_step::conflict, {"acme_status", "acme_notes"}});
  CHECK(decide_pre_write_read(row({}, "W/\"8\""), baseline_etag) ==
        queue_row_decision{queue_row_step::conflict, {"@odata.etag"}});
}

TEST_CASE("a 412 on the queue PATCH is applied or a conflict, never a plain proceed") {
  CHECK(decide_after_status_412(row({}, "W/\"9\"", true)).step == queue_row_step::already_applied);
  CHECK(decide_after_status_412(queue_row_facts{}) ==
        queue_row_decision{queue_row_step::conflict, {"__row_deleted__"}});
  CHECK(decide_after_status_412(row({"acme_notes"})) ==
        queue_row_decision{queue_row_step::conflict, {"acme_notes"}});
  // Same values, yet the precondition failed: someone touched the row.
  CHECK(decide_after_status_412(row()) ==
        queue_row_decision{queue_row_step::conflict, {"@odata.etag"}});
}

TEST_CASE("a duplicate-key read-back is used only with this session's key") {
  const std::string sid = "ses_00000000000000000000000000000001";
  CHECK(readback_is_ours(sid, sid));
  CHECK_FALSE(readback_is_ours(std::string("ses_00000000000000000000000000000002"), sid));
  CHECK_FALSE(readback_is_ours(std::nullopt, sid));
  CHECK_FALSE(readback_is_ours(std::string(""), sid));
}

TEST_CASE("the phone call is closed when created here or found open") {
  CHECK(needs_close(true, std::nullopt));
  CHECK(needs_close(true, 1));  // created here: statecode is not valid on create
  CHECK(needs_close(false, 0));
  CHECK(needs_close(false, std::nullopt));
  CHECK_FALSE(needs_close(false, 1));
}

TEST_CASE("the state read around the close: closed, gone or close again") {
  CHECK(decide_close_state({true, 1}) == close_step::closed);
  CHECK(decide_close_state({true, 0}) == close_step::close_again);
  CHECK(decide_close_state({true, std::nullopt}) == close_step::close_again);
  CHECK(decide_close_state({false, std::nullopt}) == close_step::record_gone);
}

TEST_CASE("no Task is sent for a do-not-call session even when the plan has one") {
  writeback_plan plan;
  CHECK_FALSE(task_allowed(plan));  // none planned
  plan.task = task_payload{};
  plan.queue_status.new_status = callable_status::completed;
  CHECK(task_allowed(plan));
  plan.queue_status.new_status = callable_status::dnc;
  CHECK_FALSE(task_allowed(plan));
  plan.queue_status.new_status = callable_status::completed;
  plan.queue_status.set_dnc_flag = true;
  CHECK_FALSE(task_allowed(plan));
}

TEST_CASE("the write-back messages name the item, the fields and the keys") {
  CHECK(writeback_conflict_message("0b6f", {"acme_notes", "@odata.etag"}) ==
        "conflict_detected: queue item '0b6f' changed between claim and write-back; conflicting "
        "fields: acme_notes, @odata.etag. Manual reconciliation required.");
  CHECK(key_mismatch_message("phone call", "abc", "ses_1", std::string("ses_2")) ==
        "phone call 'abc' exists with idempotency key 'ses_2', not 'ses_1'");
  CHECK(key_mismatch_message("task", "abc", "ses_1", std::nullopt) ==
        "task 'abc' exists with idempotency key null, not 'ses_1'");
  CHECK(writeback_failed_message("task create", "HTTP 400") ==
        "dataverse write-back failed: task create: HTTP 400");
}
