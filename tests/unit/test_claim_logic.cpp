// The claim decisions of dataverse.md §6 (claim_logic.hpp): the 412 re-read (claimed by an
// earlier attempt, one re-claim, conflicts in §7.1 order), the verification read after
// transient exhaustion, the read after a bodiless 2xx, and the outcome messages.

#include <catch2/catch.hpp>

#include "actors/dataverse_emitter/claim_logic.hpp"

using namespace opencloser;
using dataverse::row_baseline;

namespace {

const std::string session = "ses_00000000000000000000000000000001";
constexpr std::int64_t ready = 100000000, in_progress = 100000001, blocked = 100000003;

claim_columns columns() {
  return {"acme_status",   "acme_lastsession", "acme_phone", "acme_tz",
          "acme_attempts", "acme_dnc",         in_progress};
}

row_baseline loaded_row() {
  row_baseline b;
  b.etag = "W/\"7\"";
  b.status = ready;
  b.last_session_id = nullptr;
  b.last_disposition = nullptr;
  b.preserve = {{"acme_notes", "Ask for the administrator."}, {"acme_other", nullptr}};
  b.phone = "+15555550142";
  b.timezone = "America/Chicago";
  b.attempt_count = std::int64_t{1};
  b.dnc = false;
  return b;
}

claim_reread found(row_baseline row) {
  return {true, std::move(row), {}};
}
claim_reread no_row() {
  return {true, std::nullopt, {}};
}
claim_reread read_failed() {
  return {false, std::nullopt, "Dataverse transport failure: reset"};
}

row_baseline with_etag(row_baseline b, std::string etag) {
  b.etag = std::move(etag);
  return b;
}

row_baseline claimed_by(std::string sid) {
  auto b = with_etag(loaded_row(), "W/\"8\"");
  b.status = in_progress;
  b.last_session_id = std::move(sid);
  b.attempt_count = std::int64_t{2};
  return b;
}

}  // namespace

TEST_CASE("412 re-read showing this session's claim means an earlier attempt landed") {
  const auto d = decide_after_precondition_failed(columns(), loaded_row(),
                                                  found(claimed_by(session)), session, 0);
  CHECK(d == claim_decision{claim_step::claimed, {}});
  // Even after a re-claim (a lost response on the second PATCH).
  CHECK(decide_after_precondition_failed(columns(), loaded_row(), found(claimed_by(session)),
                                         session, 1)
            .step == claim_step::claimed);
}

TEST_CASE("412 re-read with only the ETag moved claims once more, a second time is @odata.etag") {
  const auto reread = found(with_etag(loaded_row(), "W/\"9\""));
  CHECK(decide_after_precondition_failed(columns(), loaded_row(), reread, session, 0) ==
        claim_decision{claim_step::claim_again, {}});
  CHECK(decide_after_precondition_failed(columns(), loaded_row(), reread, session, 1) ==
        claim_decision{claim_step::conflict, {"@odata.etag"}});
}

TEST_CASE("412 re-read with another session's claim names status, last session and attempts") {
  const auto d = decide_after_precondition_failed(columns(), loaded_row(),
                                                  found(claimed_by("ses_other")), session, 0);
  CHECK(d ==
        claim_decision{claim_step::conflict, {"acme_status", "acme_lastsession", "acme_attempts"}});
}

TEST_CASE("412 re-read conflicts name each changed compared column in §7.1 order") {
  auto now = with_etag(loaded_row(), "W/\"9\"");
  now.dnc = true;
  now.phone = "+15555550199";
  now.timezone = nullptr;
  now.preserve[1].second = "new text";  // null → value on a preserve column
  now.status = blocked;
  const auto d = decide_after_precondition_failed(columns(), loaded_row(), found(now), session, 0);
  CHECK(d == claim_decision{claim_step::conflict,
                            {"acme_status", "acme_other", "acme_phone", "acme_tz", "acme_dnc"}});
}

TEST_CASE("412 re-read: a status change alone is a conflict naming only the status column") {
  auto now = with_etag(loaded_row(), "W/\"9\"");
  now.status = blocked;
  CHECK(decide_after_precondition_failed(columns(), loaded_row(), found(now), session, 0) ==
        claim_decision{claim_step::conflict, {"acme_status"}});
}

TEST_CASE("412 re-read: last disposition is not compared by the claim") {
  auto now = with_etag(loaded_row(), "W/\"9\"");
  now.last_disposition = "no_answer";
  CHECK(decide_after_precondition_failed(columns(), loaded_row(), found(now), session, 0).step ==
        claim_step::claim_again);
}

