#pragma once
// The write-back plan of one session (domain.md §3, §9): Phone Call, queue status update and
// optional Task. `planned-writeback.json` and `writeback.json` serialize `writeback_plan`.

#include <string>

#include "messages/enums.hpp"
#include "messages/nullable.hpp"

namespace opencloser {

struct phone_call_payload {
  std::string session_id;
  std::string queue_item_id;
  nullable<std::string> mock_provider_call_id;
  std::string persona_version;
  disposition final_disposition = disposition::failed;
  std::string summary;
  std::string started_at;
  std::string ended_at;
  bool operator==(const phone_call_payload&) const = default;
};

struct queue_status_update {
  std::string session_id;
  std::string queue_item_id;
  callable_status previous_status = callable_status::ready;
  callable_status new_status = callable_status::ready;
  std::string transition_reason;
  std::string transition_at;
  bool set_dnc_flag = false;  ///< `do_not_call` also sets the DNC column (not serialized)
  bool operator==(const queue_status_update&) const = default;
};

struct task_payload {
  std::string task_id;  ///< `task_<32 hex>`
  std::string session_id;
  std::string queue_item_id;
  task_kind kind = task_kind::callback;
  std::string subject;
  nullable<review_reason> reason_code;
  nullable<std::string> preferred_callback_window;
  nullable<std::string> captured_email;
  nullable<std::string> assigned_to;
  std::string persona_version;
  std::string created_at;
  bool operator==(const task_payload&) const = default;
};

struct writeback_plan {
  std::string session_id;
  nullable<phone_call_payload> phone_call_activity;
  queue_status_update queue_status;
  nullable<task_payload> task;
  bool operator==(const writeback_plan&) const = default;
};

/// The result of one Dataverse emit step (issue 4 fills these from the emitter).
struct emit_result {
  std::string session_id;
  crm_record_kind record_kind = crm_record_kind::phone_call_activity;
  nullable<std::string> dataverse_record_id;
  std::string idempotency_key;
  crm_write_status write_status = crm_write_status::pending;
  nullable<std::string> error;
  bool operator==(const emit_result&) const = default;
};

}  // namespace opencloser
