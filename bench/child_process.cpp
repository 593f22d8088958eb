#include "bench/child_process.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

extern char** environ;

namespace opencloser::bench {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {

double seconds_of(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// In the forked child: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(const char* cwd, const char* out, const char* err, char** argv,
                             char** envp) {
  if (cwd[0] != '\0' && ::chdir(cwd) != 0) ::_exit(127);
  const auto redirect = [](const char* path, int fd) {
    if (path[0] == '\0') return;
    const int f = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f < 0 || ::dup2(f, fd) < 0) ::_exit(127);
  };
  redirect(out, STDOUT_FILENO);
  redirect(err, STDERR_FILENO);
  ::execve(argv[0], argv, envp);
  ::_exit(127);
}

}  // namespace

child_process::child_process(const child_spec& spec) {
  if (spec.argv.empty()) throw std::invalid_argument("child_process: empty argv");
  // Everything the child needs is prepared before fork: after it only exec-safe calls run.
  auto args = spec.argv;
  std::vector<std::string> env;
  for (const auto& [k, v] : spec.env) env.push_back(k + "=" + v);
  auto argv = c_strings(args);
  auto envp = c_strings(env);
  const std::string cwd = spec.cwd.string();
  const std::string out = spec.stdout_file.string();
  const std::string err = spec.stderr_file.string();
  spawner_rss_kb_ = proc_status_kb("self", "VmRSS");
  started_ = std::chrono::steady_clock::now();
  last_hwm_poll_ = started_;
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid_ == 0) exec_child(cwd.c_str(), out.c_str(), err.c_str(), argv.data(), envp.data());
}

child_process::~child_process() {
  if (!running()) return;
  signal(SIGKILL);
  wait(std::chrono::seconds(10));
}

bool child_process::poll() {
  if (!running()) return true;
  int status = 0;
  rusage ru{};
  const pid_t r = ::wait4(pid_, &status, WNOHANG, &ru);
  if (r != pid_) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_hwm_poll_ >= std::chrono::milliseconds(20)) {
      last_hwm_poll_ = now;
      if (const long hwm = proc_status_kb(std::to_string(pid_), "VmHWM"); hwm > 0)
        polled_hwm_kb_ = hwm;
    }
    return false;
  }
  child_usage u;
  u.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (WIFEXITED(status)) u.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) u.signal = WTERMSIG(status);
  u.user_s = seconds_of(ru.ru_utime);
  u.sys_s = seconds_of(ru.ru_stime);
  u.max_rss_kb = ru.ru_maxrss;  // kilobytes on Linux
  u.spawner_rss_kb = spawner_rss_kb_;
  u.polled_hwm_kb = polled_hwm_kb_;
  u.voluntary_switches = ru.ru_nvcsw;
  u.involuntary_switches = ru.ru_nivcsw;
  usage_ = u;
  return true;
}

std::optional<child_usage> child_process::wait(std::chrono::milliseconds timeout) {
  // Polling every 2 ms bounds the wall-time error well below the figures' resolution without
  // a SIGCHLD handler.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!poll()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return usage_;
}

void child_process::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

long proc_status_kb(const std::string& pid, const std::string& field) {
  std::ifstream in("/proc/" + pid + "/status");
  const auto prefix = field + ":";
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(prefix)) {
      try {
        return std::stol(line.substr(prefix.size()));
      } catch (const std::exception&) {
        return 0;
      }
    }
  return 0;
}

void release_free_memory() {
  ::malloc_trim(0);
}

std::map<std::string, std::string> clean_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    const auto name = entry.substr(0, eq);
    if (name.starts_with("DATAVERSE_") || name.starts_with("OPENCLOSER_")) continue;
    env.emplace(std::string(name), std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::string capture_output(const std::vector<std::string>& argv, const std::filesystem::path& cwd) {
  int fds[2];
  if (argv.empty() || ::pipe2(fds, O_CLOEXEC) != 0) return {};
  auto args = argv;
  auto cargs = c_strings(args);
  const std::string dir = cwd.string();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return {};
  }
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, STDERR_FILENO);
    if (!dir.empty() && ::chdir(dir.c_str()) != 0) ::_exit(127);
    ::execvp(cargs[0], cargs.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace opencloser::bench
