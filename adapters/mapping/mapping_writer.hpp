#pragma once
// The mapping artifact `discover-crm` writes (dataverse.md §3.3): the scaffold with every entry
// it had, every optional member written out with its default, the regarding entries pinned to
// the live navigation properties, `_meta.discovered_at` = now and `_meta.approved` = false so a
// reviewer must approve it again. Unknown keys (including extra `_meta` keys such as
// `_comment`) are dropped: the copy is built from the loaded artifact, which keeps none.
//
// `entity_set_name`/`primary_id`/`lookup_target` stay as mapped (null stays null): discovery
// never invents a name the reviewer did not write (§3.3 "never invents"), a null keeps meaning
// "the live name at run time" (§2), and verification already guaranteed that the names that
// are set equal the live ones. Only the regarding navigation property is taken from live
// metadata, as §3.3 says.

#include <filesystem>
#include <string_view>

#include "adapters/dataverse/resolved_mapping.hpp"
#include "adapters/json/json.hpp"
#include "messages/mapping.hpp"

namespace opencloser {

/// The discovered artifact as a JSON tree in the scaffold's document order (the file encoding
/// sorts keys). With `link_regarding`, `phone_call.regarding` and `task.regarding` are replaced
/// in place or appended: type `lookup`, column `regardingobjectid`, `lookup_target` = the live
/// queue table, `navigation_property` = `live.phone_call_regarding` / `live.task_regarding`.
/// Throws std::invalid_argument when `discovered_at` is not a UTC millisecond timestamp or a
/// live regarding property is missing while `link_regarding` is on.
json::value discovered_mapping_json(const mapping_artifact& scaffold,
                                    const dataverse::resolved_mapping& live, bool link_regarding,
                                    std::string_view discovered_at);

/// Writes `doc` to `out` in the artifact JSON encoding (domain.md §12), atomically, and returns
/// the written file loaded again with load_mapping_artifact (the reverse check). The encoded
/// bytes are checked to load as a mapping before anything is written, so an invalid document
/// throws mapping_error and leaves an existing file (e.g. the scaffold itself) untouched.
/// I/O failures throw std::runtime_error naming the path.
mapping_artifact write_discovered_mapping(const std::filesystem::path& out, const json::value& doc);

}  // namespace opencloser