TEST_CASE("412 re-read without a row is __row_deleted__, a failed re-read is unknown state") {
  CHECK(decide_after_precondition_failed(columns(), loaded_row(), no_row(), session, 0) ==
        claim_decision{claim_step::conflict, {"__row_deleted__"}});
  CHECK(decide_after_precondition_failed(columns(), loaded_row(), read_failed(), session, 0).step ==
        claim_step::resume_needed);
}

TEST_CASE("a preserve column missing from the re-read reads as null") {
  auto now = with_etag(loaded_row(), "W/\"9\"");
  now.preserve.pop_back();  // acme_other was null when loaded: still equal
  CHECK(claim_differences(columns(), loaded_row(), now).empty());
  now.preserve.clear();  // acme_notes had a value: differs
  CHECK(claim_differences(columns(), loaded_row(), now) == std::vector<std::string>{"acme_notes"});
}

TEST_CASE("exhaustion: the verification read decides claimed, failed, conflict or unknown") {
  SECTION("claimed") {
    CHECK(decide_after_exhaustion(columns(), loaded_row(), found(claimed_by(session)), session)
              .step == claim_step::claimed);
  }
  SECTION("row unchanged (load ETag) → failed") {
    CHECK(decide_after_exhaustion(columns(), loaded_row(), found(loaded_row()), session) ==
          claim_decision{claim_step::failed, {}});
  }
  SECTION("changed column → conflict naming it") {
    auto now = with_etag(loaded_row(), "W/\"9\"");
    now.dnc = true;
    CHECK(decide_after_exhaustion(columns(), loaded_row(), found(now), session) ==
          claim_decision{claim_step::conflict, {"acme_dnc"}});
  }
  SECTION("only the ETag changed → conflict @odata.etag (no re-claim after exhaustion)") {
    CHECK(decide_after_exhaustion(columns(), loaded_row(),
                                  found(with_etag(loaded_row(), "W/\"9\"")), session) ==
          claim_decision{claim_step::conflict, {"@odata.etag"}});
  }
  SECTION("another session claimed it") {
    CHECK(decide_after_exhaustion(columns(), loaded_row(), found(claimed_by("ses_x")), session)
              .step == claim_step::conflict);
  }
  SECTION("row gone") {
    CHECK(decide_after_exhaustion(columns(), loaded_row(), no_row(), session) ==
          claim_decision{claim_step::conflict, {"__row_deleted__"}});
  }
  SECTION("read failed → resume_needed") {
    CHECK(decide_after_exhaustion(columns(), loaded_row(), read_failed(), session).step ==
          claim_step::resume_needed);
  }
}

TEST_CASE("exhaustion with a row loaded without an ETag judges 'unchanged' by its values") {
  auto loaded = loaded_row();
  loaded.etag.reset();
  CHECK(decide_after_exhaustion(columns(), loaded, found(with_etag(loaded, "W/\"3\"")), session)
            .step == claim_step::failed);
  auto now = with_etag(loaded, "W/\"3\"");
  now.status = blocked;
  CHECK(decide_after_exhaustion(columns(), loaded, found(now), session) ==
        claim_decision{claim_step::conflict, {"acme_status"}});
}

TEST_CASE("a bodiless 2xx is settled by the follow-up read") {
  CHECK(decide_after_success_read(columns(), found(claimed_by(session)), session).step ==
        claim_step::claimed);
  CHECK(decide_after_success_read(columns(), no_row(), session) ==
        claim_decision{claim_step::conflict, {"__row_deleted__"}});
  CHECK(decide_after_success_read(columns(), found(claimed_by("ses_x")), session) ==
        claim_decision{claim_step::conflict, {"acme_lastsession"}});
  CHECK(decide_after_success_read(columns(), read_failed(), session).step ==
        claim_step::resume_needed);
}

TEST_CASE("shows_claim needs both the in-progress value and this session id") {
  CHECK(shows_claim(columns(), claimed_by(session), session));
  CHECK_FALSE(shows_claim(columns(), claimed_by(session), "ses_other"));
  auto b = claimed_by(session);
  b.status = ready;
  CHECK_FALSE(shows_claim(columns(), b, session));
  b = claimed_by(session);
  b.status = std::to_string(in_progress);  // a string is not the option value
  CHECK_FALSE(shows_claim(columns(), b, session));
}

TEST_CASE("claim outcome messages") {
  CHECK(
      claim_conflict_message("0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11", {"acme_status", "acme_dnc"}) ==
      "conflict_detected: queue item '0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11' changed between load "
      "and claim; conflicting fields: acme_status, acme_dnc");
  CHECK(claim_failed_message("Dataverse returned HTTP 503 for PATCH x") ==
        "dataverse claim failed: Dataverse returned HTTP 503 for PATCH x");
  CHECK(claim_unknown_message("a", "b") ==
        "dataverse claim state unknown: a; verification read failed: b");
}
