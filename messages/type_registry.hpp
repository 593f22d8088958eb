#pragma once
// Registers every message type with CAF 0.17's type system, so that messages can cross
// process boundaries (ctl, workers) through the middleman.

namespace caf {
class actor_system_config;
}

namespace opencloser {

void register_message_types(caf::actor_system_config& cfg);

}  // namespace opencloser
