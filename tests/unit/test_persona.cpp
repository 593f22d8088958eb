// The persona algorithm (domain.md §8) and the persona unit cases of conformance.md §1.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "actors/call_simulator/persona.hpp"
#include "actors/common/text.hpp"
#include "adapters/json/json.hpp"

using namespace opencloser;

namespace {

using turns_t = std::vector<conversation_turn>;

// nullable<T> == T is ambiguous (nullable's own operator== against std::optional's), so tests
// compare through the std::optional base.
template <class T>
const std::optional<T>& opt(const nullable<T>& n) {
  return n;
}

/// The canonical disclosure, then the given turns.
turns_t call(std::initializer_list<conversation_turn> rest) {
  turns_t turns{{"persona", std::string(canonical_disclosure)}};
  turns.insert(turns.end(), rest.begin(), rest.end());
  return turns;
}

conversation_turn contact(std::string text) {
  return {"contact", std::move(text)};
}
conversation_turn persona(std::string text) {
  return {"persona", std::move(text)};
}

std::optional<std::string> window_of(std::string contact_text) {
  return run_persona(call({contact(std::move(contact_text))})).extraction.preferred_callback_window;
}

void check_gate_failure(const persona_output& out) {
  CHECK(out.persona_version == "alf-appointment-setter@0.1.0");
  CHECK(out.final_disposition == disposition::needs_human_review);
  CHECK(opt(out.human_review_reason) == review_reason::outside_allowed_claims);
  CHECK_FALSE(out.disclosure_completed);
  CHECK(out.extraction == extraction{});
  CHECK(out.summary ==
        "Disclosure validation failed; first persona turn did not match canonical string.");
}

}  // namespace

TEST_CASE("disclosure gate") {
  SECTION("one trailing space fails, even when the contact opts out") {
    check_gate_failure(run_persona({persona(std::string(canonical_disclosure) + " "),
                                    contact("I'm the owner. Stop calling, opt out.")}));
  }
  SECTION("no persona turn fails") {
    check_gate_failure(run_persona({contact("I'm the owner, call me back Friday at 2 PM.")}));
    check_gate_failure(run_persona({}));
  }
  SECTION("only the first persona turn counts") {
    check_gate_failure(run_persona({persona("Hello!"), persona(std::string(canonical_disclosure)),
                                    contact("Do not call me again.")}));
  }
  SECTION("other roles before the disclosure do not matter") {
    const auto out = run_persona({{"system", "dialing"},
                                  persona(std::string(canonical_disclosure)),
                                  contact("Do not call me again.")});
    CHECK(out.disclosure_completed);
    CHECK(out.final_disposition == disposition::do_not_call);
    CHECK(opt(out.human_review_reason) == std::nullopt);
  }
}

TEST_CASE("the persona is deterministic") {
  const auto turns = call({contact("I'm the owner. Email me at a@b.example.com and call me back "
                                   "Thursday at 2 PM. Is this about dementia care?"),
                           persona("So a@b.example.com, correct?"), contact("Yes.")});
  const auto first = run_persona(turns);
  CHECK(first == run_persona(turns));
  CHECK(first.persona_version == persona_version);
}

