#pragma once
// The write-back planner actor (actors/actors.hpp): a thin shell over writeback_plan.hpp (the
// normalized result, the plan, the local keys) and the planned requests of http_plan.hpp.

#include <caf/typed_event_based_actor.hpp>

#include "actors/actors.hpp"
#include "adapters/dataverse/resolved_mapping.hpp"

namespace opencloser {

/// `mapping` is the run's resolved mapping (readiness): the planned requests name its sets.
writeback_planner_actor::behavior_type writeback_planner(writeback_planner_actor::pointer self,
                                                         dataverse::resolved_mapping mapping);

}  // namespace opencloser
