#include "adapters/artifacts/artifact_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "actors/common/ids.hpp"

namespace opencloser {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& path, const char* what, int err) {
  throw std::runtime_error("cannot write " + path.string() + ": " + what + ": " +
                           std::strerror(err));
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view bytes, bool sync) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) fail(path, "create directory", ec.value());
  const fs::path tmp = path.parent_path() / ("." + path.filename().string() + "." +
                                             mint_id("tmp").substr(4, 12) + ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "open", errno);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(path, "write", err);
    }
    done += static_cast<std::size_t>(n);
  }
  if ((sync && ::fsync(fd) != 0) || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "sync", err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "rename", err);
  }
}

fs::path artifact_writer::session_dir(std::string_view session_id) const {
  return root_ / std::string(session_id);
}

void artifact_writer::write_json(std::string_view session_id, std::string_view name,
                                 const json::value& v) const {
  write_file_atomic(session_dir(session_id) / std::string(name), json::write_artifact(v), sync_);
}

void artifact_writer::write_text(std::string_view session_id, std::string_view name,
                                 std::string_view text) const {
  write_file_atomic(session_dir(session_id) / std::string(name), text, sync_);
}

void artifact_writer::remove(std::string_view session_id, std::string_view name) const {
  std::error_code ec;
  fs::remove(session_dir(session_id) / std::string(name), ec);
  if (ec)
    throw std::runtime_error("cannot delete stale " + std::string(name) + ": " + ec.message());
}

}  // namespace opencloser