TEST_CASE("email capture and read-back verification") {
  const std::string offer = "I'm the owner. Email me at a@b.example.com please.";
  SECTION("no read-back: unverified, with the documented summary") {
    const auto out = run_persona(call({contact(offer), persona("Thanks, goodbye.")}));
    CHECK(opt(out.extraction.captured_email_unverified) == "a@b.example.com");
    CHECK(opt(out.extraction.captured_email) == std::nullopt);
    CHECK(out.final_disposition == disposition::needs_human_review);
    CHECK(opt(out.human_review_reason) == review_reason::captured_email_invalid_no_callback);
    CHECK(out.summary ==
          "Disposition: needs_human_review; email (unverified) a@b.example.com; review reason: "
          "captured_email_invalid_no_callback.");
  }
  SECTION("a yes before the read-back does not verify") {
    const auto out = run_persona(call(
        {contact("Yes. " + offer), persona("a@b.example.com?"), contact("Hmm, let me think.")}));
    CHECK(opt(out.extraction.captured_email_unverified) == "a@b.example.com");
    CHECK(opt(out.extraction.captured_email) == std::nullopt);
  }
  SECTION("yesterday and incorrect are not confirmation tokens") {
    for (const char* reply : {"I told you yesterday.", "That is incorrect."}) {
      const auto out =
          run_persona(call({contact(offer), persona("a@b.example.com?"), contact(reply)}));
      CHECK(opt(out.extraction.captured_email) == std::nullopt);
    }
  }
  SECTION("a whole-token yes anywhere in the direct reply verifies") {
    const auto out = run_persona(
        call({contact(offer), persona("a@b.example.com?"), contact("I told you yesterday, yes")}));
    CHECK(opt(out.extraction.captured_email) == "a@b.example.com");
    CHECK(opt(out.extraction.captured_email_unverified) == std::nullopt);
    CHECK(out.final_disposition == disposition::interested_email_captured);
    CHECK(out.summary == "Disposition: interested_email_captured; email a@b.example.com.");
  }
  SECTION("only the contact's direct reply counts") {
    const auto out =
        run_persona(call({contact(offer), persona("a@b.example.com?"), contact("Hold on a moment."),
                          persona("Anything else?"), contact("Yes.")}));
    CHECK(opt(out.extraction.captured_email) == std::nullopt);
    CHECK(opt(out.extraction.captured_email_unverified) == "a@b.example.com");
  }
  SECTION("the first persona turn containing the e-mail is the read-back") {
    const auto out =
        run_persona(call({contact(offer), persona("Is it a@b.example.com?"), contact("Not quite."),
                          persona("a@b.example.com then?"), contact("Yes.")}));
    CHECK(opt(out.extraction.captured_email) == std::nullopt);
  }
  SECTION("other roles between read-back and reply are skipped") {
    const auto out = run_persona(
        call({contact(offer), persona("a@b.example.com?"), {"system", "note"}, contact("yep")}));
    CHECK(opt(out.extraction.captured_email) == "a@b.example.com");
  }
  SECTION("read-back is case-insensitive and the original casing is kept") {
    const auto out =
        run_persona(call({contact("I'm the owner, my email is Alice@Example.com"),
                          persona("That's alice@example.com?"), contact("Yeah that's right.")}));
    CHECK(opt(out.extraction.captured_email) == "Alice@Example.com");
  }
  SECTION("a sentence period is not part of the address") {
    const auto out = run_persona(call({contact("Send info to bob@care.example.net.")}));
    CHECK(opt(out.extraction.captured_email_unverified) == "bob@care.example.net");
  }
  SECTION("the first contact turn with an address wins") {
    const auto out = run_persona(call({contact("Hello there, send info to first@x.example.com"),
                                       contact("or second@x.example.com, thanks")}));
    CHECK(opt(out.extraction.captured_email_unverified) == "first@x.example.com");
  }
  SECTION("a captured e-mail suppresses role uncertainty") {
    const auto out = run_persona(call({contact("Send info to pat@home.example.com thanks")}));
    CHECK(out.extraction.role == role_confidence::uncertain);
    CHECK(opt(out.human_review_reason) == review_reason::captured_email_invalid_no_callback);
  }
}

