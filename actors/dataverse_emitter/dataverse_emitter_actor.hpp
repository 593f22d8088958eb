#pragma once
// The Dataverse emitter actor (actors/actors.hpp): a thin shell that sends the product's writes
// through the gateway: the claim (dataverse.md §6), the sequential write-back (§7.1–§7.4) and
// the `$batch` write-back (§7.5). The requests come from adapters/dataverse, the decisions
// from claim_logic.hpp, writeback_logic.hpp and batch_logic.hpp beside it.

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <utility>

#include "actors/actors.hpp"
#include "adapters/dataverse/resolved_mapping.hpp"
#include "messages/settings.hpp"

namespace opencloser {

struct dataverse_emitter_config {
  dataverse_emitter_config() = default;
  /// (A constructor rather than an aggregate, so that `{gateway, mapping}` keeps the default
  /// retry settings without a missing-initializer warning.)
  dataverse_emitter_config(dataverse_gateway_actor gateway, dataverse::resolved_mapping mapping,
                           retry_settings retry = {})
      : gateway(std::move(gateway)), mapping(std::move(mapping)), retry(std::move(retry)) {}

  dataverse_gateway_actor gateway;
  dataverse::resolved_mapping mapping;
  /// The §5 budget and delays of the write-back create loops (POSTs are never resent by the
  /// gateway: the emitter waits, re-queries by key, and counts k against max_retries).
  retry_settings retry;
  /// Asked at every write_point before the emitter goes on; none → no pauses (tests).
  write_gate_actor gate;
};

struct dataverse_emitter_state {
  dataverse_emitter_config config;
  caf::actor wait_timer;  ///< answers a wait request after the delay (linked helper)
  static inline const char* name = "dataverse_emitter";
};

/// Answers a claim_order with its claim_outcome. A claimed outcome's `row_json` is the loaded
/// row with the new `@odata.etag`, status and last session of the claim (last disposition,
/// preserve columns and the rest as loaded), so that baseline_from_row of it is the claim
/// baseline.
dataverse_emitter_actor::behavior_type dataverse_emitter(
    dataverse_emitter_actor::stateful_pointer<dataverse_emitter_state> self,
    dataverse_emitter_config config);
/// (The same function answers an emit_order with its emit_outcome: see actors.hpp. Its
/// `results` list each operation attempted; a conflict or error stops before the next one.)

}  // namespace opencloser
