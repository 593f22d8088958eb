#pragma once
// Mock-call vocabulary: conversation and transport fixtures, events, persona output and the
// outcome of one simulated call (domain.md §3, §6–§8, fixtures.md §1–§2).

#include <cstdint>
#include <string>
#include <vector>

#include "messages/enums.hpp"
#include "messages/nullable.hpp"

namespace opencloser {

struct conversation_turn {
  std::string role;  ///< `persona`, `contact`, or any other string (kept in the transcript)
  std::string text;
  bool operator==(const conversation_turn&) const = default;
};

struct conversation {
  std::string fixture_id;
  std::vector<conversation_turn> turns;
  bool operator==(const conversation&) const = default;
};

/// One allow-listed payload member of a transport event. JSON values are limited to what the
/// allow-list admits: null, an integer (`voicemail_length_seconds`) or a string.
struct payload_entry {
  enum class kind : std::uint8_t { null_value, integer, text };
  std::string key;
  kind value_kind = kind::null_value;
  std::int64_t integer = 0;
  std::string text;
  bool operator==(const payload_entry&) const = default;
};

/// A transport event as read from a fixture, payload already filtered by the allow-list.
/// `type` stays a string: unknown types are valid input and skipped by the core.
struct transport_event {
  std::string event_id;
  std::string type;
  std::string timestamp;  ///< UtcMs, verbatim
  std::vector<payload_entry> payload;
  bool operator==(const transport_event&) const = default;
};

struct transport_fixture {
  std::string fixture_id;
  std::vector<transport_event> events;
  bool operator==(const transport_fixture&) const = default;
};

/// A stored (non-duplicate, non-late) event of a session.
struct mock_call_event {
  std::string session_id;
  std::string event_id;
  event_type type = event_type::connected;
  std::string received_at;
  std::vector<payload_entry> payload;
  bool operator==(const mock_call_event&) const = default;
};

/// A terminal event that arrived after the first terminal event (domain.md §6 step 3).
struct conflicting_event_audit {
  std::string audit_id;  ///< `audit_<32 hex>`
  std::string session_id;
  std::string event_id;
  event_type conflicting_event_type = event_type::failed;
  std::string received_at;
  std::vector<payload_entry> full_event_payload;
  disposition preserved_disposition = disposition::failed;
  bool operator==(const conflicting_event_audit&) const = default;
};

struct extraction {
  nullable<std::string> captured_email;             ///< verified
  nullable<std::string> captured_email_unverified;  ///< candidate without read-back
  bool callback_requested = false;
  nullable<std::string> preferred_callback_window;
  role_confidence role = role_confidence::uncertain;
  intent_classification intent = intent_classification::uncertain;
  std::vector<refusal_topic> refusal_topics;
  bool operator==(const extraction&) const = default;
};

struct persona_output {
  std::string persona_version;
  disposition final_disposition = disposition::needs_human_review;
  std::string summary;
  struct extraction extraction;
  nullable<review_reason> human_review_reason;
  bool disclosure_completed = false;
  bool operator==(const persona_output&) const = default;
};

/// Everything one simulated call produced, ready for the local transaction of domain.md §6.
struct call_outcome {
  std::string session_id;
  std::string call_id;  ///< `call_<32 hex>`
  std::vector<mock_call_event> events;
  std::vector<conflicting_event_audit> audits;
  /// Event ids seen, in order, for the local idempotency keys (duplicates excluded).
  std::vector<std::string> idempotency_event_ids;
  nullable<persona_output> persona;
  nullable<event_type> first_terminal;
  disposition final_disposition = disposition::failed;
  std::string transcript;                 ///< unredacted; empty when the persona did not run
  std::vector<std::string> log_warnings;  ///< e.g. unknown event types
  bool operator==(const call_outcome&) const = default;
};

/// What the supervisor asks the call simulator to do: place the mock call of a session with its
/// already validated fixtures (fixtures.md §7 runs before any request).
struct call_order {
  std::string session_id;
  std::string call_id;  ///< `call_<32 hex>`
  transport_fixture transport;
  nullable<struct conversation> conversation;
  bool operator==(const call_order&) const = default;
};

/// The redactor's answer for one rendered transcript (dataverse.md §11).
struct redaction_result {
  nullable<std::string> transcript_file;  ///< `transcript.txt` bytes; null under summary-only
  bool operator==(const redaction_result&) const = default;
};

}  // namespace opencloser
