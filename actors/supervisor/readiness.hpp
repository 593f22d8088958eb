#pragma once
// Readiness (dataverse.md §3.1): everything checked once per run before any session, claim or
// write — persona, mapping, redaction, key fields, required entries, live metadata, the task
// owners. Pure: the Web API calls go through the `send` function the caller supplies (the CLI
// runs them through the gateway), so the steps and their messages are tested without a network.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/dataverse/dataverse_requests.hpp"
#include "adapters/dataverse/resolved_mapping.hpp"
#include "adapters/json/json.hpp"
#include "messages/dataverse.hpp"
#include "messages/mapping.hpp"
#include "messages/report.hpp"
#include "messages/settings.hpp"

namespace opencloser {

/// Sends one call and returns its settled reply (the gateway applies the §5 retry policy).
using dataverse_send = std::function<dataverse_reply(const dataverse_call&)>;

/// What a run checked once and every session reuses.
struct run_context {
  dataverse::resolved_mapping mapping;
  std::string mapping_path;
  std::string mapping_sha256;
  json::value metadata_report;  ///< `{checked_at, drift, missing, ok}`
  /// Verified owners: GUID → where it lives. The defaults are verified here; overrides are
  /// added by the sessions (checked once per id per run).
  std::map<std::string, dataverse::owner_kind> owners;
  /// Run warnings (`mapping_env_url_mismatch`, `redaction_patterns_empty`).
  std::vector<data_quality_warning> warnings;
  /// The readiness requests: counted in the run report of the run's first session.
  http_counters readiness_http;
};

struct readiness_inputs {
  const settings* config = nullptr;
  std::string mapping_path;
  /// The mapping as loaded, or the load error's detail.
  std::optional<mapping_artifact> mapping;
  std::string mapping_error;
  std::string mapping_sha256;
  std::optional<std::string>
      redaction_error;  ///< `redaction policy invalid: …` (the whole message)
  bool redaction_patterns_empty = false;
  bool needs_selection = false;  ///< `--next-ready` / drain
  bool emulated = false;         ///< `--emulator`: the env URL is not compared
  std::string env_url;
  std::string checked_at;  ///< product clock
};

/// A run that cannot start: `failed` (persona) or `blocked`/`metadata`.
struct readiness_failure {
  exit_status status = exit_status::blocked;
  std::string message;
  json::value metadata_report;  ///< null unless the verification produced a report
};

struct readiness_result {
  std::optional<run_context> context;  ///< set when ready
  std::optional<readiness_failure> failure;
  http_counters counters;
};

/// Steps 1–9 and the owner checks, in order; the first failure ends the check.
readiness_result check_readiness(const readiness_inputs& in, const dataverse_send& send);

/// The §7.4 owner check of one GUID: an enabled user → systemusers, else an owner team →
/// teams, else nullopt (unverifiable). Other permanent errors throw std::runtime_error.
std::optional<dataverse::owner_kind> check_owner(const std::string& guid,
                                                 const dataverse_send& send,
                                                 http_counters& counters);

/// The owner check's verdict from its answers (pure): `user` is the systemusers answer, `team`
/// the teams answer or nullptr when not asked yet. Returns the kind, nullopt = unverifiable, or
/// "ask the team" (`needs_team` set).
struct owner_verdict {
  std::optional<dataverse::owner_kind> kind;
  bool needs_team = false;
  std::optional<std::string> error;  ///< a permanent error that must propagate
};
owner_verdict decide_owner(const dataverse_reply& user, const dataverse_reply* team);

}  // namespace opencloser
