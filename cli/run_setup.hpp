#pragma once
// What `run-crm` and `drain` share before their first session: the common flags, the config,
// the clock, the crash hook, the state database choice, and readiness through the gateway.

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/common/utc_ms.hpp"
#include "actors/supervisor/readiness.hpp"
#include "actors/supervisor/supervisor_actor.hpp"
#include "adapters/process/crash_hook.hpp"
#include "cli/dataverse_connection.hpp"
#include "messages/queue.hpp"
#include "messages/settings.hpp"

namespace opencloser::cli {

/// The common flags of cli.md §1.
struct common_options {
  std::string config = "config/slice1.toml";
  std::string slice2_config = "config/slice2.toml";
  std::string mapping;
  std::string artifacts_dir;
  std::string state_db;
  std::string log_level;
  connection_options connection;
};

/// A usage, config or secret error: `error:` line, exit 2, nothing else happens.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Everything a run needs that is not a Dataverse connection.
struct run_setup {
  settings config;
  product_clock clock;
  crash_hook hook;
  std::string mapping_path;
  std::filesystem::path state_db;
  std::filesystem::path artifacts_dir;
  std::vector<data_quality_warning> run_warnings;  ///< clock_overridden
};

/// Logging, config, clock, crash hook, mapping path, artifact root and state database; any
/// failure is a usage_error.
run_setup prepare(const common_options& o);

/// Readiness (dataverse.md §3.1) through the connection's gateway; the run warnings are added
/// to a ready context.
readiness_result readiness(const run_setup& s, dataverse_connection& dataverse,
                           bool needs_selection);

/// The supervisor's configuration for this run (its owner token is a fresh `run_<hex>`).
supervisor_config supervisor_config_for(run_setup& s, dataverse_connection& dataverse,
                                        run_context context, run_mode mode, std::string command,
                                        std::shared_ptr<state_journal> journal,
                                        const zone_database& zones);

}  // namespace opencloser::cli
