// The SQLite state journal (domain.md §11, dataverse.md §10, §12).

#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "adapters/state/state_journal.hpp"
#include "adapters/state/state_schema.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser;
using opencloser::testing::read_file;
using opencloser::testing::temp_dir;
namespace fs = std::filesystem;

namespace {

constexpr unix_ms t0 = 1779476400000;  // 2026-05-22T19:00:00.000Z
constexpr unix_ms minute = 60'000;
const std::string sid = "ses_0123456789abcdef0123456789abcdef";
const std::string queue_id = "6f1c2a1e-3b7d-4c1e-9a2b-1234567890ab";

/// Runs raw SQL outside the journal (as a test or a human would) and returns the first column
/// of the first row, or "" when there is none.
std::string raw_sql(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string first;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr)
      first = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  const std::string error = (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE)
                                ? ""
                                : std::string("error: ") + sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return error.empty() ? first : error;
}

/// A database created by someone else, with `schema_meta.version` = `version`.
void foreign_database(const fs::path& file, const std::string& version) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  const std::string sql =
      "PRAGMA journal_mode=WAL; CREATE TABLE schema_meta (applied_at TEXT, version TEXT); "
      "INSERT INTO schema_meta VALUES ('2026-01-01T00:00:00.000Z', '" +
      version +
      "'); "
      "CREATE TABLE sessions (session_id TEXT PRIMARY KEY);";
  REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

ledger_lease lease_of(std::string owner, unix_ms now) {
  return {std::move(owner), now, 900};
}

session_start write_mode_start(const std::string& owner = "run_a") {
  session_start start;
  auto& s = start.session;
  s.session_id = sid;
  s.queue_item_id = queue_id;
  s.state = session_state::created;
  s.started_at = "2026-05-22T19:00:00.000Z";
  s.mode = run_mode::write_enabled;
  auto& d = start.decision;
  d.decision_id = "dec_0123456789abcdef0123456789abcdef";
  d.queue_item_id = queue_id;
  d.session_id = sid;
  d.decided_at = s.started_at;
  d.outcome = eligibility_outcome::allow;
  d.rules = {true, true, true, true, true, true};
  d.default_tz_applied = true;
  d.default_tz_substituted_for = "Mars/Olympus";
  auto& q = start.loaded_item;
  q.queue_item_id = queue_id;
  q.facility_name = "Sunrise Manor";
  q.phone_number = "+15551234567";
  q.timezone = "America/Los_Angeles";
  q.attempt_count = 2;
  start.lease = lease_of(owner, t0);
  queue_baseline load;
  load.session_id = sid;
  load.queue_item_id = queue_id;
  load.captured_at = s.started_at;
  load.phase = baseline_phase::load;
  load.status_value = json::value(std::int64_t{100000000});
  load.etag = "W/\"1001\"";
  load.preserve_values = {{"medx_notes", json::value("keep me")}, {"medx_owner", json::value()}};
  start.load_baseline = load;
  return start;
}

write_plan_record plan_record() {
  write_plan_record p;
  p.session_id = sid;
  p.queue_entity_set = "medx_queueitems";
  p.queue_primary_id = "medx_queueitemid";
  p.phone_call_entity_set = "phonecalls";
  p.phone_call_primary_id = "activityid";
  p.phone_call_key_column = "medx_idempotencykey";
  p.phone_call_regarding = "regardingobjectid_medx_queueitem_phonecall";
  p.task_entity_set = "tasks";
  p.task_primary_id = "activityid";
  p.task_key_column = "medx_idempotencykey";
  p.owner_id = "11111111-2222-3333-4444-555555555555";
  p.owner_entity_set = "teams";
  p.mapping_sha256 = std::string(64, 'a');
  p.planned_at = "2026-05-22T19:00:01.000Z";
  return p;
}

crm_correlation correlation(crm_record_kind kind, crm_write_status status,
                            nullable<std::string> record_id = {}) {
  crm_correlation c;
  c.session_id = sid;
  c.record_kind = kind;
  c.idempotency_key = sid;
  c.dataverse_record_id = std::move(record_id);
  c.write_status = status;
  return c;
}