TEST_CASE("callback window extraction") {
  CHECK(window_of("Call me back 2 PM Thursday") == "2 PM Thursday");
  CHECK(window_of("call back at 10:30 am tomorrow") == "10:30 am tomorrow");
  CHECK(window_of("call back next week") == "next week");
  CHECK(window_of("callback 3pm") == "3pm");
  CHECK(window_of("call me back at 2:30 please") == "2:30 ");
  CHECK(window_of("Call me back Thursday at 2 PM please.") == "Thursday at 2 PM");
  CHECK(window_of("call me back at 2:30\u202fPM") == "2:30\u202fPM");
  CHECK(window_of("call me back at 2:30\u00a0pm") == "2:30\u00a0pm");
  CHECK(window_of("call me back at \uff13pm") == "\uff13pm");
  CHECK(window_of("call me back FR\u0130DAY") == "FR\u0130DAY");
  CHECK(window_of("call back next wee\u212a") == "next wee\u212a");
  CHECK(window_of("call back in the mornings") == std::nullopt);

  SECTION("a bare number is not an hour") {
    const auto out = run_persona(call({contact("call back at 3")}));
    CHECK(out.extraction.callback_requested);
    CHECK(opt(out.extraction.preferred_callback_window) == std::nullopt);
  }
  SECTION("only the first callback turn is used") {
    const auto out = run_persona(call(
        {contact("I'm the owner, please call me back."), contact("Or call back Friday at 2 PM.")}));
    CHECK(out.extraction.callback_requested);
    CHECK(opt(out.extraction.preferred_callback_window) == std::nullopt);
    CHECK(out.summary == "Disposition: interested_callback_requested.");
  }
  SECTION("an hour-only window keeps its trailing space in the summary") {
    const auto out = run_persona(call({contact("I'm the owner, call me back at 2:30 please")}));
    CHECK(out.summary == "Disposition: interested_callback_requested; callback 2:30 .");
  }
  SECTION("lower-casing the Kelvin sign finds the callback phrase") {
    const auto out = run_persona(call({contact("I'M THE OWNER. CALL BAC\u212a TOMORROW.")}));
    CHECK(out.extraction.callback_requested);
    CHECK(out.extraction.role == role_confidence::confident_decision_maker);
    CHECK(out.summary == "Disposition: interested_callback_requested; callback TOMORROW.");
  }
  SECTION("U+0130 lower-cases to i + U+0307, so it is no decision-maker phrase") {
    const auto out = run_persona(call({contact("\u0130'M THE OWNER. CALL ME BACK FRIDAY.")}));
    CHECK(out.extraction.role == role_confidence::uncertain);
    CHECK(opt(out.human_review_reason) == review_reason::uncertain_role);
  }
}

TEST_CASE("disposition precedence") {
  const auto run = [](std::string text) { return run_persona(call({contact(std::move(text))})); };
  SECTION("DNC beats wrong number") {
    const auto out = run("You have the wrong number, and do not call again.");
    CHECK(out.extraction.intent == intent_classification::dnc_stated);
    CHECK(out.final_disposition == disposition::do_not_call);
  }
  SECTION("a DNC phrase anywhere wins; the window is still reported") {
    const auto out = run("Don't call me before 9 though, call me back tomorrow");
    CHECK(out.final_disposition == disposition::do_not_call);
    CHECK(opt(out.human_review_reason) == std::nullopt);
    CHECK(out.summary == "Disposition: do_not_call; callback tomorrow.");
  }
  SECTION("an escalation pre-empted by wrong number is not shown") {
    const auto out = run("Wrong number. And what medication do you mean?");
    CHECK(out.final_disposition == disposition::wrong_number);
    CHECK(opt(out.human_review_reason) == std::nullopt);
    CHECK(out.summary == "Disposition: wrong_number.");
  }
  SECTION("legal phrase with uncertain role") {
    const auto out = run("Please delete this recording of me right away.");
    CHECK(out.extraction.role == role_confidence::uncertain);
    CHECK(opt(out.human_review_reason) == review_reason::legal_request);
  }
  SECTION("PHI with a callback") {
    const auto out = run("I'm the owner. Call me back tomorrow about a resident with dementia.");
    CHECK(out.extraction.callback_requested);
    CHECK(out.final_disposition == disposition::needs_human_review);
    CHECK(opt(out.human_review_reason) == review_reason::phi_collection_risk);
    CHECK(out.summary ==
          "Disposition: needs_human_review; callback tomorrow; review reason: "
          "phi_collection_risk.");
  }
  SECTION("pricing question") {
    const auto out = run("I'm the owner. So what do you charge for that?");
    CHECK(opt(out.human_review_reason) == review_reason::outside_allowed_claims);
  }
  SECTION("callback without a role phrase in a long turn") {
    const auto out = run("Sure, please call me back on Friday.");
    CHECK(opt(out.human_review_reason) == review_reason::uncertain_role);
    CHECK(out.summary ==
          "Disposition: needs_human_review; callback Friday; review reason: uncertain_role.");
  }
  SECTION("not interested without a role phrase in a long turn") {
    const auto out = run("No thanks, we are all set here.");
    CHECK(out.extraction.intent == intent_classification::not_interested);
    CHECK(opt(out.human_review_reason) == review_reason::uncertain_role);
  }
  SECTION("short turns: truncation suppresses role and intent uncertainty") {
    const auto call_back = run("Call back.");
    CHECK(call_back.final_disposition == disposition::interested_callback_requested);
    CHECK(call_back.summary == "Disposition: interested_callback_requested.");
    CHECK(run("No thanks.").final_disposition == disposition::not_interested);
    CHECK(run("Opt out.").final_disposition == disposition::do_not_call);
    const auto hmm = run("Hmm.");
    CHECK(opt(hmm.human_review_reason) == review_reason::script_truncated);
  }
  SECTION("decision maker who is only interested") {
    const auto out = run("I'm the owner and I'm interested.");
    CHECK(out.extraction.intent == intent_classification::interested);
    CHECK(out.final_disposition == disposition::needs_human_review);
    CHECK(opt(out.human_review_reason) == review_reason::script_truncated);
  }
  SECTION("call back later also contains call back") {
    const auto out = run("I'm the owner, call back later.");
    CHECK(out.extraction.intent == intent_classification::interested);
    CHECK(out.final_disposition == disposition::interested_callback_requested);
    CHECK(opt(out.human_review_reason) == std::nullopt);
  }
  SECTION("no contact turns") {
    const auto out = run_persona(call({}));
    CHECK(out.disclosure_completed);
    CHECK(out.final_disposition == disposition::needs_human_review);
    CHECK(opt(out.human_review_reason) == review_reason::script_truncated);
    CHECK(out.summary == "Disposition: needs_human_review; review reason: script_truncated.");
  }
  SECTION("a callback phrase split across turns is intent only") {
    const auto out =
        run_persona(call({contact("I'm the owner, please call"), contact("back Friday")}));
    CHECK(out.extraction.intent == intent_classification::interested);
    CHECK_FALSE(out.extraction.callback_requested);
    CHECK(opt(out.human_review_reason) == review_reason::script_truncated);
  }
  SECTION("other roles are ignored") {
    const auto out =
        run_persona(call({{"system", "stop calling"}, contact("I'm the owner, no thanks.")}));
    CHECK(out.final_disposition == disposition::not_interested);
  }
}

