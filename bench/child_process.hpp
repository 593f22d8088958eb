#pragma once
// A child process the bench starts (the emulator, a drain) and the resources it used: the
// bench measures the drain as a separate process so its peak RSS is its own (cli.md §10).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace opencloser::bench {

struct child_spec {
  std::vector<std::string> argv;           ///< argv[0] is the executable path
  std::map<std::string, std::string> env;  ///< the complete environment of the child
  std::filesystem::path cwd;
  std::filesystem::path stdout_file;
  std::filesystem::path stderr_file;
};

/// What wait4 reports for a finished child.
struct child_usage {
  int exit_code = -1;  ///< -1 when it ended by a signal
  int signal = 0;      ///< the terminating signal, 0 when it exited
  double wall_s = 0;   ///< monotonic, from spawn to reaping
  double user_s = 0;
  double sys_s = 0;
  /// ru_maxrss. Linux folds the pre-exec image into it: a forked child starts as a copy of
  /// the bench, so this is the child's own peak only while it exceeds `spawner_rss_kb`.
  long max_rss_kb = 0;
  long spawner_rss_kb = 0;  ///< the bench's resident size when it forked the child
  /// The last VmHWM read from /proc/<pid>/status while it ran (after exec: the program's own
  /// high-water mark; growth in its last few milliseconds can be missed). A cross-check.
  long polled_hwm_kb = 0;
  long voluntary_switches = 0;
  long involuntary_switches = 0;
};

/// The whole content of a file the child wrote (empty when it is missing).
std::string read_text(const std::filesystem::path& path);

class child_process {
 public:
  explicit child_process(const child_spec& spec);
  ~child_process();  ///< kills and reaps a child still running (an aborted bench)
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return !usage_.has_value(); }
  /// Non-blocking: reaps the child if it has ended.
  bool poll();
  /// Waits until the child ends, or `timeout` passes (then nullopt; the child keeps running).
  std::optional<child_usage> wait(std::chrono::milliseconds timeout);
  void signal(int sig);
  const std::optional<child_usage>& usage() const { return usage_; }

 private:
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_hwm_poll_;
  long spawner_rss_kb_ = 0;
  long polled_hwm_kb_ = 0;
  std::optional<child_usage> usage_;
};

/// This process's environment without the variables that would steer the product (the bench
/// sets every DATAVERSE_* and OPENCLOSER_* it wants explicitly).
std::map<std::string, std::string> clean_environment();

/// A field of /proc/<pid>/status in kB (`VmRSS`, `VmHWM`), 0 when unreadable.
long proc_status_kb(const std::string& pid, const std::string& field);

/// Returns freed heap to the OS, so that a child forked next starts small (see max_rss_kb).
void release_free_memory();

/// Runs a short command and returns its stdout (empty on failure); for `git`, `--version`.
std::string capture_output(const std::vector<std::string>& argv,
                           const std::filesystem::path& cwd = {});

}  // namespace opencloser::bench
