#pragma once
// `opencloser init-state` (cli.md §9): creates or verifies the SQLite state database, for the
// predecessor's scripts (every other command creates it on demand).

#include <string>

namespace opencloser::cli {

struct init_state_options {
  std::string config = "config/slice1.toml";
  std::string slice2_config = "config/slice2.toml";
  std::string mapping;        ///< accepted as a common flag; not used here
  std::string artifacts_dir;  ///< accepted as a common flag; not used here
  std::string state_db;       ///< empty: [state].db
  std::string log_level;
};

/// Returns the exit code: 0 when the database exists with the current schema, 2 otherwise.
int run_init_state(const init_state_options& options);

}  // namespace opencloser::cli
