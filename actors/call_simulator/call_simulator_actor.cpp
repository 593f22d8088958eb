#include "actors/call_simulator/call_simulator_actor.hpp"

#include "actors/call_simulator/call_events.hpp"
#include "actors/common/ids.hpp"

namespace opencloser {

call_simulator_actor::behavior_type call_simulator(call_simulator_actor::pointer) {
  return {
      [](call_order& order) -> call_outcome {
        return process_call_events(order.session_id, order.call_id, order.transport.events,
                                   order.conversation ? &*order.conversation : nullptr,
                                   [] { return mint_id("audit"); });
      },
  };
}

}  // namespace opencloser
