#pragma once
// The drain front actor (actors/actors.hpp): what `ctl` talks to over the middleman.

#include <caf/typed_event_based_actor.hpp>

#include <string>

#include "actors/actors.hpp"

namespace opencloser {

struct drain_front_config {
  drain_coordinator_actor drain;
  std::string token;  ///< OPENCLOSER_DRAIN_TOKEN of the drain ("" = none required)
  bool resume_pending = false;
};

drain_front_actor::behavior_type drain_front(drain_front_actor::pointer self,
                                             drain_front_config config);

/// The `ctl status` JSON body of a snapshot (cli.md §6), compact.
std::string status_body(const drain_snapshot& s);

}  // namespace opencloser
