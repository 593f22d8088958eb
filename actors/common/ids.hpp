#pragma once
// Identifiers (domain.md §1): prefixed random ids, GUID validation and UUIDv5 names.

#include <string>
#include <string_view>

namespace opencloser {

/// `<prefix>_<32 lowercase hex>` from a random UUIDv4 without dashes.
std::string mint_id(std::string_view prefix);

/// True iff `text` is a GUID (8-4-4-4-12 hex digits, either case, nothing else).
bool is_guid(std::string_view text);

/// Lower-cases a GUID for case-insensitive comparison and canonical output.
std::string canonical_guid(std::string_view guid);

/// The namespace of every UUIDv5 the product derives (fixtures.md §5.2, dataverse.md §7.2).
inline constexpr std::string_view opencloser_uuid_namespace =
    "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

/// RFC 4122 UUID version 5 (SHA-1) of `name` in `namespace_guid`, lower-case with dashes.
std::string uuid_v5(std::string_view namespace_guid, std::string_view name);

/// Deterministic Dataverse record id of a session's Phone Call or Task
/// (`opencloser:<session_id>:phonecall` / `:task`).
std::string deterministic_record_id(std::string_view session_id, std::string_view record);

}  // namespace opencloser
