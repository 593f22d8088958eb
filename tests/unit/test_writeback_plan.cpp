// The write-back plan per disposition (domain.md §9–§10): emission table, status transitions,
// DNC side effect, task kinds and subjects, idempotency keys, attempt counting.
#include <catch2/catch.hpp>

#include "actors/writeback_planner/emission.hpp"
#include "actors/writeback_planner/writeback_plan.hpp"

using namespace opencloser;

namespace {

struct planned {
  call_outcome call;
  eligibility_decision decision;
  session_facts facts;
  normalized_result result;
  writeback_plan plan;
};

/// Plans an allowed session whose call ended with `d` (persona ran with `reason`).
planned plan_for(disposition d, nullable<review_reason> reason = {},
                 nullable<std::string> window = {}, nullable<std::string> email = {}) {
  planned p;
  p.decision.outcome = eligibility_outcome::allow;
  p.call.session_id = "ses_1";
  p.call.call_id = "call_1";
  p.call.idempotency_event_ids = {"ev-1", "ev-2"};
  p.call.final_disposition = d;
  persona_output persona;
  persona.persona_version = "alf-appointment-setter@0.1.0";
  persona.final_disposition = d;
  persona.summary = "Disposition: " + std::string(to_string(d)) + ".";
  persona.human_review_reason = reason;
  persona.extraction.preferred_callback_window = window;
  persona.extraction.callback_requested = window.has_value();
  persona.extraction.captured_email = email;
  p.call.persona = persona;
  p.facts.session_id = "ses_1";
  p.facts.item.queue_item_id = "q-1";
  p.facts.item.facility_name = "Maple Court ALF";
  p.facts.item.attempt_count = 2;
  p.facts.started_at = "2026-05-22T19:00:00.000Z";
  p.facts.ended_at = "2026-05-22T19:02:00.000Z";
  p.facts.now = p.facts.ended_at;
  p.facts.decision = &p.decision;
  p.facts.call = &p.call;
  p.facts.persona_version = "alf-appointment-setter@0.1.0";
  p.facts.transcript_written = true;
  p.result = build_normalized_result(p.facts);
  p.plan = plan_writeback(p.facts, p.result, {"owner-cb", "team-review"}, [] { return "task_1"; });
  return p;
}

}  // namespace

TEST_CASE("emission table: every disposition") {
  using cs = callable_status;
  struct row {
    disposition d;
    bool call;
    std::optional<cs> status;
    std::optional<task_kind> task;
  } rows[] = {
      {disposition::interested_callback_requested, true, cs::ready, task_kind::callback},
      {disposition::interested_email_captured, true, cs::completed, task_kind::callback},
      {disposition::call_back_later, true, cs::ready, task_kind::callback},
      {disposition::needs_human_review, true, cs::blocked, task_kind::review},
      {disposition::not_interested, true, cs::completed, std::nullopt},
      {disposition::wrong_number, true, cs::blocked, std::nullopt},
      {disposition::do_not_call, true, cs::dnc, std::nullopt},
      {disposition::no_answer, true, cs::ready, std::nullopt},
      {disposition::voicemail, true, cs::ready, std::nullopt},
      {disposition::failed, true, cs::ready, std::nullopt},
      {disposition::blocked, false, std::nullopt, std::nullopt},
  };
  STATIC_REQUIRE(std::size(enum_names<disposition>::values) == 11);
  for (const auto& r : rows) {
    INFO(to_string(r.d));
    const auto rule = emission_for(r.d);
    CHECK(rule.phone_call == r.call);
    CHECK(rule.new_status == r.status);
    CHECK(rule.task == r.task);
    CHECK(rule.set_dnc_flag == (r.d == disposition::do_not_call));
    CHECK_FALSE((task_excluded(r.d) && r.task.has_value()));
  }
}

