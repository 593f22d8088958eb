#include "bench/machine_info.hpp"

#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>

#include "bench/child_process.hpp"

namespace opencloser::bench {

namespace {

std::string after_colon(const std::string& line) {
  const auto colon = line.find(':');
  if (colon == std::string::npos) return {};
  const auto start = line.find_first_not_of(" \t", colon + 1);
  return start == std::string::npos ? std::string() : line.substr(start);
}

std::string utc_format(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char out[64];
  std::strftime(out, sizeof out, format, &tm);
  return out;
}

}  // namespace

machine_info describe_machine() {
  machine_info m;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) m.hostname = host;
  std::ifstream cpu("/proc/cpuinfo");
  for (std::string line; std::getline(cpu, line);) {
    if (line.starts_with("model name")) {
      m.cpu_model = after_colon(line);
      break;
    }
  }
  m.cores = std::thread::hardware_concurrency();
  std::ifstream mem("/proc/meminfo");
  for (std::string line; std::getline(mem, line);) {
    if (line.starts_with("MemTotal:")) {
      m.memory_bytes = std::stoll(after_colon(line)) * 1024;  // reported in kB
      break;
    }
  }
  utsname u{};
  if (::uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
  return m;
}

double load_average_1m() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return load;
}

std::string filesystem_type(const std::filesystem::path& path) {
  struct statfs s {};
  if (::statfs(path.c_str(), &s) != 0) return "unknown";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x01021994:
      return "tmpfs";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x794C7630:
      return "overlay";
    case 0x6969:
      return "nfs";
    default:
      break;
  }
  char hex[32];
  std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(s.f_type));
  return hex;
}

source_commit describe_commit(const std::filesystem::path& source_dir) {
  source_commit c;
  c.commit = capture_output({"git", "rev-parse", "HEAD"}, source_dir);
  if (!c.commit.empty())
    c.dirty = !capture_output({"git", "status", "--porcelain", "--untracked-files=no"}, source_dir)
                   .empty();
  return c;
}

std::string utc_timestamp() {
  return utc_format("%Y-%m-%dT%H:%M:%SZ");
}

std::string utc_date() {
  return utc_format("%Y-%m-%d");
}

}  // namespace opencloser::bench
