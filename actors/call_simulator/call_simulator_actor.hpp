#pragma once
// The call simulator actor (actors/actors.hpp): a thin shell over call_events and persona.

#include <caf/typed_event_based_actor.hpp>

#include "actors/actors.hpp"

namespace opencloser {

call_simulator_actor::behavior_type call_simulator(call_simulator_actor::pointer self);

}  // namespace opencloser
