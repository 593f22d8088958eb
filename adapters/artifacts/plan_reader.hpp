#pragma once
// Reads `planned-writeback.json` / `writeback.json` back into a `writeback_plan`: the inverse of
// to_json(const writeback_plan&) in artifact_json.hpp. Resume (dataverse.md §10 step 4) replays
// the write-back from this file, so a file that cannot be read back whole is an error, never a
// partially filled plan.

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "messages/writeback.hpp"

namespace opencloser {

/// A plan file that cannot be read back. what() is the detail for dataverse.md §10 step 4's
/// "<path> is malformed or unreadable: <detail>" and names the JSON path of the offending field,
/// e.g. "missing key 'queue_status_update.new_status'",
/// "'task.task_kind' is not one of callback, review (got 'urgent')".
struct plan_file_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parses the JSON text of a plan file (domain.md §3 WriteBack, §12). Throws plan_file_error,
/// also for text that is not JSON ("not JSON: <reason>"). `queue_status.set_dnc_flag` is not
/// serialized; it is derived from `new_status == dnc`, as the planner sets it.
writeback_plan writeback_plan_from_json_text(std::string_view text);

/// Reads and parses the file; an unreadable file is a plan_file_error too.
writeback_plan read_writeback_plan(const std::filesystem::path& file);

/// A resume's plan (dataverse.md §10 step 4): `<dir>/planned-writeback.json`, else
/// `<dir>/writeback.json`; nullopt when neither exists. A file that cannot be read back throws
/// plan_file_error `<path> is malformed or unreadable: <detail>`.
std::optional<writeback_plan> read_session_plan(const std::filesystem::path& dir);

}  // namespace opencloser
