#pragma once
// Loads the two TOML configuration files plus OPENCLOSER_<SECTION>_<KEY> environment overrides
// (cli.md §2). Strict: unknown sections or keys, missing required ones, wrong types and
// out-of-range values are all errors.

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "messages/settings.hpp"

namespace opencloser {

/// what() = "config load failed: <file>: <detail>" (the CLI adds the "error:" prefix).
struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Environment lookup; injected so tests need not touch the process environment.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

/// The process environment (std::getenv).
std::optional<std::string> process_env(const std::string& name);

/// Reads `slice1_path` ([call_window], [eligibility], [artifacts], [persona], [state]) and
/// `slice2_path` ([run], [dataverse], [retry], [task_owners], [redaction] required; [writeback],
/// [http], [drain] optional). A key of a required section is required unless cli.md §2 marks it
/// new; the keys of optional sections are optional. Environment overrides replace file values of
/// scalar keys (arrays cannot be overridden) and are validated like them.
settings load_settings(const std::string& slice1_path, const std::string& slice2_path,
                       const env_lookup& getenv_fn);

}  // namespace opencloser
