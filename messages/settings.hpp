#pragma once
// The product's configuration as loaded from the predecessor's two TOML files plus
// OPENCLOSER_<SECTION>_<KEY> overrides (cli.md §2). Defaults are the shipped values.

#include <cstdint>
#include <string>
#include <vector>

#include "messages/nullable.hpp"

namespace opencloser {

/// Minutes since local midnight, "HH:MM" in the files.
struct hh_mm {
  int hour = 0;
  int minute = 0;
  constexpr int minutes() const { return hour * 60 + minute; }
  bool operator==(const hh_mm&) const = default;
};

struct call_window_settings {
  hh_mm start{9, 0};
  hh_mm end{20, 0};
  bool operator==(const call_window_settings&) const = default;
};

struct eligibility_settings {
  std::int64_t max_attempts = 5;
  std::string default_timezone = "America/Los_Angeles";
  bool operator==(const eligibility_settings&) const = default;
};

enum class redaction_policy_kind : std::uint8_t { regex, noop };
enum class retention_mode : std::uint8_t { full, summary_only };

struct redaction_settings {
  redaction_policy_kind policy = redaction_policy_kind::regex;
  retention_mode retention = retention_mode::full;
  /// Omitted in the file → the built-in patterns; a list (even empty) replaces them.
  nullable<std::vector<std::string>> patterns;
  bool operator==(const redaction_settings&) const = default;
};

struct retry_settings {
  std::int64_t max_retries = 3;
  std::vector<double> backoff_seconds{1, 2, 4};
  double retry_after_cap_seconds = 30;
  double max_throttle_wait_seconds = 300;
  bool operator==(const retry_settings&) const = default;
};

struct writeback_settings {
  std::string mode = "sequential";  ///< "sequential" | "batch"
  bool link_regarding = true;
  std::int64_t lease_seconds = 900;
  bool operator==(const writeback_settings&) const = default;
};

struct http_settings {
  double timeout_seconds = 30;
  std::int64_t max_in_flight = 52;
  bool operator==(const http_settings&) const = default;
};

struct drain_settings {
  std::int64_t concurrency = 4;
  std::int64_t max_concurrency = 16;
  std::int64_t page_size = 500;
  std::int64_t increase_after = 20;
  bool respect_dop_hint = true;
  double max_requests_per_second = 0;
  std::string listen = "127.0.0.1:4242";
  bool operator==(const drain_settings&) const = default;
};

/// Both files merged. Section names follow the TOML files.
struct settings {
  // config/slice1.toml
  call_window_settings call_window;
  eligibility_settings eligibility;
  std::string artifacts_dir = "./artifacts";
  std::string artifacts_schema_version = "slice1-v1";
  std::string persona_version = "alf-appointment-setter@0.1.0";
  std::string state_db = "./state/opencloser.db";
  // config/slice2.toml
  std::string run_default_mode = "dry-run";
  std::string run_campaign;
  std::string mapping_artifact = "config/dataverse_mapping.json";
  std::string callable_status = "ready";
  std::string authority_host = "https://login.microsoftonline.com";
  retry_settings retry;
  std::string task_owner_callback;
  std::string task_owner_review;
  redaction_settings redaction;
  writeback_settings writeback;
  http_settings http;
  drain_settings drain;
  bool operator==(const settings&) const = default;
};

}  // namespace opencloser
