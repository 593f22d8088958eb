#include "actors/call_simulator/call_events.hpp"

#include <unordered_set>

#include "actors/call_simulator/persona.hpp"

namespace opencloser {

disposition resolve_disposition(const std::optional<event_type>& first_terminal,
                                const persona_output* persona) {
  if (!first_terminal || *first_terminal == event_type::completed)
    return persona ? persona->final_disposition : disposition::failed;
  switch (*first_terminal) {
    case event_type::no_answer:
      return disposition::no_answer;
    case event_type::voicemail:
      return disposition::voicemail;
    default:
      return disposition::failed;
  }
}

call_outcome process_call_events(const std::string& session_id, const std::string& call_id,
                                 const std::vector<transport_event>& events,
                                 const conversation* conversation,
                                 const std::function<std::string()>& mint_audit_id) {
  call_outcome out;
  out.session_id = session_id;
  out.call_id = call_id;
  std::unordered_set<std::string> seen_ids;
  std::optional<disposition> decided;
  for (const auto& event : events) {
    const auto type = enum_from<event_type>(event.type);
    if (!type) {
      // Unknown types never reach the core, and their ids do not count as seen.
      out.log_warnings.push_back("unknown event type '" + event.type +
                                 "' (event_id=" + event.event_id + ")");
      continue;
    }
    if (!seen_ids.insert(event.event_id).second) continue;  // duplicate by event_id alone
    out.idempotency_event_ids.push_back(event.event_id);
    if (out.first_terminal) {  // late event
      if (is_terminal(*type))
        out.audits.push_back({mint_audit_id(), session_id, event.event_id, *type, event.timestamp,
                              event.payload, *decided});
      continue;
    }
    out.events.push_back({session_id, event.event_id, *type, event.timestamp, event.payload});
    if (*type == event_type::connected && !out.persona && conversation) {
      out.persona = run_persona(conversation->turns);
      out.transcript = render_transcript(conversation->turns);
    }
    if (is_terminal(*type)) {
      out.first_terminal = *type;
      decided = resolve_disposition(out.first_terminal, out.persona ? &*out.persona : nullptr);
    }
  }
  out.final_disposition =
      decided ? *decided : resolve_disposition(std::nullopt, out.persona ? &*out.persona : nullptr);
  return out;
}

}  // namespace opencloser
