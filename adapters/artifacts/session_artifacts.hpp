#pragma once
// Writes the local artifacts of a session computed by the domain core (domain.md §4 steps 5–6,
// §12): phase P (decision, result, planned write-back, transcript, conflicting events), then
// phase F (writeback.json, task.json, dry-run marker). The Dataverse pipeline adds
// http-plan.json and run-report.json around these.

#include <string>
#include <vector>

#include "actors/supervisor/session_simulation.hpp"
#include "adapters/artifacts/artifact_writer.hpp"

namespace opencloser {

/// Phase P; returns the file names written. Deletes a stale transcript.txt when none is due.
std::vector<std::string> write_planned_artifacts(const artifact_writer& out,
                                                 const session_run& run);

/// Phase F (after every emit, or at the end of a dry-run); returns the file names written.
std::vector<std::string> write_final_artifacts(const artifact_writer& out, const session_run& run);

}  // namespace opencloser
