// The supervisor's pure policies: how a claim or write-back outcome ends a session
// (dataverse.md §6, §7, §12), the resume pre-flight on the ledger (§10 step 2), and the
// records the journal persists for a resume (domain.md §3 QueueBaseline, §11 write plan).

#include <optional>
#include <string>
#include <vector>

#include "actors/common/utc_ms.hpp"
#include "actors/supervisor/session_policy.hpp"
#include "actors/supervisor/session_records.hpp"
#include "adapters/dataverse/dataverse_responses.hpp"
#include "tests/unit/dataverse_test_data.hpp"

using namespace opencloser;
using namespace opencloser::testing;

namespace {

const std::string phone_call_id = "c0ffee00-0000-4000-8000-0000000000a1";
const std::string task_record_id = "c0ffee00-0000-4000-8000-0000000000a2";

emit_result confirmed(crm_record_kind kind, const std::string& record_id) {
  return {session_id, kind, record_id, session_id, crm_write_status::confirmed, {}};
}

emit_result failed(crm_record_kind kind) {
  return {session_id,
          kind,
          {},
          session_id,
          crm_write_status::failed,
          std::string("Dataverse returned HTTP 500")};
}

emit_outcome emitted(emit_status status, std::string message = "") {
  emit_outcome o;
  o.status = status;
  o.message = std::move(message);
  return o;
}

}  // namespace

// ---- end_after_claim (dataverse.md §6) -----------------------------------------------------

TEST_CASE("end_after_claim: a landed claim continues the session", "[session_policy]") {
  claim_outcome o;
  o.status = claim_status::claimed;
  o.message = "claimed";
  CHECK_FALSE(end_after_claim(o));
}

TEST_CASE("end_after_claim: every claim that did not land ends the session", "[session_policy]") {
  struct expectation {
    claim_status claim;
    exit_status status;
    nullable<std::string> block_reason;
    run_status ledger;
  };
  const std::vector<expectation> table{
      {claim_status::conflict, exit_status::blocked, std::string("conflict_detected"),
       run_status::blocked},
      {claim_status::failed, exit_status::failed, {}, run_status::aborted},
      {claim_status::resume_needed, exit_status::resume_needed, {}, run_status::resume_needed},
      {claim_status::permanent, exit_status::blocked, std::string("permanent_other"),
       run_status::blocked},
  };
  for (const auto& e : table) {
    INFO("claim status " << static_cast<int>(e.claim));
    claim_outcome o;
    o.status = e.claim;
    o.message = "why the claim did not land";
    const auto end = end_after_claim(o);
    REQUIRE(end);
    CHECK(end->status == e.status);
    CHECK(end->block_reason == e.block_reason);
    CHECK(end->message == o.message);
    CHECK(end->ledger == std::optional<run_status>(e.ledger));
  }
}

// ---- end_after_emit (dataverse.md §7, §10 step 7, §12) -------------------------------------

TEST_CASE("end_after_emit: a completed write-back completes the ledger", "[session_policy]") {
  SECTION("a first run has no message") {
    const auto end = end_after_emit(emitted(emit_status::completed), false, {"task"});
    CHECK(end.status == exit_status::completed);
    CHECK_FALSE(end.block_reason);
    CHECK(end.message.empty());
    CHECK(end.ledger == std::optional<run_status>(run_status::completed));
  }
  SECTION("a resume names what it replayed") {
    const auto end =
        end_after_emit(emitted(emit_status::completed), true, {"queue_status_update", "task"});
    CHECK(end.status == exit_status::completed);
    CHECK_FALSE(end.block_reason);
    CHECK(end.message == "resume completed; replayed 2 operation(s): queue_status_update, task");
    CHECK(end.ledger == std::optional<run_status>(run_status::completed));
  }
  SECTION("a resume that had nothing left to replay says none") {
    const auto end = end_after_emit(emitted(emit_status::completed), true, {});
    CHECK(end.message == "resume completed; replayed 0 operation(s): none");
  }
  SECTION("a resume of one operation") {
    const auto end = end_after_emit(emitted(emit_status::completed), true, {"task"});
    CHECK(end.message == "resume completed; replayed 1 operation(s): task");
  }
}

