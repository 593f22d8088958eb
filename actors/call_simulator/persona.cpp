#include "actors/call_simulator/persona.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "actors/common/pattern.hpp"
#include "actors/common/text.hpp"

namespace opencloser {

namespace {

using namespace std::string_view_literals;

// Phrase lists of domain.md §8.2 and §8.4, matched as substrings of lower-cased text.
constexpr std::array dnc_phrases{"don't call"sv,  "do not call"sv, "stop calling"sv,
                                 "take me off"sv, "remove me"sv,   "do not contact"sv,
                                 "unsubscribe"sv, "opt out"sv,     "opt-out"sv};
constexpr std::array wrong_number_phrases{"wrong number"sv,
                                          "you have the wrong"sv,
                                          "isn't a facility"sv,
                                          "is not a facility"sv,
                                          "not a facility"sv,
                                          "this isn't the right number"sv,
                                          "this is not the right number"sv,
                                          "no facility here"sv};
constexpr std::array not_interested_phrases{"not interested"sv, "no thank you"sv, "no thanks"sv,
                                            "we're not interested"sv};
constexpr std::array call_back_later_phrases{"call back later"sv, "try later"sv,
                                             "not a good time"sv, "not the best time"sv,
                                             "busy right now"sv,  "we'll get back"sv};
constexpr std::array callback_request_phrases{"call me back"sv, "give me a callback"sv,
                                              "callback"sv, "call back"sv, "schedule a call"sv};
constexpr std::array interested_phrases{
    "interested"sv,         "tell me more"sv, "sounds good"sv, "sounds great"sv,
    "sounds reasonable"sv,  "that works"sv,   "that sounds"sv, "what's this about"sv,
    "what is this about"sv, "go ahead"sv,     "happy to"sv,    "love to hear"sv};
constexpr std::array email_volunteer_phrases{"send info to"sv, "send it to"sv,  "send me"sv,
                                             "email me"sv,     "email is"sv,    "email it to"sv,
                                             "my email"sv,     "reach me at"sv, "info pack"sv};
constexpr std::array decision_maker_phrases{
    "i'm the owner"sv,       "i'm the manager"sv,        "i'm the administrator"sv,
    "i'm the director"sv,    "i make those decisions"sv, "i handle placement"sv,
    "i handle admissions"sv, "i handle the contracts"sv, "i handle those decisions"sv};
constexpr std::array non_decision_maker_phrases{"i just answer the phones"sv,
                                                "i don't make those decisions"sv,
                                                "you'd want to talk to"sv, "not my call"sv};
constexpr std::array confirmation_tokens{"yes"sv,     "that's right"sv, "that is right"sv,
                                         "correct"sv, "yep"sv,          "yeah"sv};

constexpr std::array legal_keywords{"delete this recording"sv, "gdpr"sv, "right to be forgotten"sv,
                                    "consult our attorney"sv, "legal department"sv};
constexpr std::array phi_keywords{
    "medication"sv, "diagnosis"sv, "treatment plan"sv, "fall risk"sv,     "cognitive"sv,
    "dementia"sv,   "alzheimer"sv, "hospice"sv,        "resident name"sv, "room number"sv};
constexpr std::array non_clinical_escalation_phrases{
    "clinical advice"sv, "medical advice"sv,     "should i take"sv, "what medication"sv,
    "what dose"sv,       "insurance coverage"sv, "regulatory"sv};
constexpr std::array outside_claims_phrases{"exact cost"sv, "what do you charge"sv,
                                            "how much exactly"sv, "compared to brookdale"sv,
                                            "compared to sunrise"sv};
constexpr std::array ambiguous_dnc_phrases{"don't really want to talk"sv};

constexpr std::array clinical_advice_topic{"clinical advice"sv, "medical advice"sv,
                                           "should i take"sv,   "what medication"sv,
                                           "what dose"sv,       "recommend a treatment"sv};
constexpr std::array regulatory_topic{"regulation"sv, "regulatory"sv, "state law"sv,
                                      "licensing requirement"sv, "compliance rule"sv};
constexpr std::array insurance_topic{"insurance"sv,        "medicare"sv,     "medicaid"sv,
                                     "coverage dispute"sv, "claim denied"sv, "claim was denied"sv};
constexpr std::array competitor_topic{"compared to"sv, "brookdale"sv, "sunrise"sv};
constexpr std::array pricing_topic{"exact cost"sv, "what do you charge"sv, "how much exactly"sv};

constexpr std::string_view gate_failure_summary =
    "Disclosure validation failed; first persona turn did not match canonical string.";
constexpr std::size_t summary_max_code_points = 200;
constexpr std::size_t truncation_min_code_points = 12;

template <std::size_t N>
bool contains_any(std::string_view text, const std::array<std::string_view, N>& phrases) {
  return std::any_of(phrases.begin(), phrases.end(), [&](std::string_view phrase) {
    return text.find(phrase) != std::string_view::npos;
  });
}

const pattern& day_pattern() {
  static const pattern p = pattern::compile(
      R"(\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|next week|this afternoon|tonight|this evening)\b)",
      true);
  return p;
}

const pattern& hour_pattern() {
  static const pattern p =
      pattern::compile(R"(\b\d{1,2}(?::\d{2}\s*(?:am|pm)?|\s*(?:am|pm))\b)", true);
  return p;
}

const pattern& email_pattern() {
  static const pattern p =
      pattern::compile(R"(\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b)");
  return p;
}

std::string_view slice(std::string_view text, const match_span& m) {
  return text.substr(m.begin, m.end - m.begin);
}

// The window of the first callback turn (original text): day and hour spanned and trimmed,
// else whichever was found, verbatim (an hour may keep trailing whitespace).
nullable<std::string> callback_window(std::string_view text) {
  const auto day = day_pattern().find(text);
  const auto hour = hour_pattern().find(text);
  if (day && hour) {
    const std::size_t begin = std::min(day->begin, hour->begin);
    const std::size_t end = std::max(day->end, hour->end);
    return text::trim(text.substr(begin, end - begin));
  }
  if (day) return std::string(slice(text, *day));
  if (hour) return std::string(slice(text, *hour));
  return std::nullopt;
}

// The code point before byte `at` / at byte `at` of valid UTF-8 (lower() output always is).
char32_t code_point_before(std::string_view s, std::size_t at) {
  std::size_t start = at - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  return text::decode_utf8(s.substr(start, at - start)).back();
}

char32_t code_point_at(std::string_view s, std::size_t at) {
  return text::decode_utf8(s.substr(at, 4)).front();
}

// Some occurrence of `token` with no word character right before or right after it.
bool has_whole_token(std::string_view lowered, std::string_view token) {
  for (std::size_t at = lowered.find(token); at != std::string_view::npos;
       at = lowered.find(token, at + 1)) {
    const std::size_t end = at + token.size();
    const bool clear_before = at == 0 || !text::is_word_char(code_point_before(lowered, at));
    const bool clear_after =
        end == lowered.size() || !text::is_word_char(code_point_at(lowered, end));
    if (clear_before && clear_after) return true;
  }
  return false;
}

bool confirms(std::string_view lowered) {
  return std::any_of(confirmation_tokens.begin(), confirmation_tokens.end(),
                     [&](std::string_view token) { return has_whole_token(lowered, token); });
}

// Read-back: the first persona turn containing the candidate case-insensitively; the first
// contact turn after it must confirm.
bool email_verified(const std::vector<conversation_turn>& turns, std::string_view candidate) {
  const std::string needle = text::lower(candidate);
  std::size_t i = 0;
  while (i < turns.size() && !(turns[i].role == "persona" &&
                               text::lower(turns[i].text).find(needle) != std::string::npos))
    ++i;
  if (i == turns.size()) return false;
  for (++i; i < turns.size(); ++i)
    if (turns[i].role == "contact") return confirms(text::lower(turns[i].text));
  return false;
}

persona_output gate_failure() {
  persona_output out;
  out.persona_version = std::string(persona_version);
  out.final_disposition = disposition::needs_human_review;
  out.human_review_reason = review_reason::outside_allowed_claims;
  out.disclosure_completed = false;
  out.summary = std::string(gate_failure_summary);
  return out;
}

intent_classification classify_intent(std::string_view joined) {
  if (contains_any(joined, dnc_phrases)) return intent_classification::dnc_stated;
  if (contains_any(joined, wrong_number_phrases)) return intent_classification::wrong_number;
  if (contains_any(joined, not_interested_phrases)) return intent_classification::not_interested;
  const bool callback_request = contains_any(joined, callback_request_phrases);
  if (contains_any(joined, call_back_later_phrases) && !callback_request)
    return intent_classification::call_back_later;
  if (callback_request || contains_any(joined, interested_phrases) ||
      contains_any(joined, email_volunteer_phrases))
    return intent_classification::interested;
  return intent_classification::uncertain;
}

role_confidence classify_role(std::string_view joined) {
  if (contains_any(joined, decision_maker_phrases))
    return role_confidence::confident_decision_maker;
  if (contains_any(joined, non_decision_maker_phrases))
    return role_confidence::confident_non_decision_maker;
  return role_confidence::uncertain;
}

std::vector<refusal_topic> refusal_topics(std::string_view joined) {
  std::vector<refusal_topic> topics;
  const auto add_if = [&](bool hit, refusal_topic topic) {
    if (hit) topics.push_back(topic);
  };
  add_if(contains_any(joined, phi_keywords), refusal_topic::medical_history);
  add_if(contains_any(joined, clinical_advice_topic), refusal_topic::clinical_advice);
  add_if(contains_any(joined, legal_keywords), refusal_topic::legal_advice);
  add_if(contains_any(joined, regulatory_topic), refusal_topic::regulatory_interpretation);
  add_if(contains_any(joined, insurance_topic), refusal_topic::insurance_dispute);
  add_if(contains_any(joined, competitor_topic), refusal_topic::competitor_comparison);
  add_if(contains_any(joined, pricing_topic), refusal_topic::pricing_specific);
  return topics;
}

// Step 3 (domain.md §8.4): first match wins.
nullable<review_reason> escalation(std::string_view joined, const extraction& ex, bool terminated) {
  if (contains_any(joined, legal_keywords)) return review_reason::legal_request;
  if (contains_any(joined, phi_keywords)) return review_reason::phi_collection_risk;
  if (contains_any(joined, non_clinical_escalation_phrases))
    return review_reason::non_clinical_topic_escalation;
  if (contains_any(joined, outside_claims_phrases)) return review_reason::outside_allowed_claims;
  if (contains_any(joined, ambiguous_dnc_phrases)) return review_reason::ambiguous_dnc;
  const bool email_captured = ex.captured_email || ex.captured_email_unverified;
  if (email_captured || terminated) return std::nullopt;
  if (ex.role == role_confidence::uncertain) return review_reason::uncertain_role;
  if (ex.intent == intent_classification::uncertain) return review_reason::uncertain_intent;
  return std::nullopt;
}

// Step 4 (domain.md §8.5): sets the disposition and, for needs_human_review, the reason.
void decide(persona_output& out, const nullable<review_reason>& reason) {
  const extraction& ex = out.extraction;
  const auto review = [&](review_reason r) {
    out.final_disposition = disposition::needs_human_review;
    out.human_review_reason = r;
  };
  if (ex.intent == intent_classification::dnc_stated)
    out.final_disposition = disposition::do_not_call;
  else if (ex.intent == intent_classification::wrong_number)
    out.final_disposition = disposition::wrong_number;
  else if (reason)
    review(*reason);
  else if (ex.callback_requested)
    out.final_disposition = disposition::interested_callback_requested;
  else if (ex.captured_email)
    out.final_disposition = disposition::interested_email_captured;
  else if (ex.captured_email_unverified)
    review(review_reason::captured_email_invalid_no_callback);
  else if (ex.intent == intent_classification::call_back_later)
    out.final_disposition = disposition::call_back_later;
  else if (ex.intent == intent_classification::not_interested)
    out.final_disposition = disposition::not_interested;
  else
    review(review_reason::script_truncated);
}

std::string summarize(const persona_output& out) {
  const extraction& ex = out.extraction;
  std::string s = "Disposition: " + std::string(to_string(out.final_disposition));
  if (ex.callback_requested && ex.preferred_callback_window &&
      !ex.preferred_callback_window->empty())
    s += "; callback " + *ex.preferred_callback_window;
  if (ex.captured_email)
    s += "; email " + *ex.captured_email;
  else if (ex.captured_email_unverified)
    s += "; email (unverified) " + *ex.captured_email_unverified;
  if (out.final_disposition == disposition::needs_human_review && out.human_review_reason)
    s += "; review reason: " + std::string(to_string(*out.human_review_reason));
  s += '.';
  return text::cut(s, summary_max_code_points);
}

}  // namespace

persona_output run_persona(const std::vector<conversation_turn>& turns) {
  const auto first_persona =
      std::find_if(turns.begin(), turns.end(), [](const auto& t) { return t.role == "persona"; });
  if (first_persona == turns.end() || first_persona->text != canonical_disclosure)
    return gate_failure();

  persona_output out;
  out.persona_version = std::string(persona_version);
  out.disclosure_completed = true;
  extraction& ex = out.extraction;

  std::string joined;
  bool first = true, terminated = true;
  for (const auto& turn : turns) {
    if (turn.role != "contact") continue;
    const std::string lowered = text::lower(turn.text);
    if (!first) joined += ' ';
    joined += lowered;
    first = false;
    if (text::length(text::trim(turn.text)) >= truncation_min_code_points) terminated = false;
    if (!ex.callback_requested && contains_any(lowered, callback_request_phrases)) {
      ex.callback_requested = true;
      ex.preferred_callback_window = callback_window(turn.text);
    }
    if (!ex.captured_email_unverified) {
      if (const auto m = email_pattern().find(turn.text))
        ex.captured_email_unverified = std::string(slice(turn.text, *m));
    }
  }
  ex.intent = classify_intent(joined);
  ex.role = classify_role(joined);
  ex.refusal_topics = refusal_topics(joined);
  if (ex.captured_email_unverified && email_verified(turns, *ex.captured_email_unverified)) {
    ex.captured_email = std::move(ex.captured_email_unverified);
    ex.captured_email_unverified = std::nullopt;
  }

  decide(out, escalation(joined, ex, terminated));
  out.summary = summarize(out);
  return out;
}

std::string render_transcript(const std::vector<conversation_turn>& turns) {
  std::string out;
  for (std::size_t i = 0; i < turns.size(); ++i) {
    if (i > 0) out += '\n';
    out += '[' + turns[i].role + "] " + turns[i].text;
  }
  return out;
}

}  // namespace opencloser
