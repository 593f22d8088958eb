#pragma once
// Session records and the normalized result (domain.md §3, §4).

#include <string>
#include <vector>

#include "messages/enums.hpp"
#include "messages/nullable.hpp"

namespace opencloser {

struct session_record {
  std::string session_id;  ///< `ses_<32 hex>`
  std::string queue_item_id;
  nullable<std::string> persona_version;
  session_state state = session_state::created;
  nullable<disposition> final_disposition;
  nullable<std::string> blocked_reason;  ///< failing letters joined by ","
  nullable<std::string> mock_provider_call_id;
  std::string started_at;
  nullable<std::string> ended_at;
  run_mode mode = run_mode::dry_run;
  nullable<std::string> drain_id;
  bool operator==(const session_record&) const = default;
};

/// `session-result.json`.
struct normalized_result {
  std::string session_id;
  std::string queue_item_id;
  nullable<std::string> mock_provider_call_id;
  nullable<std::string> persona_version;
  disposition final_disposition = disposition::failed;
  std::string summary;  ///< ≤ 200 code points
  nullable<std::string> transcript_pointer;
  nullable<std::string> captured_email;
  nullable<std::string> captured_email_unverified;
  bool callback_requested = false;
  nullable<std::string> preferred_callback_window;
  nullable<review_reason> human_review_reason;
  /// Failing eligibility letters, a list as the predecessor wrote it (e.g. ["a", "c"]).
  nullable<std::vector<std::string>> blocked_reason;
  std::string started_at;
  std::string ended_at;
  bool operator==(const normalized_result&) const = default;
};

}  // namespace opencloser

namespace opencloser {

/// Local idempotency key (domain.md §10): inserting an existing key means "already applied".
struct local_idempotency_key {
  std::string session_id;
  std::string call_id;   ///< mock provider call id or ""
  std::string event_id;  ///< or ""
  writeback_kind kind = writeback_kind::session_state;
  auto operator<=>(const local_idempotency_key&) const = default;
};

}  // namespace opencloser
