#pragma once
// One case of the predecessor's expected.json and the offline run that reproduces it.

#include <filesystem>
#include <string>

#include "adapters/json/json.hpp"

namespace opencloser::compat {

/// `queue item | conversation | transport fixture | frozen clock (UTC)`
struct case_key {
  std::string queue_item;
  std::string conversation;  ///< "-" for none
  std::string transport;
  std::string clock;
};

case_key parse_case_key(const std::string& key);

/// Runs the case through the domain core and the artifact writer (into `artifacts_root`) and
/// returns the predecessor-shaped result object, with every key expected.json uses.
json::value run_case(const std::filesystem::path& predecessor_dir, const case_key& key,
                     const std::filesystem::path& artifacts_root);

}  // namespace opencloser::compat
