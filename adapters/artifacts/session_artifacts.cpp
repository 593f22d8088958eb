#include "adapters/artifacts/session_artifacts.hpp"

#include "adapters/artifacts/artifact_json.hpp"

namespace opencloser {

std::vector<std::string> write_planned_artifacts(const artifact_writer& out,
                                                 const session_run& run) {
  const auto& sid = run.session.session_id;
  std::vector<std::string> written;
  auto json_file = [&](const char* name, const json::value& v) {
    out.write_json(sid, name, v);
    written.emplace_back(name);
  };
  json_file("eligibility-decision.json", to_json(run.decision));
  json_file("session-result.json", to_json(run.result));
  json_file("planned-writeback.json", to_json(run.plan));
  if (run.transcript_file) {
    out.write_text(sid, "transcript.txt", *run.transcript_file);
    written.emplace_back("transcript.txt");
  } else {
    out.remove(sid, "transcript.txt");
  }
  if (run.call && !run.call->audits.empty())
    json_file("conflicting-events.json", conflicting_events_json(sid, run.call->audits));
  return written;
}

std::vector<std::string> write_final_artifacts(const artifact_writer& out, const session_run& run) {
  const auto& sid = run.session.session_id;
  std::vector<std::string> written;
  out.write_json(sid, "writeback.json", to_json(run.plan));
  written.emplace_back("writeback.json");
  if (run.plan.task) {
    out.write_json(sid, "task.json", to_json(*run.plan.task));
    written.emplace_back("task.json");
  }
  if (run.session.mode == run_mode::dry_run) {
    out.write_json(sid, "dry-run-marker.json", dry_run_marker_json(sid));
    written.emplace_back("dry-run-marker.json");
  }
  return written;
}

}  // namespace opencloser
