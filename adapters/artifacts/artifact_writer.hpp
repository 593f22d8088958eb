#pragma once
// Writes a session's artifact directory `<root>/<session_id>/` (domain.md §12). Every file is
// replaced atomically: a temporary file in the same directory, fsync, then rename, so a reader
// never sees half a file and a crash leaves no temporary behind on the next write.

#include <filesystem>
#include <string>
#include <string_view>

#include "adapters/json/json.hpp"

namespace opencloser {

/// Atomically replaces `path` with `bytes`. Throws std::runtime_error naming the path.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

class artifact_writer {
 public:
  explicit artifact_writer(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path session_dir(std::string_view session_id) const;

  /// Writes `<session_dir>/<name>` in the artifact JSON encoding.
  void write_json(std::string_view session_id, std::string_view name, const json::value& v) const;
  void write_text(std::string_view session_id, std::string_view name, std::string_view text) const;

  /// Deletes a stale file (only `transcript.txt` is ever deleted, domain.md §12).
  void remove(std::string_view session_id, std::string_view name) const;

 private:
  std::filesystem::path root_;
};

}  // namespace opencloser