TEST_CASE("the task guard excludes exactly the five dispositions of domain.md §9") {
  std::vector<std::string> excluded;
  for (std::size_t i = 0; i < enum_names<disposition>::values.size(); ++i)
    if (task_excluded(static_cast<disposition>(i)))
      excluded.emplace_back(enum_names<disposition>::values[i]);
  CHECK(excluded == std::vector<std::string>{"not_interested", "wrong_number", "do_not_call",
                                             "failed", "blocked"});
}

TEST_CASE("callback task carries the window and the verified email, bound to the callback owner") {
  const auto p = plan_for(disposition::interested_callback_requested, {},
                          std::string("Thursday at 2 PM"), std::string("owner@maple.example"));
  REQUIRE(p.plan.task);
  const auto& t = *p.plan.task;
  CHECK(t.kind == task_kind::callback);
  CHECK(t.subject == "Callback for Maple Court ALF");
  CHECK(t.preferred_callback_window == nullable<std::string>("Thursday at 2 PM"));
  CHECK(t.captured_email == nullable<std::string>("owner@maple.example"));
  CHECK_FALSE(t.reason_code.has_value());
  CHECK(t.assigned_to == nullable<std::string>("owner-cb"));
  CHECK(t.created_at == p.facts.ended_at);
  CHECK(t.task_id == "task_1");
  CHECK(p.plan.queue_status.new_status == callable_status::ready);
  CHECK(p.plan.queue_status.transition_reason == "interested_callback_requested");
  CHECK(p.plan.queue_status.transition_at == p.facts.ended_at);
  REQUIRE(p.plan.phone_call_activity);
  CHECK(p.plan.phone_call_activity->summary == "Disposition: interested_callback_requested.");
  CHECK(p.plan.phone_call_activity->mock_provider_call_id == nullable<std::string>("call_1"));
}

TEST_CASE("email-only and call-back-later tasks have no window") {
  const auto email = plan_for(disposition::interested_email_captured, {}, {},
                              std::string("director@maple.example"));
  REQUIRE(email.plan.task);
  CHECK_FALSE(email.plan.task->preferred_callback_window.has_value());
  CHECK(email.plan.task->captured_email == nullable<std::string>("director@maple.example"));
  CHECK(email.plan.queue_status.new_status == callable_status::completed);

  const auto later = plan_for(disposition::call_back_later);
  REQUIRE(later.plan.task);
  CHECK(later.plan.task->kind == task_kind::callback);
  CHECK_FALSE(later.plan.task->preferred_callback_window.has_value());
}

TEST_CASE("review task names the reason and goes to the review owner") {
  const auto p = plan_for(disposition::needs_human_review, review_reason::uncertain_role);
  REQUIRE(p.plan.task);
  CHECK(p.plan.task->kind == task_kind::review);
  CHECK(p.plan.task->subject == "Review uncertain_role for Maple Court ALF");
  CHECK(p.plan.task->reason_code == nullable<review_reason>(review_reason::uncertain_role));
  CHECK_FALSE(p.plan.task->captured_email.has_value());
  CHECK(p.plan.task->assigned_to == nullable<std::string>("team-review"));
  CHECK(p.result.human_review_reason == nullable<review_reason>(review_reason::uncertain_role));
  CHECK(p.plan.queue_status.new_status == callable_status::blocked);
}

TEST_CASE("do_not_call sets the DNC flag and never plans a task") {
  const auto p = plan_for(disposition::do_not_call);
  CHECK(p.plan.queue_status.new_status == callable_status::dnc);
  CHECK(p.plan.queue_status.set_dnc_flag);
  CHECK_FALSE(p.plan.task.has_value());
  CHECK(p.plan.phone_call_activity.has_value());
}

TEST_CASE("a transport disposition keeps the persona's review reason but plans no task") {
  auto p = plan_for(disposition::voicemail, review_reason::captured_email_invalid_no_callback);
  CHECK(p.result.final_disposition == disposition::voicemail);
  CHECK(p.result.human_review_reason ==
        nullable<review_reason>(review_reason::captured_email_invalid_no_callback));
  CHECK_FALSE(p.plan.task.has_value());
  CHECK(p.plan.queue_status.new_status == callable_status::ready);
}