TEST_CASE("summary is cut to 200 code points") {
  const std::string filler(150, 'x');
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\u00e9";
  const auto out = run_persona(
      call({contact("I'm the owner. Call me back Friday " + accents + " " + filler + " 3 PM")}));
  const std::string full = "Disposition: interested_callback_requested; callback Friday " +
                           accents + " " + filler + " 3 PM.";
  CHECK(text::length(out.summary) == 200);
  CHECK(out.summary == text::cut(full, 200));
  CHECK(out.summary.size() > 200);  // bytes: the accents take two each
  CHECK(text::encode_utf8(text::decode_utf8(out.summary)) == out.summary);
}

TEST_CASE("refusal topics are listed in the fixed order") {
  const auto all = run_persona(
      call({contact("I'm the owner. How much exactly, compared to Sunrise? Medicaid? State law? "
                    "GDPR? What dose? And dementia.")}));
  CHECK(all.extraction.refusal_topics ==
        std::vector<refusal_topic>{
            refusal_topic::medical_history, refusal_topic::clinical_advice,
            refusal_topic::legal_advice, refusal_topic::regulatory_interpretation,
            refusal_topic::insurance_dispute, refusal_topic::competitor_comparison,
            refusal_topic::pricing_specific});
  CHECK(opt(all.human_review_reason) == review_reason::legal_request);
  const auto some = run_persona(call({contact("I'm the owner. Is it Medicare or Brookdale?")}));
  CHECK(some.extraction.refusal_topics ==
        std::vector<refusal_topic>{refusal_topic::insurance_dispute,
                                   refusal_topic::competitor_comparison});
  CHECK(
      run_persona(call({contact("I'm the owner, no thanks.")})).extraction.refusal_topics.empty());
}

TEST_CASE("transcript rendering") {
  CHECK(render_transcript({persona("Hi"), contact("Hello"), {"system", "x"}}) ==
        "[persona] Hi\n[contact] Hello\n[system] x");
  CHECK(render_transcript({}) == "");
}

