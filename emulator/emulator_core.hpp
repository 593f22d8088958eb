#pragma once
// The emulator's brain, without sockets: every request goes through three steps the HTTP
// server calls in order — admit (classify, authenticate, throttle, pick a fault), execute
// (row operations, logging) and finish (release the in-flight slot). Waiting (latency,
// barriers) and dropping connections are the server's job; this class says when.
// Thread-safe: one mutex serialises every step, so every write, change set and If-Match
// check is atomic (emulator.md §7).

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "adapters/json/json.hpp"
#include "emulator/emulator_options.hpp"
#include "emulator/faults.hpp"
#include "emulator/http_types.hpp"
#include "emulator/metadata.hpp"
#include "emulator/request_log.hpp"
#include "emulator/seed.hpp"
#include "emulator/store.hpp"
#include "emulator/throttle.hpp"
#include "emulator/token_registry.hpp"

namespace opencloser::emulator {

using query_params = std::vector<std::pair<std::string, std::string>>;
using steady = std::chrono::steady_clock;

enum class request_kind { admin, token, web_api, unknown };

/// One request on its way through the three steps.
struct request_ticket {
  http_request request;
  request_kind kind = request_kind::unknown;
  std::string path;   ///< decoded, after the service root (or "token")
  std::string query;  ///< decoded
  query_params params;
  std::string origin;  ///< `http://<Host>` the client addressed
  std::string tenant;  ///< token requests
  std::string client_id;
  std::optional<fault_rule> fault;
  std::int64_t latency_ms = 0;  ///< injected before execution
  bool in_flight = false;
  std::string at;
  steady::time_point received;
};

enum class next_step {
  respond,  ///< send `response` now
  drop,     ///< close the connection, send nothing
  execute,  ///< wait `delay_ms`, then call execute()
  barrier,  ///< hold with the other requests of `barrier_id`, then execute()
};

struct admission {
  next_step step = next_step::respond;
  http_response response;
  std::int64_t delay_ms = 0;
  std::string barrier_id;
  std::int64_t barrier_count = 0;
  std::int64_t barrier_hold_ms = 0;
};

struct execution {
  http_response response;
  bool drop_connection = false;     ///< lost response: committed, then no answer
  std::int64_t extra_delay_ms = 0;  ///< latency of `$batch` operations, before answering
  /// `$batch`: whether any operation's write survived (rolled-back change sets don't count).
  std::optional<bool> committed;
};

class emulator_core {
 public:
  /// Loads the seeds and fault files; throws seed_error / fault_error / runtime_error.
  explicit emulator_core(emulator_options options);

  /// The listening origin (`http://host:port`), known once the server is bound.
  void set_origin(std::string origin);
  std::string origin() const;
  const seed_data& seed() const { return seed_; }
  const emulator_options& options() const { return options_; }

  admission admit(request_ticket& ticket);
  execution execute(request_ticket& ticket);
  void finish(request_ticket& ticket);

  // The C++ API, mirroring the admin API (emulator.md §7).
  std::vector<std::string> add_faults(const json::value& rules);
  void clear_faults();
  json::value faults() const;
  json::value requests(std::uint64_t since = 0) const;
  json::value state() const;
  json::value insert_row(std::string_view table, const json::value& values);
  json::value edit_row(std::string_view table, std::string_view id, const json::value& changes);
  bool delete_row(std::string_view table, std::string_view id);
  void expire_tokens();
  void configure(const json::value& config);
  void reset();
  void flush_log();

 private:
  admission admit_web_api(request_ticket& t);
  admission admit_token(request_ticket& t);
  admission respond_with_fault(request_ticket& t);
  http_response handle_admin(request_ticket& t);
  http_response dispatch(request_ticket& t, std::string_view method, std::string_view path,
                         const query_params& params, const header_list& headers,
                         std::string_view body, std::uint64_t seq, bool inner, execution& outcome);
  http_response run_batch_request(request_ticket& t, std::uint64_t seq, execution& outcome);
  void apply_row_fault(const fault_rule& rule);
  void decorate(http_response& r, const request_ticket& t, bool success);
  void log(const request_ticket& t, std::uint64_t seq, int status, bool committed,
           std::optional<std::uint64_t> batch_seq = {},
           std::optional<std::uint64_t> inner_index = {});
  std::string new_guid();
  std::string now_utc_ms() const;
  void load_state();

  emulator_options options_;
  seed_data seed_;
  caller_identity caller_;

  mutable std::mutex mutex_;
  std::string origin_;
  std::optional<store> store_;
  std::optional<token_registry> tokens_;
  fault_table faults_;
  throttle throttle_;
  request_log log_;
  std::mt19937_64 id_rng_;
  std::int64_t dop_hint_;
  std::int64_t latency_ms_, latency_jitter_ms_;
  std::uint64_t requests_ = 0, faults_applied_ = 0, service_request_ids_ = 0;
};

}  // namespace opencloser::emulator
