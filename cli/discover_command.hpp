#pragma once
// `opencloser discover-crm` (cli.md §3, dataverse.md §3.3): verifies the mapping scaffold
// against the live metadata and writes the discovered, unapproved mapping artifact.

#include <string>

#include "cli/dataverse_connection.hpp"

namespace opencloser::cli {

struct discover_options {
  std::string config = "config/slice1.toml";
  std::string slice2_config = "config/slice2.toml";
  std::string mapping;        ///< empty: [dataverse].mapping_artifact
  std::string out;            ///< empty: the scaffold path
  std::string artifacts_dir;  ///< common flag, unused here
  std::string state_db;       ///< common flag, unused here
  std::string log_level;
  connection_options connection;
};

/// Returns the exit code: 0 written, 2 for any failure (one `error:` line).
int run_discover(const discover_options& options);

}  // namespace opencloser::cli
