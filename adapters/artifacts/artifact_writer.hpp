#pragma once
// Writes a session's artifact directory `<root>/<session_id>/` (domain.md §12). Every file is
// replaced atomically: a temporary file in the same directory, fsync, then rename, so a reader
// never sees half a file and a crash leaves no temporary behind on the next write.

#include <filesystem>
#include <string>
#include <string_view>

#include "adapters/json/json.hpp"

namespace opencloser {

/// Atomically replaces `path` with `bytes` (temporary file + rename; `sync` also fsyncs it
/// first, so the bytes survive a power loss). Throws std::runtime_error naming the path.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes, bool sync = true);

class artifact_writer {
 public:
  /// `sync` false: files are still replaced atomically but not fsynced — for dry-runs, whose
  /// files no resume depends on (a write run's plan files must survive a crash).
  explicit artifact_writer(std::filesystem::path root, bool sync = true)
      : root_(std::move(root)), sync_(sync) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path session_dir(std::string_view session_id) const;

  /// Writes `<session_dir>/<name>` in the artifact JSON encoding.
  void write_json(std::string_view session_id, std::string_view name, const json::value& v) const;
  void write_text(std::string_view session_id, std::string_view name, std::string_view text) const;

  /// Deletes a stale file (only `transcript.txt` is ever deleted, domain.md §12).
  void remove(std::string_view session_id, std::string_view name) const;

 private:
  std::filesystem::path root_;
  bool sync_ = true;
};

}  // namespace opencloser
