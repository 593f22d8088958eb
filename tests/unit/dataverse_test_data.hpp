#pragma once
// Shared inputs of the Dataverse request/response/plan tests: the acme mapping of the
// emulator fixtures, resolved from the artifact, and one session's write-back plan.

#include <stdexcept>
#include <string>
#include <string_view>

#include "adapters/dataverse/resolved_mapping.hpp"
#include "adapters/mapping/mapping_artifact.hpp"
#include "messages/writeback.hpp"
#include "tests/unit/test_support.hpp"

namespace opencloser::testing {

inline const std::string queue_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
inline const std::string session_id = "ses_0123456789abcdef0123456789abcdef";
inline const std::string owner_id = "a1b2c3d4-0000-4000-8000-000000000001";

inline mapping_artifact acme_mapping() {
  return load_mapping_artifact(fixture("emulator/acme_mapping.json"));
}

inline dataverse::resolved_mapping acme_resolved(bool link_regarding = true) {
  return dataverse::resolve_from_artifact(acme_mapping(), link_regarding);
}

/// A mapped field to edit in a test; the test fails when the key is not mapped.
inline mapping_field& field_of(mapping_artifact& mapping, std::string_view key) {
  for (auto& f : mapping.fields)
    if (f.key == key) return f;
  FAIL("field " << key << " is not mapped");
  throw std::logic_error("unreachable");
}

inline phone_call_payload sample_phone_call() {
  phone_call_payload p;
  p.session_id = session_id;
  p.queue_item_id = queue_id;
  p.persona_version = "alf-appointment-setter@0.1.0";
  p.final_disposition = disposition::interested_callback_requested;
  p.summary = "Callback requested";
  p.started_at = "2026-06-01T17:00:00.000Z";
  p.ended_at = "2026-06-01T17:03:00.000Z";
  return p;
}

inline queue_status_update sample_status_update() {
  queue_status_update u;
  u.session_id = session_id;
  u.queue_item_id = queue_id;
  u.previous_status = callable_status::ready;
  u.new_status = callable_status::ready;
  u.transition_reason = "interested_callback_requested";
  u.transition_at = "2026-06-01T17:03:00.000Z";
  return u;
}

inline task_payload sample_task() {
  task_payload t;
  t.task_id = "task_00000000000000000000000000000001";
  t.session_id = session_id;
  t.queue_item_id = queue_id;
  t.kind = task_kind::callback;
  t.subject = "Callback for Acme Care";
  t.preferred_callback_window = std::string("Tuesday after 2pm");
  t.assigned_to = owner_id;
  t.persona_version = "alf-appointment-setter@0.1.0";
  t.created_at = "2026-06-01T17:03:00.000Z";
  return t;
}

inline writeback_plan sample_plan() {
  writeback_plan w;
  w.session_id = session_id;
  w.phone_call_activity = sample_phone_call();
  w.queue_status = sample_status_update();
  w.task = sample_task();
  return w;
}

}  // namespace opencloser::testing
