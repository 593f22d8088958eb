#include "adapters/artifacts/artifact_json.hpp"

namespace opencloser {

namespace {

json::value str(const nullable<std::string>& v) {
  return v ? json::value{*v} : json::value{};
}

template <class E>
json::value name(const nullable<E>& v) {
  return v ? json::value{to_string(*v)} : json::value{};
}

template <class E>
json::value name(E v) {
  return json::value{to_string(v)};
}

}  // namespace

json::value to_json(const eligibility_decision& d) {
  json::value rules;
  for (std::size_t i = 0; i < eligibility_rule_letters.size(); ++i)
    rules.set(std::string(1, eligibility_rule_letters[i]), d.rules[i]);
  json::array failing;
  for (const auto& letter : d.failing_rules) failing.emplace_back(letter);
  json::value v;
  v.set("schema_version", session_schema_version);
  v.set("decision_id", d.decision_id);
  v.set("queue_item_id", d.queue_item_id);
  v.set("session_id", d.session_id);
  v.set("decided_at", d.decided_at);
  v.set("outcome", name(d.outcome));
  v.set("rules", std::move(rules));
  v.set("failing_rules", std::move(failing));
  v.set("default_tz_applied", d.default_tz_applied);
  v.set("default_tz_substituted_for", str(d.default_tz_substituted_for));
  return v;
}

json::value to_json(const normalized_result& r) {
  json::value v;
  v.set("schema_version", session_schema_version);
  v.set("session_id", r.session_id);
  v.set("queue_item_id", r.queue_item_id);
  v.set("mock_provider_call_id", str(r.mock_provider_call_id));
  v.set("persona_version", str(r.persona_version));
  v.set("final_disposition", name(r.final_disposition));
  v.set("summary", r.summary);
  v.set("transcript_pointer", str(r.transcript_pointer));
  v.set("captured_email", str(r.captured_email));
  v.set("captured_email_unverified", str(r.captured_email_unverified));
  v.set("callback_requested", r.callback_requested);
  v.set("preferred_callback_window", str(r.preferred_callback_window));
  v.set("human_review_reason", name(r.human_review_reason));
  if (r.blocked_reason) {
    json::array letters(r.blocked_reason->begin(), r.blocked_reason->end());
    v.set("blocked_reason", std::move(letters));
  } else {
    v.set("blocked_reason", json::value{});
  }
  v.set("started_at", r.started_at);
  v.set("ended_at", r.ended_at);
  return v;
}

json::value to_json(const phone_call_payload& p) {
  json::value v;
  v.set("schema_version", session_schema_version);
  v.set("session_id", p.session_id);
  v.set("queue_item_id", p.queue_item_id);
  v.set("mock_provider_call_id", str(p.mock_provider_call_id));
  v.set("persona_version", p.persona_version);
  v.set("final_disposition", name(p.final_disposition));
  v.set("summary", p.summary);
  v.set("started_at", p.started_at);
  v.set("ended_at", p.ended_at);
  return v;
}

json::value to_json(const queue_status_update& u) {
  json::value v;
  v.set("schema_version", session_schema_version);
  v.set("session_id", u.session_id);
  v.set("queue_item_id", u.queue_item_id);
  v.set("previous_status", name(u.previous_status));
  v.set("new_status", name(u.new_status));
  v.set("transition_reason", u.transition_reason);
  v.set("transition_at", u.transition_at);
  return v;
}

json::value to_json(const task_payload& t) {
  json::value v;
  v.set("schema_version", session_schema_version);
  v.set("task_id", t.task_id);
  v.set("session_id", t.session_id);
  v.set("queue_item_id", t.queue_item_id);
  v.set("task_kind", name(t.kind));
  v.set("subject", t.subject);
  v.set("reason_code", name(t.reason_code));
  v.set("preferred_callback_window", str(t.preferred_callback_window));
  v.set("captured_email", str(t.captured_email));
  v.set("assigned_to", str(t.assigned_to));
  v.set("persona_version", t.persona_version);
  v.set("created_at", t.created_at);
  return v;
}

json::value to_json(const writeback_plan& w) {
  json::value v;
  v.set("schema_version", session_schema_version);
  v.set("session_id", w.session_id);
  v.set("phone_call_activity",
        w.phone_call_activity ? to_json(*w.phone_call_activity) : json::value{});
  v.set("queue_status_update", to_json(w.queue_status));
  v.set("task", w.task ? to_json(*w.task) : json::value{});
  return v;
}

json::value to_json(const std::vector<payload_entry>& payload) {
  json::value v{json::object{}};
  for (const auto& entry : payload) {
    switch (entry.value_kind) {
      case payload_entry::kind::null_value:
        v.set(entry.key, json::value{});
        break;
      case payload_entry::kind::integer:
        v.set(entry.key, entry.integer);
        break;
      case payload_entry::kind::text:
        v.set(entry.key, entry.text);
        break;
    }
  }
  return v;
}

json::value to_json(const conflicting_event_audit& a) {
  json::value v;
  v.set("audit_id", a.audit_id);
  v.set("session_id", a.session_id);
  v.set("event_id", a.event_id);
  v.set("conflicting_event_type", name(a.conflicting_event_type));
  v.set("received_at", a.received_at);
  v.set("full_event_payload", to_json(a.full_event_payload));
  v.set("preserved_disposition", name(a.preserved_disposition));
  return v;
}

json::value conflicting_events_json(const std::string& session_id,
                                    const std::vector<conflicting_event_audit>& audits) {
  json::array events;
  for (const auto& a : audits) events.push_back(to_json(a));
  json::value v;
  v.set("events", std::move(events));
  v.set("schema_version", session_schema_version);
  v.set("session_id", session_id);
  return v;
}

json::value dry_run_marker_json(const std::string& session_id) {
  json::value v;
  v.set("note",
        "Dry-run: the write-back files describe what a write-enabled run would send; no create "
        "or update was issued to Dataverse.");
  v.set("schema_version", dry_run_marker_schema_version);
  v.set("session_id", session_id);
  return v;
}

}  // namespace opencloser