namespace {

turns_t load_turns(const std::string& stem, json::value& doc) {
  std::ifstream in(std::string(OPENCLOSER_TEST_FIXTURES) + "/conversations/" + stem + ".json");
  REQUIRE(in);
  std::stringstream buffer;
  buffer << in.rdbuf();
  doc = json::parse(buffer.str());
  turns_t turns;
  for (const auto& t : doc.find("turns")->as_array())
    turns.push_back({t.find("role")->as_string(), t.find("text")->as_string()});
  return turns;
}

void check_expected_extraction(const json::value& expected, const extraction& ex) {
  for (const auto& [key, value] : expected.as_object()) {
    INFO("expected_extraction." << key);
    if (key == "role_confidence") CHECK(to_string(ex.role) == value.as_string());
    if (key == "intent_classification") CHECK(to_string(ex.intent) == value.as_string());
    if (key == "callback_requested") CHECK(ex.callback_requested == value.as_bool());
    if (key == "preferred_callback_window")
      CHECK(opt(ex.preferred_callback_window) == value.as_string());
    if (key == "captured_email") CHECK(opt(ex.captured_email) == value.as_string());
    if (key == "captured_email_unverified")
      CHECK(opt(ex.captured_email_unverified) == value.as_string());
  }
}

}  // namespace

TEST_CASE("conformance §1 conversations") {
  struct row {
    const char* stem;
    disposition expected;
    std::optional<review_reason> reason;
    const char* summary;
  };
  using d = disposition;
  using r = review_reason;
  const row rows[] = {
      {"callback_weekday_pm", d::interested_callback_requested, std::nullopt,
       "Disposition: interested_callback_requested; callback Tuesday at 4 PM."},
      {"email_and_callback_verified", d::interested_callback_requested, std::nullopt,
       "Disposition: interested_callback_requested; callback Wednesday at 11 AM; email "
       "owner@maple.example.org."},
      {"email_captured_director", d::interested_email_captured, std::nullopt,
       "Disposition: interested_email_captured; email admissions@maple.example.org."},
      {"email_unverified", d::needs_human_review, r::captured_email_invalid_no_callback,
       "Disposition: needs_human_review; email (unverified) director@maple.example.org; review "
       "reason: captured_email_invalid_no_callback."},
      {"uncertain_role", d::needs_human_review, r::uncertain_role,
       "Disposition: needs_human_review; review reason: uncertain_role."},
      {"uncertain_intent", d::needs_human_review, r::uncertain_intent,
       "Disposition: needs_human_review; review reason: uncertain_intent."},
      {"ambiguous_dnc", d::needs_human_review, r::ambiguous_dnc,
       "Disposition: needs_human_review; review reason: ambiguous_dnc."},
      {"insurance_advice", d::needs_human_review, r::non_clinical_topic_escalation,
       "Disposition: needs_human_review; review reason: non_clinical_topic_escalation."},
      {"short_pleasantry", d::needs_human_review, r::script_truncated,
       "Disposition: needs_human_review; review reason: script_truncated."},
      {"call_back_later", d::call_back_later, std::nullopt, "Disposition: call_back_later."},
      {"not_interested", d::not_interested, std::nullopt, "Disposition: not_interested."},
      {"wrong_number", d::wrong_number, std::nullopt, "Disposition: wrong_number."},
      {"do_not_call", d::do_not_call, std::nullopt, "Disposition: do_not_call."},
  };
  for (const row& row : rows) {
    INFO("fixture " << row.stem);
    json::value doc;
    const auto turns = load_turns(row.stem, doc);
    REQUIRE(turns.front().text == canonical_disclosure);
    const auto out = run_persona(turns);
    CHECK(out.disclosure_completed);
    CHECK(out.final_disposition == row.expected);
    CHECK(to_string(out.final_disposition) == doc.find("expected_disposition")->as_string());
    CHECK(opt(out.human_review_reason) == row.reason);
    CHECK(out.summary == row.summary);
    check_expected_extraction(*doc.find("expected_extraction"), out.extraction);
  }
}
