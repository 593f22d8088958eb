#pragma once
// The redactor actor (actors/actors.hpp): a thin shell over the compiled transcript_redactor.

#include <caf/typed_event_based_actor.hpp>

#include "actors/actors.hpp"
#include "actors/redactor/redaction.hpp"

namespace opencloser {

/// `redactor` is compiled once at readiness (a bad pattern blocks the run before any session).
redactor_actor::behavior_type redactor(redactor_actor::pointer self, transcript_redactor compiled);

}  // namespace opencloser
