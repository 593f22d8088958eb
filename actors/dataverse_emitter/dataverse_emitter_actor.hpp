#pragma once
// The Dataverse emitter actor (actors/actors.hpp): a thin shell that sends the product's writes
// through the gateway. So far the claim (dataverse.md §6): the requests come from
// adapters/dataverse, the decisions after a 412, a 204 or transient exhaustion from
// claim_logic.hpp beside it.

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/actors.hpp"
#include "adapters/dataverse/resolved_mapping.hpp"

namespace opencloser {

struct dataverse_emitter_config {
  dataverse_gateway_actor gateway;
  dataverse::resolved_mapping mapping;
};

struct dataverse_emitter_state {
  dataverse_emitter_config config;
  static inline const char* name = "dataverse_emitter";
};

/// Answers a claim_order with its claim_outcome. A claimed outcome's `row_json` is the loaded
/// row with the new `@odata.etag`, status and last session of the claim (last disposition,
/// preserve columns and the rest as loaded), so that baseline_from_row of it is the claim
/// baseline.
dataverse_emitter_actor::behavior_type dataverse_emitter(
    dataverse_emitter_actor::stateful_pointer<dataverse_emitter_state> self,
    dataverse_emitter_config config);

}  // namespace opencloser
