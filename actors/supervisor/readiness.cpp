#include "actors/supervisor/readiness.hpp"

#include <stdexcept>

#include "actors/call_simulator/persona.hpp"
#include "actors/common/ids.hpp"
#include "actors/dataverse_gateway/dataverse_calls.hpp"
#include "adapters/dataverse/dataverse_responses.hpp"
#include "adapters/dataverse/metadata_verifier.hpp"
#include "adapters/mapping/mapping_artifact.hpp"

namespace opencloser {

namespace {

readiness_result blocked(std::string message, json::value report = json::value()) {
  readiness_result r;
  r.failure = readiness_failure{exit_status::blocked, std::move(message), std::move(report)};
  return r;
}

std::string verification_failed(const std::string& detail) {
  return "metadata verification failed: " + detail;
}

/// `scheme://host:port` in lower case, the default port made explicit, so that two spellings
/// of one organisation compare equal.
std::string origin_of(std::string url) {
  for (auto& c : url) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const auto scheme = url.substr(0, scheme_end);
  auto rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('/'));
  // The port's colon comes after an IPv6 literal's closing bracket.
  const auto host_end = rest.rfind(']');
  if (rest.find(':', host_end == std::string::npos ? 0 : host_end) == std::string::npos)
    rest += scheme == "https" ? ":443" : ":80";
  return scheme + "://" + rest;
}

/// Runs the verifier to its report, fetching what it asks for. A failure other than 2xx/404
/// propagates (never downgraded to "missing", dataverse.md §3.2).
dataverse::verification_step verify(const mapping_artifact& mapping, bool link_regarding,
                                    const std::string& now, const dataverse_send& send,
                                    http_counters& counters) {
  dataverse::metadata_answers answers;
  while (true) {
    auto step = dataverse::verify_metadata(mapping, link_regarding, answers, now);
    if (step.needed.empty()) return step;
    for (const auto& request : step.needed) {
      const auto reply = send(call_of(request));
      add_counters(counters, reply.counters);
      if (reply.outcome == dataverse_outcome::success)
        answers[request.relative_url] = {reply.status, json::parse(reply.body)};
      else if (reply.status == 404)
        answers[request.relative_url] = {404, json::value()};
      else
        throw std::runtime_error(reply.message);
    }
  }
}

}  // namespace

owner_verdict decide_owner(const dataverse_reply& user, const dataverse_reply* team) {
  owner_verdict v;
  const auto hit = [](const dataverse_reply& r) {
    return !dataverse::collection_rows(json::parse(r.body)).empty();
  };
  if (user.outcome == dataverse_outcome::success && hit(user)) {
    v.kind = dataverse::owner_kind::systemuser;
    return v;
  }
  if (user.outcome != dataverse_outcome::success && user.status != 404) {
    v.error = user.message;
    return v;
  }
  if (!team) {
    v.needs_team = true;
    return v;
  }
  if (team->outcome == dataverse_outcome::success) {
    if (hit(*team)) v.kind = dataverse::owner_kind::team;
    return v;
  }
  if (team->status != 404) v.error = team->message;
  return v;
}

std::optional<dataverse::owner_kind> check_owner(const std::string& guid,
                                                 const dataverse_send& send,
                                                 http_counters& counters) {
  const auto user = send(call_of(dataverse::owner_user_request(guid)));
  add_counters(counters, user.counters);
  auto v = decide_owner(user, nullptr);
  if (v.needs_team) {
    const auto team = send(call_of(dataverse::owner_team_request(guid)));
    add_counters(counters, team.counters);
    v = decide_owner(user, &team);
  }
  if (v.error) throw std::runtime_error(*v.error);
  return v.kind;
}

readiness_result check_readiness(const readiness_inputs& in, const dataverse_send& send) {
  const auto& config = *in.config;
  // 1. The persona this build runs.
  if (config.persona_version != persona_version) {
    readiness_result r;
    r.failure = readiness_failure{exit_status::failed,
                                  "persona version mismatch: slice1.toml requires '" +
                                      config.persona_version + "' but the running persona is '" +
                                      std::string(persona_version) + "'",
                                  json::value()};
    return r;
  }
  // 2–3. The mapping file, and its review.
  if (!in.mapping) return blocked("mapping artifact error: " + in.mapping_error);
  const auto& mapping = *in.mapping;
  if (!mapping.meta.approved)
    return blocked("mapping artifact '" + in.mapping_path +
                   "' is not approved; re-run discover-crm and have a reviewer set "
                   "_meta.approved to true");
  // 4. Redaction patterns compile.
  if (in.redaction_error) return blocked(*in.redaction_error);
  // 5–7. Key fields and required entries.
  if (auto error = mapping_readiness_error(mapping, in.needs_selection)) return blocked(*error);

  readiness_result result;
  run_context ctx;
  ctx.mapping_path = in.mapping_path;
  ctx.mapping_sha256 = in.mapping_sha256;
  // 8–9. Live verification, in both modes.
  dataverse::verification_step step;
  try {
    step = verify(mapping, config.writeback.link_regarding, in.checked_at, send, result.counters);
  } catch (const std::exception& e) {
    auto r = blocked(verification_failed(e.what()));
    r.counters = result.counters;
    return r;
  }
  ctx.metadata_report = dataverse::to_json(*step.report);
  if (!step.report->ok) {
    std::string missing;
    for (const auto& item : step.report->missing) missing += (missing.empty() ? "" : "; ") + item;
    auto r = blocked(verification_failed(missing), ctx.metadata_report);
    r.counters = result.counters;
    return r;
  }
  ctx.mapping = *step.resolved;

  // The default task owners (§3.2 "Owners"): GUIDs that verify, once per run.
  for (const auto& [key, id] :
       {std::pair<std::string, std::string>{"callback", config.task_owner_callback},
        {"review", config.task_owner_review}}) {
    std::string problem;
    if (!is_guid(id)) {
      problem = "task owner " + key + " '" + id + "' is not a Dataverse GUID";
    } else if (!ctx.owners.count(id)) {
      try {
        if (auto kind = check_owner(id, send, result.counters))
          ctx.owners.emplace(id, *kind);
        else
          problem =
              "task owner " + key + " '" + id + "' is neither an enabled user nor an owner team";
      } catch (const std::exception& e) {
        problem = e.what();
      }
    }
    if (!problem.empty()) {
      auto r = blocked(verification_failed(problem), ctx.metadata_report);
      r.counters = result.counters;
      return r;
    }
  }

  if (in.redaction_patterns_empty)
    ctx.warnings.push_back({"redaction_patterns_empty", "redaction.patterns",
                            "redaction policy 'regex' has no patterns; transcripts are written "
                            "unredacted"});
  if (!in.emulated && !mapping.meta.dataverse_env_url.empty() &&
      origin_of(mapping.meta.dataverse_env_url) != origin_of(in.env_url))
    ctx.warnings.push_back({"mapping_env_url_mismatch", "_meta.dataverse_env_url",
                            "the mapping was discovered against another organisation than "
                            "DATAVERSE_ENV_URL; the environment's organisation is used"});
  ctx.readiness_http = result.counters;
  result.context = std::move(ctx);
  return result;
}

}  // namespace opencloser
