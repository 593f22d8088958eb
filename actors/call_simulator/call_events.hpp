#pragma once
// The transport event-stream semantics of domain.md §6 and the top-level disposition of §7:
// duplicates by event_id, the first terminal event decides, later terminal events are
// audited, later non-terminal events dropped, the persona runs once on `connected`.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "messages/call.hpp"

namespace opencloser {

/// The transport disposition of §7 given the first terminal event (if any) and the persona.
disposition resolve_disposition(const std::optional<event_type>& first_terminal,
                                const persona_output* persona);

/// Processes one call's event stream in memory, in file order. `mint_audit_id` supplies the
/// `audit_` ids (injected so tests are deterministic). The result is what the session commits
/// in one local transaction when the stream ends.
call_outcome process_call_events(const std::string& session_id, const std::string& call_id,
                                 const std::vector<transport_event>& events,
                                 const conversation* conversation,
                                 const std::function<std::string()>& mint_audit_id);

}  // namespace opencloser
