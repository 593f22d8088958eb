#pragma once
// Errors of the state database (domain.md §11). Every message is one line naming the file or
// the session, so the CLI can print it after `error:` as it is.

#include <stdexcept>
#include <string>

namespace opencloser {

/// Any failure of the state journal: I/O, SQLite, a damaged file, a broken invariant.
struct state_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The file carries another `schema_meta` version (the predecessor's `slice1-v1` included);
/// it was not opened for writing.
struct state_version_error : state_error {
  state_version_error(std::string found, const std::string& message)
      : state_error(message), found_version(std::move(found)) {}
  std::string found_version;
};

/// A ledger write by an owner whose lease another run took over (dataverse.md §12); the
/// transaction was rolled back and the caller must not send the Dataverse write it guarded.
struct lease_lost_error : state_error {
  lease_lost_error(const std::string& session_id, std::string new_owner)
      : state_error("session '" + session_id + "' was taken over by '" + new_owner + "'"),
        owner(std::move(new_owner)) {}
  std::string owner;
};

}  // namespace opencloser
