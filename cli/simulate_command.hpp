#pragma once
// `opencloser simulate`: one session through the domain core against a local queue-item file,
// with no Dataverse at all (the predecessor's Slice 1 "mock CRM" flow). It writes the session
// artifacts and prints what the write-back would do to the row.

#include <string>

namespace opencloser::cli {

struct simulate_options {
  std::string queue_item;
  std::string transport_fixture;
  std::string conversation_fixture;  ///< empty: none
  std::string config = "config/slice1.toml";
  std::string slice2_config = "config/slice2.toml";
  std::string artifacts_dir;  ///< empty: [artifacts].dir
  bool dry_run = false;
};

/// Runs the command; returns the process exit code (0 completed, 1 blocked, 2 failed).
int run_simulate(const simulate_options& options);

}  // namespace opencloser::cli