TEST_CASE("end_after_emit: failures by class, prefixed on a resume", "[session_policy]") {
  struct expectation {
    emit_status emit;
    exit_status status;
    nullable<std::string> block_reason;
    run_status ledger;
  };
  const std::vector<expectation> table{
      {emit_status::conflict, exit_status::blocked, std::string("conflict_detected"),
       run_status::blocked},
      {emit_status::resume_needed, exit_status::resume_needed, {}, run_status::resume_needed},
      {emit_status::permanent, exit_status::blocked, std::string("permanent_other"),
       run_status::blocked},
  };
  const std::string error = "Dataverse returned HTTP 503 for POST https://acme/api/data/v9.2/tasks";
  for (const auto& e : table) {
    for (const bool resume : {false, true}) {
      INFO("emit status " << static_cast<int>(e.emit) << ", resume " << resume);
      const auto end = end_after_emit(emitted(e.emit, error), resume, {"phone_call_activity"});
      CHECK(end.status == e.status);
      CHECK(end.block_reason == e.block_reason);
      CHECK(end.message == (resume ? "resume replay failed: " + error : error));
      CHECK(end.ledger == std::optional<run_status>(e.ledger));
    }
  }
}

TEST_CASE("end_after_emit: a lease taken over fails and leaves the ledger to its new owner",
          "[session_policy]") {
  const std::string taken = "session '" + session_id + "' was taken over by 'run_other'";
  for (const bool resume : {false, true}) {
    INFO("resume " << resume);
    const auto end = end_after_emit(emitted(emit_status::stopped, taken), resume, {});
    CHECK(end.status == exit_status::failed);
    CHECK(exit_code_of(end.status) == 2);
    CHECK_FALSE(end.block_reason);
    CHECK(end.message == taken);
    CHECK_FALSE(end.ledger);
  }
}

// ---- what an emit confirmed ----------------------------------------------------------------

TEST_CASE("operations_confirmed: confirmed operations in write-back order, named once",
          "[session_policy]") {
  auto o = emitted(emit_status::completed);
  SECTION("all three, reported out of order") {
    o.results = {confirmed(crm_record_kind::task, task_record_id),
                 confirmed(crm_record_kind::queue_status, queue_id),
                 confirmed(crm_record_kind::phone_call_activity, phone_call_id),
                 confirmed(crm_record_kind::task, task_record_id)};
    CHECK(operations_confirmed(o) ==
          std::vector<std::string>{"phone_call_activity", "queue_status_update", "task"});
  }
  SECTION("failed operations and the claim are not write-back operations") {
    o.results = {failed(crm_record_kind::phone_call_activity),
                 confirmed(crm_record_kind::queue_claim, queue_id),
                 confirmed(crm_record_kind::queue_status, queue_id), failed(crm_record_kind::task)};
    CHECK(operations_confirmed(o) == std::vector<std::string>{"queue_status_update"});
  }
  SECTION("nothing attempted") {
    CHECK(operations_confirmed(o).empty());
  }
}

TEST_CASE("ledger_change_of: the done flags and the confirmed correlations, nothing else",
          "[session_policy]") {
  auto o = emitted(emit_status::permanent, "task emission blocked");
  o.phone_call_done = true;
  o.queue_status_done = true;
  o.task_done = false;
  o.results = {confirmed(crm_record_kind::phone_call_activity, phone_call_id),
               confirmed(crm_record_kind::queue_status, queue_id), failed(crm_record_kind::task)};
  const auto c = ledger_change_of(o);
  CHECK(c.phone_call_activity_done);
  CHECK(c.queue_status_update_done);
  CHECK_FALSE(c.task_done);
  CHECK_FALSE(c.claim_done);
  CHECK(c.correlations ==
        std::vector<crm_correlation>{{session_id, crm_record_kind::phone_call_activity, session_id,
                                      phone_call_id, crm_write_status::confirmed, "", ""},
                                     {session_id, crm_record_kind::queue_status, session_id,
                                      queue_id, crm_write_status::confirmed, "", ""}});
  // The run status, block reason and last error are the session end's to set.
  CHECK_FALSE(c.status);
  CHECK_FALSE(c.block_reason.has_value());
  CHECK_FALSE(c.last_error.has_value());
  CHECK(c.keys.empty());
  CHECK_FALSE(c.claim_baseline);
  CHECK_FALSE(c.write_plan);
}