std::string count(const fs::path& file, const std::string& table) {
  return raw_sql(file, "SELECT count(*) FROM " + table);
}

}  // namespace

TEST_CASE("a new state database is created once, in WAL mode, with private permissions",
          "[state]") {
  temp_dir dir;
  const auto file = dir.path / "state" / "nested" / "opencloser.db";
  {
    auto journal = state_journal::open(file, t0);
    CHECK(journal.created_schema());
  }
  CHECK(raw_sql(file, "PRAGMA journal_mode") == "wal");
  CHECK(count(file, "schema_meta") == "1");
  CHECK(raw_sql(file, "SELECT version FROM schema_meta") == "opencloser-state-v1");
  CHECK(raw_sql(file, "SELECT applied_at FROM schema_meta") == "2026-05-22T19:00:00.000Z");
  struct stat info {};
  REQUIRE(::stat(file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  REQUIRE(::stat(file.parent_path().c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0700);
  REQUIRE(::stat((dir.path / "state").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0700);

  auto again = state_journal::open(file, t0 + minute);
  CHECK_FALSE(again.created_schema());
  CHECK(count(file, "schema_meta") == "1");
  CHECK(raw_sql(file, "SELECT applied_at FROM schema_meta") == "2026-05-22T19:00:00.000Z");
  CHECK(read_state_schema_version(file) == std::optional<std::string>("opencloser-state-v1"));
}

TEST_CASE("an existing empty file becomes a state database", "[state]") {
  temp_dir dir;
  const auto file = dir.write("empty.db", "");
  auto journal = state_journal::open(file, t0);
  CHECK(journal.created_schema());
  CHECK(raw_sql(file, "SELECT version FROM schema_meta") == "opencloser-state-v1");
}

TEST_CASE("begin_session commits session, decision, snapshot, ledger and load baseline",
          "[state]") {
  temp_dir dir;
  auto journal = state_journal::open(dir.path / "s.db", t0);
  const auto start = write_mode_start();
  journal.begin_session(start);

  CHECK(journal.session(sid) == std::optional<session_record>(start.session));
  CHECK(journal.decision(sid) == std::optional<eligibility_decision>(start.decision));
  CHECK(journal.loaded_item(sid) == std::optional<queue_item>(start.loaded_item));
  CHECK(journal.active_baseline(sid) == std::optional<queue_baseline>(*start.load_baseline));
  CHECK_FALSE(journal.baseline(sid, baseline_phase::claim));

  const auto ledger = journal.ledger(sid);
  REQUIRE(ledger);
  CHECK(ledger->status == run_status::in_progress);
  CHECK(ledger->lease_owner == "run_a");
  CHECK(ledger->lease_expires_at == "2026-05-22T19:15:00.000Z");
  CHECK(ledger->updated_at == "2026-05-22T19:00:00.000Z");
  CHECK_FALSE(ledger->claim_done);
  CHECK_FALSE(ledger->task_done);

  CHECK_FALSE(journal.ledger("ses_ffffffffffffffffffffffffffffffff"));
  CHECK_FALSE(journal.session("ses_ffffffffffffffffffffffffffffffff"));
}

TEST_CASE("a dry-run session has no ledger row", "[state]") {
  temp_dir dir;
  auto journal = state_journal::open(dir.path / "s.db", t0);
  auto start = write_mode_start();
  start.session.mode = run_mode::dry_run;
  start.lease.reset();
  start.load_baseline.reset();
  journal.begin_session(start);
  CHECK(journal.session(sid));
  CHECK_FALSE(journal.ledger(sid));
  CHECK(journal.correlations(sid).empty());
}

TEST_CASE("the ledger walks claim, phone call, queue update and task to completed", "[state]") {
  temp_dir dir;
  auto journal = state_journal::open(dir.path / "s.db", t0);
  journal.begin_session(write_mode_start());

  ledger_change claim;
  claim.claim_done = true;
  claim.correlations.push_back(
      correlation(crm_record_kind::queue_claim, crm_write_status::confirmed, queue_id));
  auto claimed = *write_mode_start().load_baseline;
  claimed.phase = baseline_phase::claim;
  claimed.status_value = json::value(std::int64_t{100000001});
  claimed.last_session_id = sid;
  claimed.etag = "W/\"1002\"";
  claim.claim_baseline = claimed;
  auto row = journal.apply(sid, lease_of("run_a", t0 + minute), claim);
  CHECK(row.claim_done);
  CHECK(row.lease_expires_at == "2026-05-22T19:16:00.000Z");  // renewed with the write
  CHECK(journal.active_baseline(sid) == std::optional<queue_baseline>(claimed));

  ledger_change planned;
  planned.write_plan = plan_record();
  journal.apply(sid, lease_of("run_a", t0 + minute), planned);
  CHECK(journal.write_plan(sid) == std::optional<write_plan_record>(plan_record()));

  ledger_change phone;
  phone.phone_call_activity_done = true;
  phone.keys.push_back({sid, "call_1", "", writeback_kind::phone_call_activity});
  phone.correlations.push_back(correlation(crm_record_kind::phone_call_activity,
                                           crm_write_status::confirmed,
                                           std::string("aaaaaaaa-0000-5000-8000-000000000001")));
  row = journal.apply(sid, lease_of("run_a", t0 + 2 * minute), phone);
  CHECK(row.phone_call_activity_done);
  CHECK(journal.has_idempotency_key({sid, "call_1", "", writeback_kind::phone_call_activity}));

  ledger_change failure;
  failure.last_error = nullable<std::string>("transient: 503");
  row = journal.apply(sid, lease_of("run_a", t0 + 2 * minute), failure);
  CHECK(row.last_error == nullable<std::string>("transient: 503"));

  ledger_change rest;
  rest.queue_status_update_done = true;
  rest.task_done = true;
  rest.status = run_status::completed;
  row = journal.apply(sid, lease_of("run_a", t0 + 3 * minute), rest);
  CHECK(row.status == run_status::completed);
  CHECK(row.queue_status_update_done);
  CHECK(row.task_done);
  CHECK(row.claim_done);        // earlier flags kept (a change only raises flags)
  CHECK_FALSE(row.last_error);  // cleared on completed

  const auto kinds = journal.correlations(sid);
  REQUIRE(kinds.size() == 2);
  CHECK(kinds[0].record_kind == crm_record_kind::phone_call_activity);
  CHECK(kinds[1].record_kind == crm_record_kind::queue_claim);

  // Terminal: no further ledger write, and a raw edit cannot reopen it either.
  CHECK_THROWS_WITH(journal.renew_lease(sid, lease_of("run_a", t0 + 4 * minute)),
                    Catch::Contains("ledger is 'completed'; it takes no further writes"));
  CHECK_FALSE(journal.take_over(sid, lease_of("run_b", t0 + 60 * minute)));
  CHECK(raw_sql(dir.path / "s.db", "UPDATE writeback_progress SET run_status = 'in_progress'")
            .find("ledger state is terminal") != std::string::npos);
  CHECK(raw_sql(dir.path / "s.db", "UPDATE writeback_progress SET claim_done = 0")
            .find("never regresses") != std::string::npos);
}

TEST_CASE("blocked and resume_needed ledgers take no writes from the owner", "[state]") {
  temp_dir dir;
  auto journal = state_journal::open(dir.path / "s.db", t0);
  journal.begin_session(write_mode_start());
  ledger_change block;
  block.status = run_status::resume_needed;
  block.last_error = nullable<std::string>("dataverse task failed: 503");
  journal.apply(sid, lease_of("run_a", t0), block);
  CHECK_THROWS_WITH(journal.renew_lease(sid, lease_of("run_a", t0)),
                    Catch::Contains("ledger is 'resume_needed'"));
}

TEST_CASE("a confirmed correlation is never downgraded and keeps its record id", "[state]") {
  temp_dir dir;
  auto journal = state_journal::open(dir.path / "s.db", t0);
  journal.begin_session(write_mode_start());
  ledger_change pending;
  pending.correlations.push_back(correlation(crm_record_kind::task, crm_write_status::pending));
  journal.apply(sid, lease_of("run_a", t0), pending);
  CHECK(journal.correlations(sid).at(0).write_status == crm_write_status::pending);

  ledger_change confirmed;
  confirmed.correlations.push_back(correlation(crm_record_kind::task, crm_write_status::confirmed,
                                               std::string("task-record-id")));
  journal.apply(sid, lease_of("run_a", t0 + minute), confirmed);

  ledger_change failed;
  failed.correlations.push_back(correlation(crm_record_kind::task, crm_write_status::failed));
  journal.apply(sid, lease_of("run_a", t0 + 2 * minute), failed);

  const auto rows = journal.correlations(sid);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].write_status == crm_write_status::confirmed);
  CHECK(rows[0].dataverse_record_id == nullable<std::string>("task-record-id"));
  CHECK(rows[0].created_at == "2026-05-22T19:00:00.000Z");
  CHECK(rows[0].updated_at == "2026-05-22T19:02:00.000Z");
}

TEST_CASE("takeover succeeds only on resume_needed or an expired lease, and only once", "[state]") {
  temp_dir dir;
  auto journal = state_journal::open(dir.path / "s.db", t0);
  journal.begin_session(write_mode_start());  // lease until t0 + 15 min

  SECTION("a live lease cannot be taken over") {
    CHECK_FALSE(journal.take_over(sid, lease_of("run_b", t0 + 14 * minute)));
    CHECK(journal.ledger(sid)->lease_owner == "run_a");
  }
  SECTION("the expiry instant itself is still live (strictly earlier than now expires)") {
    CHECK_FALSE(journal.take_over(sid, lease_of("run_b", t0 + 15 * minute)));
  }
  SECTION("an expired lease is taken over, and a second taker loses") {
    CHECK(journal.take_over(sid, lease_of("run_b", t0 + 16 * minute)));
    const auto row = journal.ledger(sid);
    CHECK(row->lease_owner == "run_b");
    CHECK(row->status == run_status::in_progress);
    CHECK(row->lease_expires_at == "2026-05-22T19:31:00.000Z");
    CHECK_FALSE(journal.take_over(sid, lease_of("run_c", t0 + 17 * minute)));
    CHECK(journal.ledger(sid)->lease_owner == "run_b");
  }
  SECTION("resume_needed is taken over at once, live lease or not") {
    ledger_change stop;
    stop.status = run_status::resume_needed;
    journal.apply(sid, lease_of("run_a", t0), stop);
    CHECK(journal.take_over(sid, lease_of("run_b", t0 + minute)));
    CHECK(journal.ledger(sid)->status == run_status::in_progress);
    CHECK_FALSE(journal.take_over(sid, lease_of("run_c", t0 + 2 * minute)));
  }
  SECTION("a lease moved into the past by hand (as the conformance tests do) expires") {
    raw_sql(dir.path / "s.db",
            "UPDATE writeback_progress SET lease_expires_at = '2000-01-01T00:00:00.000Z'");
    CHECK(journal.take_over(sid, lease_of("run_b", t0)));
    CHECK(journal.resumable_sessions(t0).empty());  // live again under run_b
  }
  SECTION("an unknown session is not taken over") {
    CHECK_FALSE(journal.take_over("ses_ffffffffffffffffffffffffffffffff",
                                  lease_of("run_b", t0 + 60 * minute)));
  }
}

TEST_CASE("a stale owner's ledger write fails 'taken over by' and changes nothing", "[state]") {
  temp_dir dir;
  const auto file = dir.path / "s.db";
  auto stale = state_journal::open(file, t0);
  stale.begin_session(write_mode_start("run_a"));
  {
    auto other = state_journal::open(file, t0);  // another process, e.g. a resume
    REQUIRE(other.take_over(sid, lease_of("run_b", t0 + 16 * minute)));
  }
  ledger_change phone;
  phone.phone_call_activity_done = true;
  phone.correlations.push_back(
      correlation(crm_record_kind::phone_call_activity, crm_write_status::confirmed));
  phone.keys.push_back({sid, "call_1", "", writeback_kind::phone_call_activity});
  try {
    stale.apply(sid, lease_of("run_a", t0 + 17 * minute), phone);
    FAIL("the stale owner's write was accepted");
  } catch (const lease_lost_error& e) {
    CHECK(std::string(e.what()) ==
          "session 'ses_0123456789abcdef0123456789abcdef' was taken over by 'run_b'");
    CHECK(e.owner == "run_b");
  }
  CHECK_THROWS_AS(stale.renew_lease(sid, lease_of("run_a", t0 + 17 * minute)), lease_lost_error);
  const auto row = stale.ledger(sid);
  CHECK_FALSE(row->phone_call_activity_done);
  CHECK(row->lease_owner == "run_b");
  CHECK(stale.correlations(sid).empty());
  CHECK_FALSE(stale.has_idempotency_key({sid, "call_1", "", writeback_kind::phone_call_activity}));
}

TEST_CASE("a failing step rolls its whole transaction back", "[state]") {
  temp_dir dir;
  const auto file = dir.path / "s.db";
  auto journal = state_journal::open(file, t0);
  journal.begin_session(write_mode_start());

  SECTION("a second session reusing the decision id leaves no session row behind") {
    auto start = write_mode_start();
    start.session.session_id = "ses_11111111111111111111111111111111";
    start.decision.session_id = start.session.session_id;
    start.load_baseline->session_id = start.session.session_id;
    CHECK_THROWS_AS(journal.begin_session(start), state_error);
    CHECK_FALSE(journal.session(start.session.session_id));
    CHECK_FALSE(journal.ledger(start.session.session_id));
    CHECK(count(file, "sessions") == "1");
    CHECK(count(file, "queue_item_snapshots") == "1");
  }
  SECTION("a ledger change whose write plan fails keeps none of its flags or correlations") {
    ledger_change first;
    first.write_plan = plan_record();
    journal.apply(sid, lease_of("run_a", t0), first);
    ledger_change second;
    second.claim_done = true;
    second.correlations.push_back(
        correlation(crm_record_kind::queue_claim, crm_write_status::confirmed));
    second.write_plan = plan_record();  // duplicate: the insert fails after the flag update
    CHECK_THROWS_AS(journal.apply(sid, lease_of("run_a", t0 + minute), second), state_error);
    const auto row = journal.ledger(sid);
    CHECK_FALSE(row->claim_done);
    CHECK(row->updated_at == "2026-05-22T19:00:00.000Z");
    CHECK(journal.correlations(sid).empty());
  }
  SECTION("the journal stays usable after a rollback") {
    auto start = write_mode_start();
    CHECK_THROWS(journal.begin_session(start));
    ledger_change claim;
    claim.claim_done = true;
    CHECK(journal.apply(sid, lease_of("run_a", t0), claim).claim_done);
  }
}

TEST_CASE("the call, its attempt and its result are recorded once under their keys", "[state]") {
  temp_dir dir;
  const auto file = dir.path / "s.db";
  auto journal = state_journal::open(file, t0);
  journal.begin_session(write_mode_start());
  auto session = write_mode_start().session;
  session.state = session_state::in_flight;
  session.mock_provider_call_id = "call_0123456789abcdef0123456789abcdef";

  CHECK(journal.record_call_placed(session, 2, t0));
  CHECK(journal.mirrored_attempts(queue_id) == std::optional<std::int64_t>(3));
  CHECK_FALSE(journal.record_call_placed(session, 2, t0));  // same key: already applied
  CHECK(journal.mirrored_attempts(queue_id) == std::optional<std::int64_t>(3));

  call_outcome call;
  call.session_id = sid;
  call.call_id = *session.mock_provider_call_id;
  call.idempotency_event_ids = {"ev1", "ev2", "ev3"};
  mock_call_event connected{sid, "ev1", event_type::connected, "2026-05-22T19:00:01.000Z", {}};
  mock_call_event completed{sid, "ev2", event_type::completed, "2026-05-22T19:00:02.000Z", {}};
  call.events = {connected, completed};
  conflicting_event_audit late;
  late.audit_id = "audit_0123456789abcdef0123456789abcdef";
  late.session_id = sid;
  late.event_id = "ev3";
  late.conflicting_event_type = event_type::failed;
  late.received_at = "2026-05-22T19:00:03.000Z";
  late.full_event_payload = {{"failure_reason", payload_entry::kind::text, 0, "carrier_error"}};
  late.preserved_disposition = disposition::not_interested;
  call.audits = {late};
  session.persona_version = "alf-appointment-setter@0.1.0";
  session.final_disposition = disposition::not_interested;
  journal.record_call_outcome(session, call, t0);
  CHECK(count(file, "mock_call_events") == "2");
  CHECK(count(file, "conflicting_event_audits") == "1");
  CHECK(raw_sql(file, "SELECT full_event_payload FROM conflicting_event_audits") ==
        R"({"failure_reason":"carrier_error"})");
  CHECK(journal.has_idempotency_key(
      {sid, *session.mock_provider_call_id, "ev3", writeback_kind::session_state}));
  CHECK(journal.session(sid)->final_disposition ==
        nullable<disposition>(disposition::not_interested));

  normalized_result result;
  result.session_id = sid;
  result.queue_item_id = queue_id;
  result.mock_provider_call_id = session.mock_provider_call_id;
  result.persona_version = session.persona_version;
  result.final_disposition = disposition::not_interested;
  result.summary = "Not interested.";
  result.started_at = session.started_at;
  result.ended_at = "2026-05-22T19:00:04.000Z";
  writeback_plan plan;
  plan.session_id = sid;
  plan.phone_call_activity = phone_call_payload{sid,
                                                queue_id,
                                                session.mock_provider_call_id,
                                                "alf-appointment-setter@0.1.0",
                                                disposition::not_interested,
                                                "Not interested.",
                                                session.started_at,
                                                result.ended_at};
  plan.queue_status = {sid,
                       queue_id,
                       callable_status::ready,
                       callable_status::completed,
                       "not_interested",
                       result.ended_at,
                       false};
  session.ended_at = result.ended_at;
  CHECK(journal.record_session_result(session, result, plan, t0));
  CHECK_FALSE(journal.record_session_result(session, result, plan, t0));
  CHECK(count(file, "normalized_results") == "1");
  CHECK(count(file, "phone_call_activities") == "1");
  CHECK(raw_sql(file, "SELECT new_status FROM queue_status_updates") == "completed");
  CHECK(count(file, "task_payloads") == "0");

  journal.finalize_session(sid, t0);
  journal.finalize_session(sid, t0);  // idempotent
  CHECK(journal.session(sid)->state == session_state::finalized);
  session.state = session_state::aborted;
  CHECK_THROWS_WITH(journal.update_session(session, t0),
                    Catch::Contains("is already 'finalized'; it cannot become 'aborted'"));
}

TEST_CASE("rows are never deleted", "[state]") {
  temp_dir dir;
  const auto file = dir.path / "s.db";
  auto journal = state_journal::open(file, t0);
  journal.begin_session(write_mode_start());
  CHECK(raw_sql(file, "DELETE FROM writeback_progress").find("never deleted") != std::string::npos);
  CHECK(raw_sql(file, "DELETE FROM sessions").find("never deleted") != std::string::npos);
  CHECK(count(file, "sessions") == "1");
}

TEST_CASE("resumable sessions are resume_needed or in_progress with an expired lease", "[state]") {
  temp_dir dir;
  auto journal = state_journal::open(dir.path / "s.db", t0);
  journal.begin_session(write_mode_start());
  CHECK(journal.resumable_sessions(t0 + minute).empty());
  CHECK(journal.resumable_sessions(t0 + 16 * minute) == std::vector<std::string>{sid});
}

TEST_CASE("drains record their items and the session each became", "[state]") {
  temp_dir dir;
  const auto file = dir.path / "s.db";
  auto journal = state_journal::open(file, t0);
  journal.begin_session(write_mode_start());
  journal.record_drain("drn_0123456789abcdef0123456789abcdef", std::string("campaign-guid"), t0);
  const std::string drain = "drn_0123456789abcdef0123456789abcdef";
  const std::string other_row = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0aff";
  journal.record_drain_item({drain, queue_id, {}, "deferred", {}, {}, {}, "coordinator"}, t0);
  journal.record_drain_item(
      {drain, other_row, {}, "blocked", std::string("eligibility"), {}, {}, "coordinator"}, t0);
  journal.record_drain_item({drain,
                             queue_id,
                             sid,
                             "completed",
                             {},
                             std::string("no_answer"),
                             std::string("callback"),
                             "node-a"},
                            t0 + minute);
  CHECK(count(file, "drain_items") == "2");
  // Completion order: a later outcome moves the item to the end.
  std::vector<drain_item_record> items;
  journal.for_each_drain_item(drain, [&](const drain_item_record& i) { items.push_back(i); });
  REQUIRE(items.size() == 2);
  CHECK(items[0].queue_item_id == other_row);
  CHECK(items[0].block_reason.value_or("") == "eligibility");
  CHECK(items[1].queue_item_id == queue_id);
  CHECK(items[1].session_id.value_or("") == sid);
  CHECK(items[1].outcome == "completed");
  CHECK(items[1].final_disposition.value_or("") == "no_answer");
  CHECK(items[1].scenario.value_or("") == "callback");
  CHECK(items[1].node == "node-a");
  CHECK_THROWS_AS(
      journal.record_drain_item({"drn_unknown", queue_id, {}, "deferred", {}, {}, {}, "x"}, t0),
      state_error);  // foreign key
}

TEST_CASE("a database of another schema version is refused and left unchanged", "[state]") {
  temp_dir dir;
  const auto file = dir.path / "other ?#%20.db";  // characters a file: URI must escape
  foreign_database(file, "opencloser-state-v9");
  const auto before = read_file(file);
  CHECK_THROWS_WITH(state_journal::open(file, t0),
                    "state database " + file.string() +
                        " was created by another version (opencloser-state-v9); set [state].db "
                        "to a new file");
  CHECK_THROWS_AS(choose_state_database(file, state_db_source::config), state_version_error);
  CHECK(read_file(file) == before);
}

TEST_CASE("a predecessor database is never opened for writing", "[state]") {
  temp_dir dir;
  const auto file = dir.path / "slice1.db";
  foreign_database(file, "slice1-v1");
  const auto before = read_file(file);
  const std::string refusal = "state database " + file.string() +
                              " belongs to the predecessor openCloser and is never modified; "
                              "pass a new file to --state-db";
  CHECK_THROWS_WITH(state_journal::open(file, t0), refusal);
  CHECK_THROWS_WITH(choose_state_database(file, state_db_source::flag), refusal);

  const auto choice = choose_state_database(file, state_db_source::config);
  CHECK(choice.file == dir.path / "opencloser.db");
  CHECK(choice.notice == std::optional<std::string>("state database " + file.string() +
                                                    " belongs to the predecessor; using " +
                                                    (dir.path / "opencloser.db").string()));
  auto journal = state_journal::open(choice.file, t0);
  CHECK(journal.created_schema());
  CHECK(read_file(file) == before);
  // Not even SQLite's sidecar files appear next to it.
  CHECK_FALSE(fs::exists(file.string() + "-wal"));
  CHECK_FALSE(fs::exists(file.string() + "-shm"));
  CHECK(read_state_schema_version(file) == std::optional<std::string>("slice1-v1"));
}

TEST_CASE("a file that is not a state database gets a clear error and is not touched", "[state]") {
  temp_dir dir;
  SECTION("garbage bytes") {
    const auto file = dir.write("garbage.db", "this is not a database, just some text\n");
    CHECK_THROWS_WITH(
        state_journal::open(file, t0),
        "state database " + file + " is not a readable SQLite database (file is not a database)");
    CHECK(read_file(file) == "this is not a database, just some text\n");
  }
  SECTION("a SQLite database of some other program") {
    const auto file = dir.path / "app.db";
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    const auto before = read_file(file);
    CHECK_THROWS_WITH(state_journal::open(file, t0), Catch::Contains("no schema_meta"));
    CHECK(read_file(file) == before);
  }
  SECTION("a directory") {
    CHECK_THROWS_WITH(state_journal::open(dir.path, t0), Catch::Contains("is not a regular file"));
  }
}

TEST_CASE("an uncreatable path gets a clear error naming it", "[state]") {
  temp_dir dir;
  const auto blocker = dir.write("not-a-dir", "x");
  const auto file = fs::path(blocker) / "state" / "opencloser.db";
  CHECK_THROWS_WITH(state_journal::open(file, t0),
                    Catch::StartsWith("state database " + file.string() + " cannot be created: "));
  CHECK(read_file(blocker) == "x");
}
