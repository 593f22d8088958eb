#include "bench/emulator_process.hpp"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace opencloser::bench {

namespace {

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  s.erase(0, first);
  s.erase(s.find_last_not_of(" \t\r") + 1);
  return s;
}

}  // namespace

emulator_process::emulator_process(const emulator_launch& launch) {
  child_spec spec;
  spec.argv = {launch.opencloser.string(),
               "emulator",
               "--seed",
               launch.seed.string(),
               "--port",
               "0",
               "--dop-hint",
               std::to_string(launch.dop_hint),
               "--throttle-requests",
               std::to_string(launch.throttle_requests),
               "--throttle-window-s",
               std::to_string(launch.throttle_window_s),
               "--throttle-concurrency",
               "0",
               "--throttle-exec-ms",
               "0"};
  if (launch.request_log) {
    spec.argv.push_back("--request-log");
    spec.argv.push_back(launch.request_log->string());
  }
  spec.env = clean_environment();
  spec.stdout_file = launch.dir / (launch.name + ".stdout");
  spec.stderr_file = launch.dir / (launch.name + ".stderr");
  // Its lines are polled for below: an earlier emulator's must not be mistaken for them.
  std::filesystem::remove(spec.stdout_file);
  child_ = std::make_unique<child_process>(spec);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (true) {
    std::istringstream lines(read_text(spec.stdout_file));
    std::string line;
    env_.clear();
    while (std::getline(lines, line)) {
      if (line.starts_with("listening:")) origin_ = trim(line.substr(10));
      const auto eq = line.find('=');
      if (eq != std::string::npos && line.find(' ') == std::string::npos)
        env_[line.substr(0, eq)] = line.substr(eq + 1);
    }
    // DATAVERSE_CLIENT_ID is the last line it prints.
    if (!origin_.empty() && env_.contains("DATAVERSE_CLIENT_ID")) break;
    if (child_->poll())
      throw std::runtime_error("the emulator exited (" +
                               std::to_string(child_->usage()->exit_code) +
                               "): " + read_text(spec.stderr_file));
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the emulator printed no listening line within 120 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // origin: http://HOST:PORT
  const auto scheme_end = origin_.find("://");
  const auto hostport = origin_.substr(scheme_end == std::string::npos ? 0 : scheme_end + 3);
  const auto colon = hostport.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("unexpected origin " + origin_);
  host_ = hostport.substr(0, colon);
  port_ = static_cast<std::uint16_t>(std::stoi(hostport.substr(colon + 1)));
}

emulator_process::~emulator_process() {
  if (child_ && child_->running()) stop();
}

child_usage emulator_process::stop() {
  if (!child_->running()) return *child_->usage();
  child_->signal(SIGTERM);
  if (auto u = child_->wait(std::chrono::seconds(60))) return *u;
  child_->signal(SIGKILL);
  return child_->wait(std::chrono::seconds(10)).value_or(child_usage{});
}

}  // namespace opencloser::bench
