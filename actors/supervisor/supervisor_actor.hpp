#pragma once
// The supervisor actor (actors/actors.hpp): the policies of a run. It spawns the pipeline's
// actors, drives one session at a time through them, journals every step (it is the single
// writer of the state journal and the artifact tree) and answers with the run report.
// Spawned detached: SQLite commits and artifact files block.

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "actors/actors.hpp"
#include "actors/common/utc_ms.hpp"
#include "actors/queue_loader/zone_database.hpp"
#include "actors/redactor/redaction.hpp"
#include "actors/supervisor/readiness.hpp"
#include "adapters/artifacts/artifact_writer.hpp"
#include "adapters/process/crash_hook.hpp"
#include "adapters/state/state_journal.hpp"
#include "messages/settings.hpp"

namespace opencloser {

struct supervisor_config {
  settings config;
  /// Readiness, once per run; the supervisor adds the override owners it verifies.
  std::shared_ptr<run_context> context;
  dataverse_gateway_actor gateway;
  std::string service_root_url;          ///< `<DATAVERSE_ENV_URL>/api/data/v9.2/` (paging)
  const zone_database* zones = nullptr;  ///< outlives the actor
  product_clock clock;
  std::shared_ptr<state_journal> journal;  ///< used by this actor only once it is spawned
  std::filesystem::path artifacts_dir;
  std::shared_ptr<const transcript_redactor> redactor;
  run_mode mode = run_mode::dry_run;
  std::string run_id;  ///< `run_<32 hex>`: the lease owner of this run's sessions
  std::string command = "run-crm";
  crash_hook* hook = nullptr;  ///< outlives the actor; may be unarmed
  /// Set by the first SIGINT/SIGTERM: stop at the next safe point (cli.md §1). May be null.
  const std::atomic<bool>* interrupted = nullptr;
};

struct session_job;

struct supervisor_state {
  supervisor_config config;
  queue_loader_actor loader;
  call_simulator_actor caller;
  redactor_actor redactor;
  writeback_planner_actor planner;
  dataverse_emitter_actor emitter;
  /// Sessions in flight by id (the write gate finds its session here).
  std::map<std::string, std::shared_ptr<session_job>> sessions;
  /// Readiness's requests, not yet counted in a session's report.
  http_counters readiness_http;
  static inline const char* name = "supervisor";
};

supervisor_actor::behavior_type supervisor(
    supervisor_actor::stateful_pointer<supervisor_state> self, supervisor_config config);

}  // namespace opencloser
