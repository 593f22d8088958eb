#pragma once
// The enumerations of domain.md §2 and their wire names. Vocabulary only: the names are the
// JSON/column spellings, in declaration order; `enum_from` rejects unknown values.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace opencloser {

enum class callable_status : std::uint8_t { ready, in_progress, completed, blocked, dnc };

enum class disposition : std::uint8_t {
  interested_callback_requested,
  interested_email_captured,
  not_interested,
  call_back_later,
  wrong_number,
  no_answer,
  voicemail,
  do_not_call,
  needs_human_review,
  failed,
  blocked,
};

enum class review_reason : std::uint8_t {
  uncertain_role,
  uncertain_intent,
  ambiguous_dnc,
  captured_email_invalid_no_callback,
  phi_collection_risk,
  legal_request,
  non_clinical_topic_escalation,
  outside_allowed_claims,
  script_truncated,
};

enum class role_confidence : std::uint8_t {
  confident_decision_maker,
  confident_non_decision_maker,
  uncertain,
};

enum class intent_classification : std::uint8_t {
  interested,
  not_interested,
  call_back_later,
  dnc_stated,
  wrong_number,
  uncertain,
};

enum class refusal_topic : std::uint8_t {
  clinical_advice,
  legal_advice,
  regulatory_interpretation,
  insurance_dispute,
  competitor_comparison,
  pricing_specific,
  medical_history,
};

enum class event_type : std::uint8_t {
  connected,
  no_answer,
  voicemail,
  failed,
  completed,
  callback_requested,
};

enum class failure_reason : std::uint8_t {
  carrier_error,
  transport_error,
  invalid_number,
  unknown
};

enum class session_state : std::uint8_t {
  created,
  eligibility_evaluated,
  in_flight,
  finalized,
  blocked,
  aborted,
};

enum class writeback_kind : std::uint8_t {
  session_state,
  normalized_result,
  attempt_count,
  phone_call_activity,
  queue_status_update,
  task_payload,
  exported_artifact,
};

enum class run_status : std::uint8_t { in_progress, completed, resume_needed, blocked, aborted };

enum class crm_record_kind : std::uint8_t { phone_call_activity, task, queue_status, queue_claim };

enum class crm_write_status : std::uint8_t { pending, confirmed, failed };

enum class run_mode : std::uint8_t { dry_run, write_enabled };

enum class task_kind : std::uint8_t { callback, review };

enum class eligibility_outcome : std::uint8_t { allow, block };

/// Wire names per enumeration, in declaration order.
template <class E>
struct enum_names;

#define OPENCLOSER_ENUM_NAMES(E, ...)                                              \
  template <>                                                                      \
  struct enum_names<E> {                                                           \
    static constexpr auto values = std::to_array<std::string_view>({__VA_ARGS__}); \
  }

OPENCLOSER_ENUM_NAMES(callable_status, "ready", "in_progress", "completed", "blocked", "dnc");
OPENCLOSER_ENUM_NAMES(disposition, "interested_callback_requested", "interested_email_captured",
                      "not_interested", "call_back_later", "wrong_number", "no_answer", "voicemail",
                      "do_not_call", "needs_human_review", "failed", "blocked");
OPENCLOSER_ENUM_NAMES(review_reason, "uncertain_role", "uncertain_intent", "ambiguous_dnc",
                      "captured_email_invalid_no_callback", "phi_collection_risk", "legal_request",
                      "non_clinical_topic_escalation", "outside_allowed_claims",
                      "script_truncated");
OPENCLOSER_ENUM_NAMES(role_confidence, "confident_decision_maker", "confident_non_decision_maker",
                      "uncertain");
OPENCLOSER_ENUM_NAMES(intent_classification, "interested", "not_interested", "call_back_later",
                      "dnc_stated", "wrong_number", "uncertain");
OPENCLOSER_ENUM_NAMES(refusal_topic, "clinical_advice", "legal_advice", "regulatory_interpretation",
                      "insurance_dispute", "competitor_comparison", "pricing_specific",
                      "medical_history");
OPENCLOSER_ENUM_NAMES(event_type, "connected", "no_answer", "voicemail", "failed", "completed",
                      "callback_requested");
OPENCLOSER_ENUM_NAMES(failure_reason, "carrier_error", "transport_error", "invalid_number",
                      "unknown");
OPENCLOSER_ENUM_NAMES(session_state, "created", "eligibility_evaluated", "in_flight", "finalized",
                      "blocked", "aborted");
OPENCLOSER_ENUM_NAMES(writeback_kind, "session_state", "normalized_result", "attempt_count",
                      "phone_call_activity", "queue_status_update", "task_payload",
                      "exported_artifact");
OPENCLOSER_ENUM_NAMES(run_status, "in_progress", "completed", "resume_needed", "blocked",
                      "aborted");
OPENCLOSER_ENUM_NAMES(crm_record_kind, "phone_call_activity", "task", "queue_status",
                      "queue_claim");
OPENCLOSER_ENUM_NAMES(crm_write_status, "pending", "confirmed", "failed");
OPENCLOSER_ENUM_NAMES(run_mode, "dry_run", "write_enabled");
OPENCLOSER_ENUM_NAMES(task_kind, "callback", "review");
OPENCLOSER_ENUM_NAMES(eligibility_outcome, "allow", "block");

#undef OPENCLOSER_ENUM_NAMES

template <class E>
constexpr std::string_view to_string(E value) {
  return enum_names<E>::values[static_cast<std::size_t>(value)];
}

template <class E>
constexpr std::optional<E> enum_from(std::string_view name) {
  const auto& names = enum_names<E>::values;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<E>(i);
  return std::nullopt;
}

/// Terminal transport events end the call (domain.md §2).
constexpr bool is_terminal(event_type type) {
  return type == event_type::no_answer || type == event_type::voicemail ||
         type == event_type::failed || type == event_type::completed;
}

}  // namespace opencloser