TEST_CASE("done_keys: the local keys of the Dataverse operations marked done", "[session_policy]") {
  std::vector<local_idempotency_key> keys;
  for (const auto kind : {writeback_kind::session_state, writeback_kind::task_payload,
                          writeback_kind::normalized_result, writeback_kind::attempt_count,
                          writeback_kind::queue_status_update, writeback_kind::phone_call_activity,
                          writeback_kind::exported_artifact})
    keys.push_back({session_id, "call_1", "", kind});
  const auto kinds = [](const std::vector<local_idempotency_key>& ks) {
    std::vector<writeback_kind> out;
    for (const auto& k : ks) out.push_back(k.kind);
    return out;
  };
  auto o = emitted(emit_status::completed);
  SECTION("all done: the three Dataverse keys, in the given order") {
    o.phone_call_done = o.queue_status_done = o.task_done = true;
    CHECK(kinds(done_keys(keys, o)) ==
          std::vector<writeback_kind>{writeback_kind::task_payload,
                                      writeback_kind::queue_status_update,
                                      writeback_kind::phone_call_activity});
  }
  SECTION("only the phone call done") {
    o.phone_call_done = true;
    const auto done = done_keys(keys, o);
    REQUIRE(done.size() == 1);
    CHECK(done[0] == keys[5]);
  }
  SECTION("nothing done") {
    CHECK(done_keys(keys, o).empty());
  }
}

// ---- resume pre-flight (dataverse.md §10 step 2) -------------------------------------------

namespace {

const unix_ms now = *parse_utc_ms("2026-06-01T12:00:00.000Z");
const std::string mapping_path = "config/dataverse_mapping.json";
const std::string planned_sha = std::string(64, 'a');

ledger_row row_with(run_status status) {
  ledger_row r;
  r.session_id = session_id;
  r.claim_done = true;
  r.status = status;
  r.updated_at = "2026-06-01T11:00:00.000Z";
  r.lease_expires_at = "2026-06-01T11:15:00.000Z";
  r.lease_owner = "run_previous";
  return r;
}

write_plan_record planned_with(const std::string& sha) {
  write_plan_record p;
  p.session_id = session_id;
  p.mapping_sha256 = sha;
  return p;
}

preflight_verdict preflight(
    const std::optional<ledger_row>& row,
    const std::optional<write_plan_record>& plan = planned_with(planned_sha),
    const std::string& sha = planned_sha) {
  return resume_preflight(session_id, row, now, plan, mapping_path, sha);
}

}  // namespace

TEST_CASE("resume pre-flight: a session without a ledger row is a usage error",
          "[session_policy]") {
  const auto v = preflight(std::nullopt);
  CHECK_FALSE(v.proceed);
  CHECK(v.usage_error);
  CHECK(v.message == "resume pre-flight failed: session '" + session_id +
                         "' has no writeback_progress row; nothing to resume");
}

TEST_CASE("resume pre-flight: completed and aborted sessions need no resume", "[session_policy]") {
  for (const auto status : {run_status::completed, run_status::aborted}) {
    INFO(to_string(status));
    // Even with a changed mapping: the ledger answers first.
    const auto v = preflight(row_with(status), planned_with(planned_sha), std::string(64, 'b'));
    CHECK_FALSE(v.proceed);
    CHECK_FALSE(v.usage_error);
    CHECK(v.status == exit_status::no_resume_needed);
    CHECK(exit_code_of(v.status) == 0);
    CHECK_FALSE(v.block_reason);
  }
}

TEST_CASE("resume pre-flight: a blocked session stays blocked with its persisted reason",
          "[session_policy]") {
  auto row = row_with(run_status::blocked);
  row.block_reason = std::string("conflict_detected");
  row.last_error = std::string("conflict_detected: queue item changed");
  const auto v = preflight(row);
  CHECK_FALSE(v.proceed);
  CHECK_FALSE(v.usage_error);
  CHECK(v.status == exit_status::blocked);
  CHECK(exit_code_of(v.status) == 1);
  CHECK(v.block_reason == nullable<std::string>(std::string("conflict_detected")));
}

TEST_CASE("resume pre-flight: an in-progress session with a live lease fails", "[session_policy]") {
  auto row = row_with(run_status::in_progress);
  SECTION("lease ends later") {
    row.lease_expires_at = "2026-06-01T12:10:00.000Z";
  }
  SECTION("lease ends now: the takeover needs it to have ended before now") {
    row.lease_expires_at = format_utc_ms(now);
  }
  const auto v = preflight(row);
  CHECK_FALSE(v.proceed);
  CHECK_FALSE(v.usage_error);
  CHECK(v.status == exit_status::failed);
  CHECK(exit_code_of(v.status) == 2);
  CHECK(v.message == "resume pre-flight failed: session '" + session_id +
                         "' is 'in_progress' until " + row.lease_expires_at +
                         "; another run may still be working on it");
}

