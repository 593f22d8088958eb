#include "emulator/emulator_core.hpp"

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "actors/common/ids.hpp"
#include "actors/common/utc_ms.hpp"
#include "emulator/batch.hpp"
#include "emulator/odata_query.hpp"
#include "emulator/row_writes.hpp"
#include "emulator/table_requests.hpp"

namespace opencloser::emulator {

namespace {

constexpr std::string_view service_prefix = "/api/data/v9.2/";
constexpr std::string_view admin_prefix = "/_emulator/";
constexpr std::string_view token_suffix = "/oauth2/v2.0/token";

throttling_limits effective_limits(const seed_data& seed, const emulator_options& o) {
  auto limits = seed.throttling;
  if (o.throttle_requests) limits.requests = *o.throttle_requests;
  if (o.throttle_window_s) limits.window_s = *o.throttle_window_s;
  if (o.throttle_concurrency) limits.concurrency = *o.throttle_concurrency;
  if (o.throttle_exec_ms) limits.exec_ms = *o.throttle_exec_ms;
  return limits;
}

seed_data load_seed(const emulator_options& o) {
  auto seed = load_seeds(o.seeds);
  if (o.no_auth) seed.auth_required = false;
  if (o.dop_hint) seed.dop_hint = *o.dop_hint;
  return seed;
}

json::value read_json_file(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error(std::string(what) + " not found or unreadable: " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return json::parse(text.str());
  } catch (const json::parse_error& e) {
    throw std::runtime_error(std::string(what) + " '" + path.string() + "' is not valid JSON (" +
                             e.what() + ")");
  }
}

/// Splits an origin-form target into its decoded path and raw query.
std::pair<std::string, std::string_view> split_target(std::string_view target) {
  const auto q = target.find('?');
  const auto raw_query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  return {percent_decode(target.substr(0, q)), raw_query};
}

std::string decoded_query_text(const query_params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

bool is_success(int status) {
  return status >= 200 && status < 300;
}

web_error admin_error(int status, std::string message) {
  return web_error(status, status == 404 ? "0x80040217" : "0x80060888", std::move(message));
}

}  // namespace

emulator_core::emulator_core(emulator_options options)
    : options_(std::move(options)),
      seed_(load_seed(options_)),
      faults_(options_.rng_seed),
      throttle_(effective_limits(seed_, options_), options_.retry_after_s),
      log_(options_.request_log_capacity, options_.request_log),
      id_rng_(options_.rng_seed),
      dop_hint_(seed_.dop_hint),
      latency_ms_(options_.latency_ms),
      latency_jitter_ms_(options_.latency_jitter_ms) {
  if (options_.fail_rate > 0) faults_.set_random_failures(options_.fail_rate, options_.fail_status);
  if (options_.faults_file) {
    try {
      faults_.add(parse_fault_rules(read_json_file(*options_.faults_file, "faults file")));
    } catch (const fault_error& e) {
      throw fault_error("faults file '" + options_.faults_file->string() + "': " + e.what());
    }
  }
  if (options_.faults) faults_.add(parse_fault_rules(*options_.faults));
  load_state();
}

void emulator_core::load_state() {
  store_.emplace(seed_);
  tokens_.emplace(seed_, options_.rng_seed);
}

void emulator_core::set_origin(std::string origin) {
  std::lock_guard lock(mutex_);
  origin_ = std::move(origin);
}

std::string emulator_core::origin() const {
  std::lock_guard lock(mutex_);
  return origin_;
}

std::string emulator_core::new_guid() {
  // Version-4 layout from the seeded stream, so ids repeat for a fixed --rng-seed.
  const std::uint64_t hi = id_rng_(), lo = id_rng_();
  char text[37];
  std::snprintf(
      text, sizeof text, "%08" PRIx32 "-%04" PRIx32 "-4%03" PRIx32 "-%04" PRIx32 "-%012" PRIx64,
      static_cast<std::uint32_t>(hi >> 32), static_cast<std::uint32_t>((hi >> 16) & 0xffff),
      static_cast<std::uint32_t>(hi & 0x0fff),
      static_cast<std::uint32_t>(0x8000 | ((lo >> 48) & 0x3fff)),
      static_cast<std::uint64_t>(lo & 0xffffffffffffULL));
  return text;
}

std::string emulator_core::now_utc_ms() const {
  return format_utc_ms(system_now_ms());
}

// ---------------------------------------------------------------------------------------------
// Step 1: admit

admission emulator_core::admit(request_ticket& t) {
  t.received = steady::now();
  t.at = now_utc_ms();
  admission a;
  try {
    const auto [path, raw_query] = split_target(t.request.target);
    t.params = decode_query(raw_query);
    t.query = decoded_query_text(t.params);
    if (path.starts_with(admin_prefix)) {
      t.kind = request_kind::admin;
      t.path = path.substr(admin_prefix.size());
      a.response = handle_admin(t);  // takes the lock through the C++ API
      return a;
    }
    std::lock_guard lock(mutex_);
    const auto host = t.request.header("Host");
    t.origin = host ? "http://" + std::string(*host) : origin_;
    if (path.starts_with(service_prefix)) {
      t.kind = request_kind::web_api;
      t.path = path.substr(service_prefix.size());
      return admit_web_api(t);
    }
    if (path.size() > token_suffix.size() + 1 && path.ends_with(token_suffix) && path[0] == '/') {
      t.kind = request_kind::token;
      t.tenant = path.substr(1, path.size() - token_suffix.size() - 1);
      t.path = "token";
      return admit_token(t);
    }
    a.response = error_response(404, "0x80060888", "Resource not found: '" + path + "'.");
  } catch (const web_error& e) {
    a.response = error_response(e.status, e.code, e.what());
  }
  return a;
}

admission emulator_core::respond_with_fault(request_ticket& t) {
  admission a;
  const auto& rule = *t.fault;
  ++faults_applied_;
  switch (rule.action) {
    case fault_action::status:
      a.response = error_response(
          rule.status, "0x80040216",
          "Injected fault '" + rule.id + "': status " + std::to_string(rule.status) + ".");
      if (rule.retry_after_s)
        a.response.set_header("Retry-After", std::to_string(*rule.retry_after_s));
      decorate(a.response, t, false);
      log(t, log_.next_seq(), rule.status, false);
      return a;
    case fault_action::reset:
      a.step = next_step::drop;
      log(t, log_.next_seq(), 0, false);
      return a;
    case fault_action::barrier:
      a.step = next_step::barrier;
      a.barrier_id = rule.id;
      a.barrier_count = rule.count.value_or(1);
      a.barrier_hold_ms = rule.latency_ms;
      return a;
    case fault_action::latency:
      t.latency_ms += rule.latency_ms;
      break;
    default:  // lost_response and row edits act in execute()
      break;
  }
  a.step = next_step::execute;
  a.delay_ms = t.latency_ms;
  return a;
}

admission emulator_core::admit_token(request_ticket& t) {
  if (const auto* rule = faults_.select({t.request.method, "token", t.query, false, ""}))
    t.fault = *rule;
  if (t.fault) return respond_with_fault(t);
  admission a;
  a.step = next_step::execute;
  return a;
}

admission emulator_core::admit_web_api(request_ticket& t) {
  ++requests_;
  admission a;
  if (seed_.auth_required) {
    const auto client = tokens_->client_of(t.request.header("Authorization"), t.received);
    if (!client) {
      a.response = error_response(
          401, "0x80080001", "The user is not authenticated: a valid bearer token is required.");
      a.response.set_header("WWW-Authenticate", "Bearer authorization_uri=\"" + origin_ + "/" +
                                                    seed_.tenant_id + "/oauth2/authorize\"");
      decorate(a.response, t, false);
      log(t, log_.next_seq(), 401, false);
      return a;
    }
    t.client_id = *client;
  }
  t.in_flight = true;
  const auto verdict = throttle_.enter(t.client_id, t.received);
  if (!verdict.allowed) {
    a.response = error_response(429, verdict.code, verdict.message);
    a.response.set_header("Retry-After", std::to_string(verdict.retry_after_s));
    decorate(a.response, t, false);
    log(t, log_.next_seq(), 429, false);
    return a;
  }
  if (const auto* rule = faults_.select({t.request.method, t.path, t.query, false, t.client_id}))
    t.fault = *rule;
  t.latency_ms =
      latency_ms_ + (latency_jitter_ms_ > 0 ? faults_.draw_jitter(latency_jitter_ms_) : 0);
  if (t.fault) return respond_with_fault(t);
  a.step = next_step::execute;
  a.delay_ms = t.latency_ms;
  return a;
}

// ---------------------------------------------------------------------------------------------
// Step 2: execute

void emulator_core::apply_row_fault(const fault_rule& rule) {
  if (!rule.target) return;
  const auto* table = store_->tables().by_logical_name(rule.target->table);
  if (!table || !store_->find(*table, rule.target->id)) return;  // nothing to act on
  const auto now = now_utc_ms();
  switch (rule.action) {
    case fault_action::human_edit: {
      row changes;
      if (rule.changes.is_object())
        for (const auto& [k, v] : rule.changes.as_object()) changes[k] = v;
      store_->update(*table, rule.target->id, changes, now);
      break;
    }
    case fault_action::delete_row:
      store_->erase(*table, rule.target->id);
      break;
    case fault_action::bump_version:
      store_->bump_version(*table, rule.target->id, now);
      break;
    default:
      break;
  }
}

execution emulator_core::execute(request_ticket& t) {
  std::lock_guard lock(mutex_);
  execution outcome;
  const auto seq = log_.next_seq();
  if (t.kind == request_kind::token) {
    std::vector<std::string> scopes{t.origin};
    if (origin_ != t.origin) scopes.push_back(origin_);
    outcome.response = tokens_->issue(t.tenant, t.request.body, scopes, steady::now(), t.client_id);
    outcome.drop_connection = t.fault && t.fault->action == fault_action::lost_response;
    log(t, seq, outcome.drop_connection ? 0 : outcome.response.status, false);  // no row changed
    return outcome;
  }
  const bool row_fault = t.fault && (t.fault->action == fault_action::human_edit ||
                                     t.fault->action == fault_action::delete_row ||
                                     t.fault->action == fault_action::bump_version);
  if (row_fault && !t.fault->after) apply_row_fault(*t.fault);
  const auto writes_before = store_->writes();
  outcome.response = dispatch(t, t.request.method, t.path, t.params, t.request.headers,
                              t.request.body, seq, false, outcome);
  const bool committed = outcome.committed.value_or(store_->writes() != writes_before) &&
                         is_success(outcome.response.status);
  if (row_fault && t.fault->after) apply_row_fault(*t.fault);
  if (t.fault && t.fault->action == fault_action::lost_response) outcome.drop_connection = true;
  const auto exec_ms = t.latency_ms + outcome.extra_delay_ms;
  if (exec_ms > 0) throttle_.add_execution_time(t.client_id, exec_ms, steady::now());
  decorate(outcome.response, t, is_success(outcome.response.status));
  log(t, seq, outcome.drop_connection ? 0 : outcome.response.status, committed);
  return outcome;
}

http_response emulator_core::dispatch(request_ticket& t, std::string_view method,
                                      std::string_view path, const query_params& params,
                                      const header_list& headers, std::string_view body,
                                      std::uint64_t seq, bool inner, execution& outcome) {
  try {
    if (path == "$batch") {
      if (inner) throw bad_request("A $batch request cannot contain another $batch.");
      if (method != "POST") throw web_error(405, "0x80060888", "$batch requires POST.");
      return run_batch_request(t, seq, outcome);
    }
    if (method == "GET")
      if (auto r = handle_metadata(store_->tables(), caller_, path, params)) return std::move(*r);
    table_request_context context{*store_, t.origin + std::string(service_prefix), now_utc_ms(),
                                  [this] { return new_guid(); }, caller_.user_id};
    if (auto r = handle_table_request(context, method, path, params, headers, body))
      return std::move(*r);
    const auto first = path.substr(0, path.find_first_of("/("));
    return error_response(404, "0x80060888",
                          "Resource not found for the segment '" + std::string(first) + "'.");
  } catch (const web_error& e) {
    return error_response(e.status, e.code, e.what());
  } catch (const std::exception& e) {
    // Never crash on a request: an unexpected failure is the emulator's own 500.
    return error_response(500, "0x80040216", std::string("Emulator internal error: ") + e.what());
  }
}

http_response emulator_core::run_batch_request(request_ticket& t, std::uint64_t seq,
                                               execution& outcome) {
  const auto content_type = t.request.header("Content-Type");
  const auto parts = parse_batch(content_type.value_or(""), t.request.body);
  const auto prefer = joined_header(t.request.headers, "Prefer");
  bool dropped = false;
  bool in_changeset = false;
  // A change set's operations are logged when it ends, so rolled-back ones say committed: false.
  struct held_entry {
    request_ticket ticket;
    std::uint64_t seq;
    int status;
    bool committed;
    std::size_t index;
  };
  std::vector<held_entry> held;
  bool any_committed = false;
  // Row faults stand for another actor's edits: a change set's rollback must not undo them.
  std::vector<fault_rule> outside_edits;
  const auto rollback = [&] {
    store_->rollback_transaction();
    in_changeset = false;
    for (const auto& rule : outside_edits) apply_row_fault(rule);
    outside_edits.clear();
  };
  const auto log_held = [&](bool keep) {
    for (auto& h : held) {
      log(h.ticket, h.seq, h.status, keep && h.committed, seq, h.index);
      any_committed |= keep && h.committed;
    }
    held.clear();
  };
  batch_executor exec;
  exec.execute = [&](const batch_operation& op, std::size_t index) -> operation_result {
    const auto op_seq = log_.next_seq();
    const auto relative = service_relative_url(op.url);
    request_ticket inner = t;
    inner.request.method = op.method;
    inner.request.headers = op.headers;
    inner.request.body = op.body;
    inner.fault.reset();
    const auto finish_op = [&](http_response r, bool committed) {
      inner.request.target = op.url;
      if (in_changeset) {
        held.push_back({inner, op_seq, dropped ? 0 : r.status, committed, index});
      } else {
        log(inner, op_seq, dropped ? 0 : r.status, committed, seq, index);
        any_committed |= committed;
      }
      return operation_result{r.status, std::move(r.headers), std::move(r.body)};
    };
    if (!relative)
      return finish_op(
          error_response(400, "0x80060888", "Invalid request URL '" + op.url + "' in $batch."),
          false);
    const auto q = relative->find('?');
    inner.path = percent_decode(relative->substr(0, q));
    inner.params = decode_query(q == std::string::npos ? "" : relative->substr(q + 1));
    inner.query = decoded_query_text(inner.params);
    if (const auto* rule =
            faults_.select({op.method, inner.path, inner.query, true, t.client_id})) {
      inner.fault = *rule;
      ++faults_applied_;
      switch (rule->action) {
        case fault_action::status: {
          auto r = error_response(rule->status, "0x80040216", "Injected fault '" + rule->id + "'.");
          if (rule->retry_after_s)
            r.set_header("Retry-After", std::to_string(*rule->retry_after_s));
          return finish_op(std::move(r), false);
        }
        case fault_action::reset:
          // The connection drops mid-batch: nothing of the open change set survives.
          dropped = true;
          throw std::runtime_error("connection reset by fault");
        case fault_action::lost_response:
          outcome.drop_connection = true;
          break;
        case fault_action::latency:
          outcome.extra_delay_ms += rule->latency_ms;
          break;
        default:
          break;
      }
    }
    const bool row_fault = inner.fault && inner.fault->target;
    if (row_fault && in_changeset) outside_edits.push_back(*inner.fault);
    if (row_fault && !inner.fault->after) apply_row_fault(*inner.fault);
    const auto writes_before = store_->writes();
    execution ignored;
    auto r = dispatch(inner, op.method, inner.path, inner.params, op.headers, op.body, op_seq, true,
                      ignored);
    const bool committed =
        store_->writes() != writes_before && is_success(r.status);  // before an "after" edit
    if (row_fault && inner.fault->after) apply_row_fault(*inner.fault);
    return finish_op(std::move(r), committed);
  };
  exec.begin_changeset = [&] {
    store_->begin_transaction();
    in_changeset = true;
    outside_edits.clear();
  };
  exec.commit_changeset = [&] {
    store_->commit_transaction();
    in_changeset = false;
    log_held(true);
  };
  exec.rollback_changeset = [&] {
    rollback();
    log_held(false);
  };
  exec.new_boundary_id = [this] { return new_guid(); };
  try {
    auto result = run_batch(parts, prefers_continue_on_error(prefer), exec);
    outcome.committed = any_committed;
    http_response r;
    r.status = result.status;
    r.headers.emplace_back("Content-Type", std::move(result.content_type));
    r.body = std::move(result.body);
    return r;
  } catch (...) {
    if (in_changeset) rollback();
    log_held(false);
    outcome.committed = any_committed;
    if (!dropped) throw;
    outcome.drop_connection = true;
    return error_response(500, "0x80040216", "connection reset");
  }
}

void emulator_core::decorate(http_response& r, const request_ticket& t, bool success) {
  if (t.kind != request_kind::web_api) return;
  r.set_header("OData-Version", "4.0");
  r.set_header("x-ms-dop-hint", std::to_string(dop_hint_));
  char id[40];
  std::snprintf(id, sizeof id, "5e1f0000-0000-4000-8000-%012" PRIx64, ++service_request_ids_);
  r.set_header("x-ms-service-request-id", id);
  if (!success) return;
  // -1: the request-count limit is off, so there is no budget to report.
  const auto remaining = throttle_.remaining_in_window(t.client_id, steady::now());
  if (remaining >= 0)
    r.set_header("x-ms-ratelimit-burst-remaining-xrm-requests", std::to_string(remaining));
}

void emulator_core::log(const request_ticket& t, std::uint64_t seq, int status, bool committed,
                        std::optional<std::uint64_t> batch_seq,
                        std::optional<std::uint64_t> inner_index) {
  log_entry e;
  e.seq = seq;
  e.at = t.at;
  e.client_id = t.client_id;
  e.method = t.request.method;
  e.path = t.path;
  e.query = t.query;
  e.headers = redact_headers(t.request.headers);
  if (t.kind != request_kind::token) e.body = t.request.body;  // token forms hold the secret
  e.status = status;
  if (t.fault) e.fault = t.fault->id;
  e.committed = committed;
  e.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t.received).count();
  e.batch_seq = batch_seq;
  e.inner_index = inner_index;
  log_.append(std::move(e));
}

// ---------------------------------------------------------------------------------------------
// Step 3: finish

void emulator_core::finish(request_ticket& t) {
  if (!t.in_flight) return;
  std::lock_guard lock(mutex_);
  throttle_.leave(t.client_id);
  t.in_flight = false;
}

// ---------------------------------------------------------------------------------------------
// The C++ API (callers hold no lock; the admin handlers call the *_locked forms below)

std::vector<std::string> emulator_core::add_faults(const json::value& rules) {
  std::lock_guard lock(mutex_);
  return faults_.add(parse_fault_rules(rules));
}

void emulator_core::clear_faults() {
  std::lock_guard lock(mutex_);
  faults_.clear();
}

json::value emulator_core::faults() const {
  std::lock_guard lock(mutex_);
  return faults_.list();
}

json::value emulator_core::requests(std::uint64_t since) const {
  std::lock_guard lock(mutex_);
  return log_.since(since);
}

json::value emulator_core::state() const {
  std::lock_guard lock(mutex_);
  json::object by_client;
  for (const auto& [client, n] : throttle_.max_in_flight_by_client())
    by_client.emplace_back(client, n);
  return json::object{
      {"counters",
       json::object{{"faults_applied", static_cast<std::int64_t>(faults_applied_)},
                    {"max_in_flight", throttle_.max_in_flight()},
                    {"max_in_flight_by_client", std::move(by_client)},
                    {"requests", static_cast<std::int64_t>(requests_)},
                    {"throttled", static_cast<std::int64_t>(throttle_.throttled_total())},
                    {"tokens_issued", static_cast<std::int64_t>(tokens_->issued())},
                    {"writes", static_cast<std::int64_t>(store_->writes())}}},
      {"schema_version", "opencloser-emulator-state-v1"},
      {"tables", store_->dump_tables()},
  };
}

namespace {

/// Admin row bodies name row properties directly (`_<c>_value` for lookups), values typed.
row admin_changes(const table_def& table, const json::value& body) {
  if (!body.is_object()) throw bad_request("The row body must be a JSON object.");
  row changes;
  for (const auto& [key, value] : body.as_object()) {
    if (key == "@odata.etag") continue;
    const auto* column = table.property(key);
    if (!column || key == "versionnumber" || key == "modifiedon")
      throw bad_request("Unknown column '" + key + "' of table '" + table.logical_name + "'.");
    if (column->is_lookup() && !value.is_null() && !value.is_string())
      throw bad_request("Lookup '" + key + "' needs a GUID string or null.");
    if (!column->is_lookup()) check_column_value(table, *column, value);
    changes[key] = value;
  }
  return changes;
}

}  // namespace

json::value emulator_core::insert_row(std::string_view table_name, const json::value& values) {
  std::lock_guard lock(mutex_);
  const auto* table = store_->tables().by_logical_name(table_name);
  if (!table) throw admin_error(404, "Unknown table '" + std::string(table_name) + "'.");
  auto changes = admin_changes(*table, values);
  auto& id = changes[table->primary_id];
  if (id.is_null()) id = json::value(new_guid());
  if (!id.is_string() || !is_guid(id.as_string()))
    throw admin_error(400, "The primary id of a new row must be a GUID.");
  if (store_->find(*table, id.as_string()))
    throw admin_error(412, "A row with id " + id.as_string() + " already exists.");
  const auto& stored = store_->insert(*table, std::move(changes), now_utc_ms());
  json::object out{{"@odata.etag", etag_of(stored)}};
  for (const auto& [k, v] : stored) out.emplace_back(k, v);
  return out;
}

json::value emulator_core::edit_row(std::string_view table_name, std::string_view id,
                                    const json::value& changes) {
  std::lock_guard lock(mutex_);
  const auto* table = store_->tables().by_logical_name(table_name);
  if (!table) throw admin_error(404, "Unknown table '" + std::string(table_name) + "'.");
  if (!is_guid(id) || !store_->find(*table, id))
    throw admin_error(
        404, std::string(table_name) + " With Id = " + std::string(id) + " Does Not Exist");
  auto parsed = admin_changes(*table, changes);
  parsed.erase(table->primary_id);
  const auto& stored = store_->update(*table, id, parsed, now_utc_ms());
  json::object out{{"@odata.etag", etag_of(stored)}};
  for (const auto& [k, v] : stored) out.emplace_back(k, v);
  return out;
}

bool emulator_core::delete_row(std::string_view table_name, std::string_view id) {
  std::lock_guard lock(mutex_);
  const auto* table = store_->tables().by_logical_name(table_name);
  if (!table) throw admin_error(404, "Unknown table '" + std::string(table_name) + "'.");
  return is_guid(id) && store_->erase(*table, id);
}

void emulator_core::expire_tokens() {
  std::lock_guard lock(mutex_);
  tokens_->expire_all();
}

void emulator_core::configure(const json::value& config) {
  if (!config.is_object()) throw bad_request("The config body must be a JSON object.");
  const auto integer = [](const json::value& v, std::string_view key) {
    if (!v.is_int() || v.as_int() < 0)
      throw bad_request("config key '" + std::string(key) + "' must be a non-negative integer.");
    return v.as_int();
  };
  std::lock_guard lock(mutex_);
  auto limits = throttle_.limits();
  auto dop = dop_hint_;
  auto latency = latency_ms_, jitter = latency_jitter_ms_;
  for (const auto& [key, value] : config.as_object()) {
    if (key == "dop_hint") {
      dop = integer(value, key);
    } else if (key == "latency_ms") {
      latency = integer(value, key);
    } else if (key == "latency_jitter_ms") {
      jitter = integer(value, key);
    } else if (key == "throttling") {
      if (!value.is_object()) throw bad_request("config key 'throttling' must be an object.");
      for (const auto& [k, v] : value.as_object()) {
        if (k == "requests")
          limits.requests = integer(v, k);
        else if (k == "window_s")
          limits.window_s = integer(v, k);
        else if (k == "concurrency")
          limits.concurrency = integer(v, k);
        else if (k == "exec_ms")
          limits.exec_ms = integer(v, k);
        else
          throw bad_request("unknown throttling key '" + k + "'.");
      }
    } else {
      throw bad_request("unknown config key '" + key + "'.");
    }
  }
  throttle_.set_limits(limits);
  dop_hint_ = dop;
  latency_ms_ = latency;
  latency_jitter_ms_ = jitter;
}

void emulator_core::reset() {
  std::lock_guard lock(mutex_);
  load_state();
  log_.clear();
  faults_.clear();
  throttle_.reset();
  requests_ = faults_applied_ = 0;
}

void emulator_core::flush_log() {
  std::lock_guard lock(mutex_);
  log_.flush();
}

}  // namespace opencloser::emulator
