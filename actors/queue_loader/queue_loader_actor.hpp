#pragma once
// The queue loader actor (actors/actors.hpp): a thin shell that asks the gateway for rows and
// calls the pure pieces — the OData requests and row parsing (adapters/dataverse) and the
// eligibility rules beside it (eligibility.hpp).

#include <map>
#include <string>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/actors.hpp"
#include "actors/common/utc_ms.hpp"
#include "actors/queue_loader/zone_database.hpp"
#include "adapters/dataverse/resolved_mapping.hpp"
#include "messages/settings.hpp"

namespace opencloser {

struct queue_loader_config {
  dataverse_gateway_actor gateway;
  dataverse::resolved_mapping mapping;
  call_window_settings window;
  eligibility_settings rules;
  const zone_database* zones = nullptr;  ///< outlives the actor
  product_clock clock;
  /// `<env>/api/data/v9.2/`: the base `@odata.nextLink`s must start with (paging only).
  std::string service_root_url;
};

struct queue_loader_state {
  queue_loader_config config;
  /// Facility names by account id, cached per run (a drain is one run; dataverse.md §4).
  std::map<std::string, std::string> facility_names;
  static inline const char* name = "queue_loader";
};

queue_loader_actor::behavior_type queue_loader(
    queue_loader_actor::stateful_pointer<queue_loader_state> self, queue_loader_config config);

}  // namespace opencloser