TEST_CASE("no persona interaction: fixed summary, persona version still set") {
  planned p = plan_for(disposition::no_answer);
  p.call.persona.reset();
  p.facts.transcript_written = false;
  const auto r = build_normalized_result(p.facts);
  CHECK(r.summary == "Disposition: no_answer; no persona interaction.");
  CHECK(r.persona_version == nullable<std::string>("alf-appointment-setter@0.1.0"));
  CHECK_FALSE(r.transcript_pointer.has_value());
  CHECK_FALSE(r.human_review_reason.has_value());
}

TEST_CASE("blocked path: status unchanged, reason letters, no call, no task, no attempt") {
  eligibility_decision decision;
  decision.outcome = eligibility_outcome::block;
  decision.failing_rules = {"a", "c", "d", "e", "f"};
  session_facts facts;
  facts.session_id = "ses_2";
  facts.item.queue_item_id = "q-2";
  facts.item.status = callable_status::dnc;
  facts.item.attempt_count = 5;
  facts.started_at = facts.ended_at = "2026-05-22T11:00:00.000Z";
  facts.now = "2026-05-22T11:00:00.500Z";
  facts.decision = &decision;
  facts.persona_version = "alf-appointment-setter@0.1.0";
  const auto r = build_normalized_result(facts);
  CHECK(r.final_disposition == disposition::blocked);
  CHECK(r.summary == "Blocked by eligibility: a,c,d,e,f.");
  CHECK(r.blocked_reason == nullable<std::vector<std::string>>(decision.failing_rules));
  CHECK_FALSE(r.persona_version.has_value());
  CHECK_FALSE(r.mock_provider_call_id.has_value());
  CHECK(r.ended_at == r.started_at);
  const auto plan = plan_writeback(facts, r, {"a", "b"}, [] { return "task_x"; });
  CHECK_FALSE(plan.phone_call_activity.has_value());
  CHECK_FALSE(plan.task.has_value());
  CHECK(plan.queue_status.new_status == callable_status::dnc);
  CHECK(plan.queue_status.previous_status == callable_status::dnc);
  CHECK(plan.queue_status.transition_reason == "blocked_by_eligibility: a,c,d,e,f");
  CHECK(plan.queue_status.transition_at == facts.now);
  CHECK(attempts_after(facts) == 5);
  const auto keys = session_idempotency_keys(facts, plan);
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].kind == writeback_kind::normalized_result);
  CHECK(keys[1].kind == writeback_kind::queue_status_update);
}

TEST_CASE("allowed path: +1 attempt and one key per event, record and the attempt mirror") {
  const auto p = plan_for(disposition::interested_callback_requested, {}, std::string("Friday"));
  CHECK(attempts_after(p.facts) == 3);
  const auto keys = session_idempotency_keys(p.facts, p.plan);
  std::vector<std::string> kinds;
  for (const auto& k : keys) {
    CHECK(k.session_id == "ses_1");
    CHECK(k.call_id == "call_1");
    kinds.emplace_back(to_string(k.kind));
  }
  CHECK(kinds == std::vector<std::string>{"session_state", "session_state", "attempt_count",
                                          "normalized_result", "phone_call_activity",
                                          "queue_status_update", "task_payload"});
  CHECK(keys[0].event_id == "ev-1");
  CHECK(keys[1].event_id == "ev-2");
}

TEST_CASE("summary fallback and 200 code point cut on the Phone Call") {
  planned p = plan_for(disposition::not_interested);
  p.call.persona->summary = "";
  auto r = build_normalized_result(p.facts);
  auto plan = plan_writeback(p.facts, r, {"a", "b"}, [] { return "task_1"; });
  CHECK(plan.phone_call_activity->summary == "Final disposition: not_interested");

  p.call.persona->summary = std::string(150, 'x') + std::string(100, 'y');
  r = build_normalized_result(p.facts);
  plan = plan_writeback(p.facts, r, {"a", "b"}, [] { return "task_1"; });
  CHECK(plan.phone_call_activity->summary.size() == 200);
}