TEST_CASE("resume pre-flight: an expired lease or resume_needed proceeds", "[session_policy]") {
  auto row = row_with(run_status::in_progress);
  SECTION("lease expired a millisecond ago") {
    row.lease_expires_at = format_utc_ms(now - 1);
  }
  SECTION("resume_needed, whatever its lease") {
    row.status = run_status::resume_needed;
    row.lease_expires_at = "2026-06-01T13:00:00.000Z";
  }
  const auto v = preflight(row);
  CHECK(v.proceed);
  CHECK_FALSE(v.usage_error);
}

TEST_CASE("resume pre-flight: without a persisted write plan the mapping is not compared",
          "[session_policy]") {
  const auto v = preflight(row_with(run_status::resume_needed), std::nullopt, std::string(64, 'b'));
  CHECK(v.proceed);
  CHECK_FALSE(v.usage_error);
}

TEST_CASE("resume pre-flight: a mapping changed since the plan is a usage error",
          "[session_policy]") {
  for (const auto status : {run_status::resume_needed, run_status::in_progress}) {
    INFO(to_string(status));
    const auto v = preflight(row_with(status), planned_with(planned_sha), std::string(64, 'b'));
    CHECK_FALSE(v.proceed);
    CHECK(v.usage_error);
    CHECK(v.message == "resume pre-flight failed: mapping " + mapping_path +
                           " changed since session '" + session_id +
                           "' was planned; restore the mapping used by that session");
  }
}

// ---- persisted records (domain.md §3, §11) -------------------------------------------------

namespace {

/// The acme mapping with a second preserve column that is a live lookup (selected as
/// `_acme_parentid_value`, persisted under its logical name).
dataverse::resolved_mapping mapping_with_lookup_preserve() {
  auto artifact = acme_mapping();
  artifact.preserve_if_present.push_back("acme_parentid");
  auto m = dataverse::resolve_from_artifact(artifact, true);
  m.queue_lookup_columns.insert("acme_parentid");
  return m;
}

const std::string parent_id = "9a8b7c6d-0000-4000-8000-00000000beef";

/// A claimed row as Dataverse returns it (lookups as `_<c>_value`).
std::string claimed_row_json() {
  return json::write_compact(json::object{{"@odata.etag", "W/\"778201\""},
                                          {"acme_callqueueid", queue_id},
                                          {"acme_status", 100000001},
                                          {"acme_lastsession", session_id},
                                          {"acme_lastdisposition", "no_answer"},
                                          {"acme_notes", "gate code 4411"},
                                          {"_acme_parentid_value", parent_id},
                                          {"acme_phone", "+15555550100"},
                                          {"acme_tz", "America/Chicago"},
                                          {"acme_attempts", 2},
                                          {"acme_dnc", false}});
}

/// The parts of a baseline a resume compares against (not the eligibility inputs).
void check_same_comparison(const dataverse::row_baseline& rebuilt,
                           const dataverse::row_baseline& original) {
  CHECK(rebuilt.etag == original.etag);
  CHECK(rebuilt.status == original.status);
  CHECK(rebuilt.last_session_id == original.last_session_id);
  CHECK(rebuilt.last_disposition == original.last_disposition);
  CHECK(rebuilt.preserve == original.preserve);
}

}  // namespace

TEST_CASE("queue_baseline_of keeps the raw values under their logical column names",
          "[session_records]") {
  const auto m = mapping_with_lookup_preserve();
  const auto b = queue_baseline_of(m, claimed_row_json(), session_id, queue_id,
                                   "2026-06-01T12:00:01.000Z", baseline_phase::claim);
  CHECK(b.session_id == session_id);
  CHECK(b.queue_item_id == queue_id);
  CHECK(b.captured_at == "2026-06-01T12:00:01.000Z");
  CHECK(b.phase == baseline_phase::claim);
  CHECK(b.status_value == json::value(100000001));
  CHECK(b.last_session_id == nullable<std::string>(session_id));
  CHECK(b.last_disposition == nullable<std::string>(std::string("no_answer")));
  CHECK(b.etag == nullable<std::string>(std::string("W/\"778201\"")));
  CHECK(b.preserve_values ==
        json::object{{"acme_notes", "gate code 4411"}, {"acme_parentid", parent_id}});
}

TEST_CASE("baseline_row_json rebuilds a row that compares like the persisted one",
          "[session_records]") {
  const auto m = mapping_with_lookup_preserve();
  std::string row_json;
  SECTION("every value present") {
    row_json = claimed_row_json();
  }
  SECTION("nulls and absent columns, no ETag") {
    row_json = json::write_compact(json::object{{"acme_callqueueid", queue_id},
                                                {"acme_status", 100000000},
                                                {"acme_lastsession", nullptr},
                                                {"acme_lastdisposition", nullptr},
                                                {"acme_phone", "+15555550100"}});
  }
  const auto original = json::parse(row_json);
  const auto b = queue_baseline_of(m, row_json, session_id, queue_id, "2026-06-01T12:00:01.000Z",
                                   baseline_phase::load);
  const auto rebuilt = json::parse(baseline_row_json(m, b));
  INFO(json::write_compact(rebuilt));
  check_same_comparison(dataverse::baseline_from_row(m, rebuilt),
                        dataverse::baseline_from_row(m, original));
  REQUIRE(rebuilt.find("acme_callqueueid"));
  CHECK(rebuilt.find("acme_callqueueid")->as_string() == queue_id);
  // A lookup preserve column travels as Dataverse selects it, never under its logical name.
  CHECK_FALSE(rebuilt.contains("acme_parentid"));
}

TEST_CASE("a baseline persisted, rebuilt and persisted again is unchanged", "[session_records]") {
  const auto m = mapping_with_lookup_preserve();
  const auto b = queue_baseline_of(m, claimed_row_json(), session_id, queue_id,
                                   "2026-06-01T12:00:01.000Z", baseline_phase::claim);
  const auto again = queue_baseline_of(m, baseline_row_json(m, b), session_id, queue_id,
                                       "2026-06-01T12:00:01.000Z", baseline_phase::claim);
  CHECK(again == b);
}

TEST_CASE("write_plan_record_of: where the records go, the owner of the Task, the mapping",
          "[session_records]") {
  const auto m = acme_resolved(true);
  auto plan = sample_plan();
  const auto r = write_plan_record_of(m, session_id, false, true, plan, "teams", planned_sha,
                                      "2026-06-01T17:03:00.000Z");
  CHECK(r.session_id == session_id);
  CHECK(r.writeback_mode == "sequential");
  CHECK(r.link_regarding);
  CHECK(r.queue_entity_set == "acme_callqueues");
  CHECK(r.queue_primary_id == "acme_callqueueid");
  CHECK(r.phone_call_entity_set == "phonecalls");
  CHECK(r.phone_call_primary_id == "activityid");
  CHECK(r.phone_call_key_column == "acme_idemkey");
  CHECK(r.phone_call_regarding ==
        nullable<std::string>(std::string("regardingobjectid_acme_callqueue_phonecall")));
  CHECK(r.task_entity_set == "tasks");
  CHECK(r.task_primary_id == "activityid");
  CHECK(r.task_key_column == "acme_idemkey");
  CHECK(r.task_regarding ==
        nullable<std::string>(std::string("regardingobjectid_acme_callqueue_task")));
  CHECK(r.owner_id == nullable<std::string>(owner_id));
  CHECK(r.owner_entity_set == nullable<std::string>(std::string("teams")));
  CHECK(r.mapping_sha256 == planned_sha);
  CHECK(r.planned_at == "2026-06-01T17:03:00.000Z");

  SECTION("batch mode without regarding links") {
    const auto unlinked = acme_resolved(false);
    const auto b = write_plan_record_of(unlinked, session_id, true, false, plan, "systemusers",
                                        planned_sha, "2026-06-01T17:03:00.000Z");
    CHECK(b.writeback_mode == "batch");
    CHECK_FALSE(b.link_regarding);
    CHECK_FALSE(b.phone_call_regarding);
    CHECK_FALSE(b.task_regarding);
    CHECK(b.owner_entity_set == nullable<std::string>(std::string("systemusers")));
  }
  SECTION("no owner without a Task") {
    plan.task.reset();
    const auto b = write_plan_record_of(m, session_id, false, true, plan, "systemusers",
                                        planned_sha, "2026-06-01T17:03:00.000Z");
    CHECK_FALSE(b.owner_id);
    CHECK_FALSE(b.owner_entity_set);
  }
  SECTION("no owner for a Task without one") {
    plan.task->assigned_to.reset();
    const auto b = write_plan_record_of(m, session_id, false, true, plan, "systemusers",
                                        planned_sha, "2026-06-01T17:03:00.000Z");
    CHECK_FALSE(b.owner_id);
    CHECK_FALSE(b.owner_entity_set);
  }
}
