// run-crm end to end: dry-run (conformance.md §6) and readiness / metadata verification
// (conformance.md §7, dataverse.md §3.1–§3.2, §9). Mapping variants are edited copies of the
// shipped config/dataverse_mapping.json written under the run's temporary directory; seed
// variants are edited copies of config/emulator-seed.json (or small extra seeds merged after it).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "actors/common/ids.hpp"
#include "tests/e2e/cli_harness.hpp"

using namespace opencloser;
using namespace opencloser::e2e;
using Catch::Contains;
using Catch::StartsWith;

namespace {

namespace fs = std::filesystem;

const std::string not_approved_suffix =
    "' is not approved; re-run discover-crm and have a reviewer set _meta.approved to true";
const std::string metadata_failed = "metadata verification failed: ";

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

/// A mutable member of a JSON object along `path` (the harness's json::value only finds const).
json::value& at(json::value& root, std::initializer_list<std::string_view> path) {
  json::value* v = &root;
  for (const auto key : path) {
    json::value* next = nullptr;
    for (auto& [k, m] : v->as_object())
      if (k == key) next = &m;
    if (!next) throw std::runtime_error("test setup: no member '" + std::string(key) + "'");
    v = next;
  }
  return *v;
}

void erase_member(json::value& object, std::string_view key) {
  auto& members = object.as_object();
  members.erase(std::remove_if(members.begin(), members.end(),
                               [&](const json::member& m) { return m.first == key; }),
                members.end());
}

/// Objects with their members sorted by key, recursively, so that two documents compare
/// equal whatever order their members were written in.
json::value sorted(const json::value& v) {
  if (v.is_array()) {
    json::array out;
    for (const auto& item : v.as_array()) out.push_back(sorted(item));
    return out;
  }
  if (!v.is_object()) return v;
  json::object out;
  for (const auto& [k, m] : v.as_object()) out.emplace_back(k, sorted(m));
  std::sort(out.begin(), out.end(),
            [](const json::member& a, const json::member& b) { return a.first < b.first; });
  return out;
}

void replace_flag(cli_env& env, const std::string& flag, const std::string& value) {
  auto it = std::find(env.common_flags.begin(), env.common_flags.end(), flag);
  if (it == env.common_flags.end() || std::next(it) == env.common_flags.end())
    throw std::runtime_error("test setup: no common flag " + flag);
  *std::next(it) = value;
}

/// Writes an edited copy of the shipped mapping into the run directory and points
/// `--mapping` at it; member order is kept (checks and messages follow document order).
std::string use_mapping_variant(cli_env& env, const std::function<void(json::value&)>& edit) {
  auto doc = json::parse(slurp(shipped("dataverse_mapping.json")));
  edit(doc);
  const auto path = (env.dir / "mapping-variant.json").string();
  write_text(path, json::write_compact(doc));
  replace_flag(env, "--mapping", path);
  return path;
}

/// Writes an edited copy of the shipped slice2.toml (text replacement of one line) into the run
/// directory and points `--slice2-config` at it. Arrays cannot come from the environment.
void use_slice2_variant(cli_env& env, const std::string& line, const std::string& replacement) {
  auto text = slurp(shipped("slice2.toml"));
  const auto pos = text.find(line);
  if (pos == std::string::npos) throw std::runtime_error("test setup: no line " + line);
  text.replace(pos, line.size(), replacement);
  const auto path = env.dir / "slice2-variant.toml";
  write_text(path, text);
  replace_flag(env, "--slice2-config", path.string());
}

/// A seed file that must exist before the emulator (and the harness's own directory) does.
class temp_seed {
 public:
  explicit temp_seed(const json::value& doc) {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("oc-e2e-ready-seed-" + std::to_string(rd()) + "-" + std::to_string(rd()) + ".json");
    write_text(path_, json::write_compact(doc));
  }
  ~temp_seed() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  temp_seed(const temp_seed&) = delete;
  temp_seed& operator=(const temp_seed&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

json::value shipped_seed() {
  return json::parse(slurp(shipped("emulator-seed.json")));
}

emulator::emulator_options seeds(std::vector<fs::path> files) {
  emulator::emulator_options options;
  options.seeds = std::move(files);
  return options;
}

/// An extra seed that only appends rows (fixtures.md §5: rows append per table on merge).
json::value extra_rows(const std::string& table, json::object row) {
  return json::object{{"schema_version", "opencloser-emulator-seed-v1"},
                      {"rows", json::object{{table, json::array{json::value(std::move(row))}}}}};
}

std::string string_at(const json::value& v, std::string_view key) {
  const auto* m = v.find(key);
  return m && m->is_string() ? m->as_string() : std::string("<not a string>");
}

/// Emulator request-log entries whose path (relative to the service root, or `token`)
/// contains `fragment`.
std::vector<json::value> requests_to(const cli_env& env, const std::string& fragment) {
  std::vector<json::value> out;
  for (const auto& r : env.requests())
    if (string_at(r, "path").find(fragment) != std::string::npos) out.push_back(r);
  return out;
}

/// Log entries whose path is exactly `path`.
std::vector<json::value> requests_at(const cli_env& env, const std::string& path) {
  std::vector<json::value> out;
  for (const auto& r : env.requests())
    if (string_at(r, "path") == path) out.push_back(r);
  return out;
}

/// Top-level Web API writes (POST, PATCH, DELETE, `$batch`) in the emulator log. The log's
/// paths are relative to the service root (`token` for the token endpoint), so the harness's
/// write_count(), which looks for "/api/data/" in them, cannot see any write.
std::size_t writes(const cli_env& env) {
  std::size_t n = 0;
  for (const auto& r : env.requests()) {
    const auto* inner = r.find("inner_index");
    if (inner && !inner->is_null()) continue;
    if (string_at(r, "method") != "GET" && string_at(r, "path") != "token") ++n;
  }
  return n;
}

/// Web API requests (anything but the token endpoint) in the emulator log.
std::size_t web_api_requests(const cli_env& env) {
  std::size_t n = 0;
  for (const auto& r : env.requests())
    if (string_at(r, "path") != "token") ++n;
  return n;
}

std::size_t session_dirs(const cli_env& env) {
  std::size_t n = 0;
  if (!fs::exists(env.artifacts())) return 0;
  for (const auto& entry : fs::directory_iterator(env.artifacts()))
    if (entry.path().filename().string().rfind("ses_", 0) == 0) ++n;
  return n;
}

/// "No session": nothing names one, no session directory, no session row.
void check_no_session(const cli_env& env, const cli_result& r) {
  CHECK_FALSE(r.line("session_id"));
  CHECK(session_dirs(env) == 0);
  if (fs::exists(env.state_db())) CHECK(env.query("SELECT count(*) FROM sessions")[0][0] == "0");
}

/// conformance.md §7's common expectation: exit 1 `blocked`/`metadata`, zero writes, no session.
void check_metadata_block(const cli_env& env, const cli_result& r) {
  CHECK(r.exit_code == 1);
  CHECK(r.line("exit_status") == "blocked");
  CHECK(r.line("block_reason") == "metadata");
  CHECK(writes(env) == 0);
  CHECK(env.rows("phonecall").empty());
  CHECK(env.rows("task").empty());
  check_no_session(env, r);
}

std::string product_version(const cli_env& env) {
  const auto r = env.run({"--version"}, false);
  auto text = r.out.substr(r.out.find(' ') + 1);
  text.erase(text.find_last_not_of(" \r\n") + 1);
  return text;
}

std::map<std::string, std::string> headers_of(const json::value& request) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : request.find("headers")->as_object()) out[k] = v.as_string();
  return out;
}

std::vector<std::string> steps_of(const json::value& plan) {
  std::vector<std::string> steps;
  for (const auto& req : plan.find("requests")->as_array())
    steps.push_back(req.find("step")->as_string());
  return steps;
}

std::string load_etag(const cli_env& env, const std::string& row) {
  return env.row("acme_callqueue", row).find("@odata.etag")->as_string();
}

std::string warning_codes(const json::value& report) {
  std::string codes;
  for (const auto& w : report.find("warnings")->as_array()) codes += string_at(w, "code") + ";";
  return codes;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// §6 Dry-run

TEST_CASE("dry-run plans every request with exact headers and bodies and writes nothing",
          "[e2e][ready]") {
  cli_env env;
  const auto etag = load_etag(env, ready_row);
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(sid.rfind("ses_", 0) == 0);
  CHECK(writes(env) == 0);
  CHECK(env.rows("phonecall").empty());
  CHECK(env.rows("task").empty());
  CHECK(load_etag(env, ready_row) == etag);

  for (const char* name : {"dry-run-marker.json", "planned-writeback.json", "writeback.json",
                           "task.json", "http-plan.json", "run-report.json"})
    CHECK(env.has_artifact(sid, name));
  const auto marker = env.artifact(sid, "dry-run-marker.json");
  CHECK(string_at(marker, "note") ==
        "Dry-run: the write-back files describe what a write-enabled run would send; no create "
        "or update was issued to Dataverse.");
  CHECK(string_at(marker, "schema_version") == "slice2-dry-run-marker-v1");
  CHECK(string_at(marker, "session_id") == sid);
  CHECK(marker.as_object().size() == 3);

  const auto writeback = env.artifact(sid, "writeback.json");
  const auto& task = *writeback.find("task");
  CHECK(string_at(task, "assigned_to") == callback_owner);
  CHECK(string_at(env.artifact(sid, "task.json"), "assigned_to") == callback_owner);
  const auto& call = *writeback.find("phone_call_activity");
  const auto summary = string_at(call, "summary");
  const auto window = string_at(task, "preferred_callback_window");
  CHECK(summary == "Disposition: interested_callback_requested; callback " + window + ".");

  CHECK(env.query("SELECT count(*) FROM writeback_progress")[0][0] == "0");
  CHECK(env.query("SELECT count(*) FROM crm_correlations")[0][0] == "0");
  const auto report = env.artifact(sid, "run-report.json");
  CHECK(string_at(report, "run_mode") == "dry_run");
  CHECK(report.find("crm_correlations")->is_null());
  CHECK(report.find("writeback_progress")->is_null());

  const auto plan = env.artifact(sid, "http-plan.json");
  CHECK(string_at(plan, "base_url") == "<env>/api/data/v9.2/");
  CHECK(string_at(plan, "queue_item_id") == ready_row);
  CHECK(string_at(plan, "run_mode") == "dry_run");
  CHECK(string_at(plan, "schema_version") == "opencloser-http-plan-v1");
  CHECK(string_at(plan, "session_id") == sid);
  CHECK(string_at(plan, "writeback_mode") == "sequential");
  const auto& requests = plan.find("requests")->as_array();
  REQUIRE(requests.size() == 8);

  const auto pc_id = uuid_v5(opencloser_uuid_namespace, "opencloser:" + sid + ":phonecall");
  const auto task_id = uuid_v5(opencloser_uuid_namespace, "opencloser:" + sid + ":task");
  const std::string queue_url = queue_set + "(" + ready_row + ")";
  const std::map<std::string, std::string> common{
      {"Accept", "application/json"},
      {"Authorization", "Bearer <redacted>"},
      {"OData-MaxVersion", "4.0"},
      {"OData-Version", "4.0"},
      {"User-Agent", "opencloser/" + product_version(env)}};
  auto get_headers = common;
  get_headers["If-None-Match"] = "null";
  auto json_headers = common;
  json_headers["Content-Type"] = "application/json; charset=utf-8";
  auto with = [](std::map<std::string, std::string> h, const std::string& k, const std::string& v) {
    h[k] = v;
    return h;
  };

  struct expected_request {
    std::string step, condition, method, url;
    std::map<std::string, std::string> headers;
    json::value body;
  };
  const std::vector<expected_request> expected{
      {"claim", "always", "PATCH",
       queue_url + "?$select=acme_callqueueid,acme_lastsession,acme_status",
       with(with(json_headers, "If-Match", etag), "Prefer", "return=representation"),
       json::object{{"acme_attempts", 2}, {"acme_lastsession", sid}, {"acme_status", 100000001}}},
      {"pre_write_read", "always", "GET",
       queue_set + "?$filter=acme_callqueueid eq " + ready_row +
           "&$select=acme_callqueueid,acme_lastdisposition,acme_lastsession,acme_notes,"
           "acme_status&$top=1",
       get_headers, json::value()},
      {"phone_call_prequery", "always", "GET",
       "phonecalls?$filter=acme_idemkey eq '" + sid + "'&$select=activityid,statecode&$top=1",
       get_headers, json::value()},
      {"phone_call_create", "if_prequery_empty", "POST", "phonecalls", json_headers,
       json::object{{"acme_idemkey", sid},
                    {"activityid", pc_id},
                    {"actualend", string_at(call, "ended_at")},
                    {"actualstart", string_at(call, "started_at")},
                    {"description", summary},
                    {"directioncode", true},
                    {"regardingobjectid_acme_callqueue_phonecall@odata.bind", "/" + queue_url},
                    {"subject", summary}}},
      {"phone_call_close", "if_not_closed", "PATCH", "phonecalls(" + pc_id + ")",
       with(json_headers, "If-Match", "*"), json::object{{"statecode", 1}, {"statuscode", 2}}},
      {"queue_status_update", "if_not_applied", "PATCH", queue_url,
       with(json_headers, "If-Match", "{{etag_after_claim}}"),
       json::object{{"acme_lastdisposition", "interested_callback_requested"},
                    {"acme_lasterror", nullptr},
                    {"acme_lastsession", sid},
                    {"acme_status", 100000000}}},
      {"task_prequery", "always", "GET",
       "tasks?$filter=acme_idemkey eq '" + sid + "'&$select=activityid&$top=1", get_headers,
       json::value()},
      {"task_create", "if_prequery_empty", "POST", "tasks", json_headers,
       json::object{{"acme_idemkey", sid},
                    {"activityid", task_id},
                    {"description", "Callback window: " + window},
                    {"ownerid@odata.bind", "/systemusers(" + callback_owner + ")"},
                    {"regardingobjectid_acme_callqueue_task@odata.bind", "/" + queue_url},
                    {"subject", "Callback for Maple Court ALF"}}},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& want = expected[i];
    const auto& got = requests[i];
    INFO("request #" << i + 1 << " " << json::write_compact(got));
    CHECK(got.find("seq")->as_int() == static_cast<std::int64_t>(i + 1));
    CHECK(string_at(got, "step") == want.step);
    CHECK(string_at(got, "condition") == want.condition);
    CHECK(string_at(got, "method") == want.method);
    CHECK(string_at(got, "url") == want.url);
    CHECK(headers_of(got) == want.headers);
    CHECK(sorted(*got.find("body")) == sorted(want.body));
  }
}

TEST_CASE("dry-run in batch mode plans the pre-queries and one multipart batch", "[e2e][ready]") {
  cli_env env;
  env.env["OPENCLOSER_WRITEBACK_MODE"] = "batch";
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  CHECK(writes(env) == 0);
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(sid.rfind("ses_", 0) == 0);
  const auto hex = sid.substr(4);
  const auto pc_id = uuid_v5(opencloser_uuid_namespace, "opencloser:" + sid + ":phonecall");

  const auto plan = env.artifact(sid, "http-plan.json");
  CHECK(string_at(plan, "writeback_mode") == "batch");
  CHECK(string_at(plan, "run_mode") == "dry_run");
  CHECK(steps_of(plan) == std::vector<std::string>{"claim", "pre_write_read", "phone_call_prequery",
                                                   "task_prequery", "batch"});
  const auto& batch = plan.find("requests")->as_array().back();
  CHECK(batch.find("seq")->as_int() == 5);
  CHECK(string_at(batch, "condition") == "if_prequery_empty");
  CHECK(string_at(batch, "method") == "POST");
  CHECK(string_at(batch, "url") == "$batch");
  const auto headers = headers_of(batch);
  CHECK(headers.at("Content-Type") == "multipart/mixed; boundary=\"batch_" + hex + "\"");
  CHECK(headers.at("Authorization") == "Bearer <redacted>");
  REQUIRE(batch.find("body")->is_string());
  const auto& body = batch.find("body")->as_string();
  INFO(body);

  // Every line ends in CRLF.
  std::size_t bare_lf = 0;
  for (std::size_t i = 0; i < body.size(); ++i)
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) ++bare_lf;
  CHECK(bare_lf == 0);
  CHECK(body.rfind("--batch_" + hex + "\r\n", 0) == 0);

  // The four operations in order, host-relative, the close addressed by the deterministic id.
  const std::vector<std::string> in_order{
      "Content-ID: 1\r\n",
      "POST /api/data/v9.2/phonecalls HTTP/1.1\r\n",
      "\"activityid\":\"" + pc_id + "\"",
      "Content-ID: 2\r\n",
      "PATCH /api/data/v9.2/phonecalls(" + pc_id + ") HTTP/1.1\r\n",
      "If-Match: *\r\n",
      "Content-ID: 3\r\n",
      "PATCH /api/data/v9.2/" + queue_set + "(" + ready_row + ") HTTP/1.1\r\n",
      "Content-ID: 4\r\n",
      "POST /api/data/v9.2/tasks HTTP/1.1\r\n",
      "--changeset_" + hex + "--\r\n",
      "--batch_" + hex + "--"};
  std::size_t from = 0;
  for (const auto& piece : in_order) {
    INFO("looking for " << piece);
    const auto pos = body.find(piece, from);
    CHECK(pos != std::string::npos);
    if (pos != std::string::npos) from = pos + piece.size();
  }
  CHECK(body.find("Content-Transfer-Encoding: binary\r\n") != std::string::npos);
  CHECK(body.find("http://") == std::string::npos);
  CHECK(body.find("<env>") == std::string::npos);
}

TEST_CASE("dry-run of an eligibility-blocked row plans the pre-write read and the status PATCH",
          "[e2e][ready]") {
  cli_env env;
  const auto etag = load_etag(env, dnc_row);
  const auto r = env.run_crm(dnc_row, "standard");
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.line("exit_status") == "blocked");
  CHECK(r.line("block_reason") == "eligibility");
  CHECK(writes(env) == 0);
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(sid.rfind("ses_", 0) == 0);
  const auto plan = env.artifact(sid, "http-plan.json");
  CHECK(steps_of(plan) == std::vector<std::string>{"pre_write_read", "queue_status_update"});
  const auto& requests = plan.find("requests")->as_array();
  REQUIRE(requests.size() == 2);
  CHECK(string_at(requests[0], "condition") == "always");
  CHECK(string_at(requests[1], "condition") == "if_not_applied");
  CHECK(string_at(requests[1], "method") == "PATCH");
  // The blocked path's baseline is the load: its ETag, no claim placeholder.
  CHECK(headers_of(requests[1])["If-Match"] == etag);
  CHECK(env.has_artifact(sid, "dry-run-marker.json"));
  CHECK(env.query("SELECT count(*) FROM writeback_progress")[0][0] == "0");
}

TEST_CASE("dry-run of a row loaded in_progress plans no request", "[e2e][ready]") {
  cli_env env;
  env.emu.edit_row("acme_callqueue", ready_row, json::object{{"acme_status", 100000001}});
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm");
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.line("exit_status") == "blocked");
  CHECK(r.line("block_reason") == "eligibility");
  CHECK(writes(env) == 0);
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(sid.rfind("ses_", 0) == 0);
  const auto plan = env.artifact(sid, "http-plan.json");
  REQUIRE(plan.find("requests"));
  CHECK(plan.find("requests")->as_array().empty());
}

TEST_CASE("a missing mapping file blocks on metadata with no session and an empty artifact root",
          "[e2e][ready]") {
  cli_env env;
  const auto missing = (env.dir / "no-such-mapping.json").string();
  replace_flag(env, "--mapping", missing);
  const auto report_path = env.dir / "report.json";
  const auto r =
      env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--report", report_path.string()});
  INFO(r.out << r.err);
  check_metadata_block(env, r);
  CHECK_THAT(r.line("message").value_or(""), StartsWith("mapping artifact error: "));
  // One prefix, then the loader's detail naming the file.
  CHECK(r.line("message").value_or("").find("mapping artifact error: mapping artifact error") ==
        std::string::npos);
  CHECK_THAT(r.line("message").value_or(""), Contains("no-such-mapping.json"));
  CHECK((!fs::exists(env.artifacts()) || fs::is_empty(env.artifacts())));
  // The run has no session, so --report is its only report.
  REQUIRE(fs::exists(report_path));
  const auto report = json::parse(slurp(report_path));
  CHECK(string_at(report, "exit_status") == "blocked");
  CHECK(string_at(report, "block_reason") == "metadata");
  CHECK(report.find("session_id")->is_null());
}

TEST_CASE("a 403 on EntityDefinitions blocks on metadata", "[e2e][ready]") {
  cli_env env;
  env.emu.add_fault(json::array{
      json::object{{"id", "metadata-forbidden"},
                   {"match", json::object{{"method", "GET"}, {"path", "^EntityDefinitions"}}},
                   {"times", 1},
                   {"action", "status"},
                   {"status", 403}}});
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm");
  INFO(r.out << r.err);
  check_metadata_block(env, r);
  const auto message = r.line("message").value_or("");
  CHECK_THAT(message, StartsWith(metadata_failed));
  CHECK_THAT(message, Contains("HTTP 403"));
  // Permanent: not resent.
  CHECK(requests_to(env, "EntityDefinitions").size() == 1);
}

TEST_CASE("a token 401 from a wrong secret blocks on metadata in both modes", "[e2e][ready]") {
  for (const bool write : {false, true}) {
    INFO((write ? "write mode" : "dry-run"));
    cli_env env;
    env.env["DATAVERSE_CLIENT_SECRET"] = "not-the-emulator-secret";
    const auto r =
        env.run_crm(ready_row, "standard", "callback_weekday_pm",
                    write ? std::vector<std::string>{"--write"} : std::vector<std::string>{});
    INFO(r.out << r.err);
    check_metadata_block(env, r);
    CHECK_THAT(r.line("message").value_or(""), StartsWith(metadata_failed));
    CHECK_THAT(r.line("message").value_or(""), Contains("401"));
    CHECK(web_api_requests(env) == 0);
    CHECK_FALSE(requests_at(env, "token").empty());
    CHECK(r.out.find("not-the-emulator-secret") == std::string::npos);
    CHECK(r.err.find("not-the-emulator-secret") == std::string::npos);
  }
}

TEST_CASE("missing secrets exit 2 before any request", "[e2e][ready]") {
  const std::string all =
      "missing required Dataverse secret environment variable(s): DATAVERSE_TENANT_ID, "
      "DATAVERSE_CLIENT_ID, DATAVERSE_CLIENT_SECRET, DATAVERSE_ENV_URL";
  for (const bool write : {false, true}) {
    INFO((write ? "write mode" : "dry-run"));
    const std::vector<std::string> extra =
        write ? std::vector<std::string>{"--write"} : std::vector<std::string>{};
    {
      cli_env env;
      for (const char* name : {"DATAVERSE_TENANT_ID", "DATAVERSE_CLIENT_ID",
                               "DATAVERSE_CLIENT_SECRET", "DATAVERSE_ENV_URL"})
        env.env.erase(name);
      const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", extra);
      INFO(r.out << r.err);
      CHECK(r.exit_code == 2);
      CHECK_THAT(r.err, Contains("error:       " + all));
      CHECK(env.requests().empty());
      check_no_session(env, r);
    }
    {
      // Empty counts as missing; only the missing names are listed.
      cli_env env;
      env.env["DATAVERSE_CLIENT_SECRET"] = "";
      env.env.erase("DATAVERSE_ENV_URL");
      const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", extra);
      INFO(r.out << r.err);
      CHECK(r.exit_code == 2);
      CHECK_THAT(r.err, Contains("error:       missing required Dataverse secret environment "
                                 "variable(s): DATAVERSE_CLIENT_SECRET, DATAVERSE_ENV_URL"));
      CHECK(env.requests().empty());
      check_no_session(env, r);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// §7 Readiness and metadata: blocks (write mode)

namespace {

struct mapping_defect {
  std::string name;
  std::function<void(json::value&)> edit;
  std::vector<std::string> message_contains;
  std::string message_prefix = metadata_failed;
};

}  // namespace

TEST_CASE("readiness blocks every mapping defect in write mode with a message naming the item",
          "[e2e][ready]") {
  const std::vector<mapping_defect> defects{
      {"mapped column absent live",
       [](json::value& m) {
         at(m, {"fields", "queue.phone", "logical_name"}) = "acme_nosuchphone";
       },
       {"queue.phone", "acme_nosuchphone"}},
      {"mapped option value absent live",
       [](json::value& m) {
         at(m, {"option_sets", "queue_status.blocked", "value"}) = 100000009;
       },
       {"queue_status.blocked", "100000009"}},
      {"entity set mismatch",
       [](json::value& m) {
         at(m, {"entities", "queue_item", "entity_set_name"}) = "acme_wrongqueues";
       },
       {"queue_item", "acme_wrongqueues"}},
      {"primary id mismatch",
       [](json::value& m) {
         at(m, {"entities", "task", "primary_id"}) = "acme_wrongtaskid";
       },
       {"task", "acme_wrongtaskid"}},
      {"phone-call key field unmapped",
       [](json::value& m) { erase_member(at(m, {"fields"}), "phone_call.idempotency_key"); },
       {"phone_call.idempotency_key"},
       "idempotency-key field(s) not mapped: "},
      {"task key field unmapped",
       [](json::value& m) { erase_member(at(m, {"fields"}), "task.idempotency_key"); },
       {"task.idempotency_key"},
       "idempotency-key field(s) not mapped: "},
      {"key bound to the wrong entity",
       [](json::value& m) {
         at(m, {"fields", "task.idempotency_key", "entity"}) = "phone_call_activity";
       },
       {"task.idempotency_key \xE2\x86\x92 entity 'phone_call_activity' (expected 'task')"},
       "idempotency-key field(s) bound to the wrong entity: "},
      {"queue_status.in_progress missing",
       [](json::value& m) { erase_member(at(m, {"option_sets"}), "queue_status.in_progress"); },
       {"queue_status.in_progress"},
       "mapping lacks required entries: "},
      {"queue.attempt_count not approved",
       [](json::value& m) {
         at(m, {"fields", "queue.attempt_count", "approved_update_field"}) = false;
       },
       {"queue.attempt_count"},
       "mapping lacks required entries: "},
      {"preserve column absent live",
       [](json::value& m) {
         at(m, {"preserve_if_present"}) = json::array{"acme_notes", "acme_nosuchnotes"};
       },
       {"acme_nosuchnotes"}},
      {"override column absent live",
       [](json::value& m) { at(m, {"task_owner_override_field"}) = "acme_nosuchoverride"; },
       {"acme_nosuchoverride"}},
      {"string field on a live lookup column",
       [](json::value& m) {
         auto& field = at(m, {"fields", "queue.facility_account"});
         field.set("type", "string");
         erase_member(field, "lookup_target");
       },
       {"queue.facility_account", "acme_accountid"}},
      {"option-set key on a column that is not an option set",
       [](json::value& m) {
         at(m, {"fields", "queue.status", "logical_name"}) = "acme_maxattempts";
       },
       {"acme_maxattempts", "is not an option set"}},
  };
  for (const auto& defect : defects) {
    INFO("defect: " << defect.name);
    cli_env env;
    use_mapping_variant(env, defect.edit);
    const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
    INFO(r.out << r.err);
    check_metadata_block(env, r);
    const auto message = r.line("message").value_or("");
    CHECK_THAT(message, StartsWith(defect.message_prefix));
    for (const auto& part : defect.message_contains) CHECK_THAT(message, Contains(part));
  }
}

TEST_CASE("an unmapped idempotency key also blocks a dry-run", "[e2e][ready]") {
  for (const char* key : {"phone_call.idempotency_key", "task.idempotency_key"}) {
    INFO(key);
    cli_env env;
    use_mapping_variant(env, [&](json::value& m) { erase_member(at(m, {"fields"}), key); });
    const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm");
    INFO(r.out << r.err);
    check_metadata_block(env, r);
    CHECK(r.line("message") == "idempotency-key field(s) not mapped: " + std::string(key));
  }
}

TEST_CASE("an unapproved mapping blocks with the review message", "[e2e][ready]") {
  cli_env env;
  const auto path = use_mapping_variant(env, [](json::value& m) {
    at(m, {"_meta", "approved"}) = false;
  });
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  check_metadata_block(env, r);
  CHECK(r.line("message") == "mapping artifact '" + path + not_approved_suffix);
}

TEST_CASE("a redaction pattern that does not compile blocks readiness", "[e2e][ready]") {
  cli_env env;
  use_slice2_variant(env, "retention = \"full\"",
                     "retention = \"full\"\npatterns = [\"(unclosed\"]");
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  check_metadata_block(env, r);
  CHECK_THAT(r.line("message").value_or(""),
             StartsWith("redaction policy invalid: Invalid redaction regex '(unclosed': "));
}

TEST_CASE("a callback owner that is not a GUID, unknown or a disabled user blocks readiness",
          "[e2e][ready]") {
  const std::string disabled_user = "3f0c0000-0000-4000-8000-0000000000b3";
  const temp_seed extra(extra_rows("systemuser", json::object{{"systemuserid", disabled_user},
                                                              {"fullname", "Former Employee"},
                                                              {"isdisabled", true}}));
  const std::vector<std::string> owners{"owner-b1", "3f0c0000-0000-4000-8000-0000000000ff",
                                        disabled_user};
  for (const auto& owner : owners) {
    INFO("callback owner " << owner);
    cli_env env(seeds({shipped("emulator-seed.json"), extra.path()}));
    env.env["OPENCLOSER_TASK_OWNERS_CALLBACK"] = owner;
    const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
    INFO(r.out << r.err);
    check_metadata_block(env, r);
    const auto message = r.line("message").value_or("");
    CHECK_THAT(message, StartsWith(metadata_failed));
    CHECK_THAT(message, Contains(owner));
  }
}

TEST_CASE("an access team as review owner blocks readiness", "[e2e][ready]") {
  const std::string access_team = "3f0c0000-0000-4000-8000-0000000000b4";
  const temp_seed extra(extra_rows(
      "team", json::object{{"teamid", access_team}, {"name", "Sharing Team"}, {"teamtype", 1}}));
  cli_env env(seeds({shipped("emulator-seed.json"), extra.path()}));
  env.env["OPENCLOSER_TASK_OWNERS_REVIEW"] = access_team;
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  check_metadata_block(env, r);
  CHECK_THAT(r.line("message").value_or(""), StartsWith(metadata_failed));
  CHECK_THAT(r.line("message").value_or(""), Contains(access_team));
}

TEST_CASE("a queue table not enabled for activities blocks while link_regarding is true",
          "[e2e][ready]") {
  auto seed = shipped_seed();
  at(seed, {"tables", "acme_callqueue", "activity_enabled"}) = false;
  const temp_seed file(seed);
  cli_env env(seeds({file.path()}));
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  check_metadata_block(env, r);
  const auto message = r.line("message").value_or("");
  CHECK_THAT(message, StartsWith(metadata_failed));
  CHECK_THAT(message, Contains("acme_callqueue"));
  CHECK_THAT(message, Contains("phone_call.regarding"));
}

TEST_CASE("persona version mismatch fails with exit 2 and zero requests", "[e2e][ready]") {
  cli_env env;
  env.env["OPENCLOSER_PERSONA_VERSION"] = "alf-appointment-setter@0.2.0";
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.line("exit_status") == "failed");
  CHECK(r.line("message") ==
        "persona version mismatch: slice1.toml requires 'alf-appointment-setter@0.2.0' but the "
        "running persona is 'alf-appointment-setter@0.1.0'");
  CHECK(env.requests().empty());
  check_no_session(env, r);
}

// ---------------------------------------------------------------------------------------------
// §7 Readiness and metadata: what verifies

TEST_CASE("option sets verify through $expand with one cast request per column", "[e2e][ready]") {
  cli_env env;
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // The emulator serves options only under $expand, so a verified run proves the expansion.
  const auto casts = requests_to(env, "Attributes(LogicalName='acme_status')/");
  REQUIRE(casts.size() == 1);
  CHECK_THAT(string_at(casts[0], "path"),
             Contains("/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"));
  CHECK_THAT(string_at(casts[0], "query"),
             Contains("$expand=OptionSet($select=Options),GlobalOptionSet($select=Options)"));
  CHECK(casts[0].find("status")->as_int() == 200);
  CHECK(writes(env) > 0);  // the write counter used by the blocked cases does see writes
}

TEST_CASE("options served as a global option set verify", "[e2e][ready]") {
  auto seed = shipped_seed();
  at(seed, {"tables", "acme_callqueue", "attributes", "acme_status"}).set("global", true);
  const temp_seed file(seed);
  cli_env env(seeds({file.path()}));
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  CHECK(env.rows("phonecall").size() == 1);
}

TEST_CASE("the option-set cast follows the live AttributeType", "[e2e][ready]") {
  auto seed = shipped_seed();
  at(seed, {"tables", "acme_callqueue", "attributes", "acme_status", "type"}) = "Status";
  const temp_seed file(seed);
  cli_env env(seeds({file.path()}));
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  const auto casts = requests_to(env, "Attributes(LogicalName='acme_status')/");
  REQUIRE(casts.size() == 1);
  CHECK_THAT(string_at(casts[0], "path"),
             Contains("/Microsoft.Dynamics.CRM.StatusAttributeMetadata"));
}

TEST_CASE("an owner team as review owner verifies and owns the review Task", "[e2e][ready]") {
  cli_env env;
  const auto r = env.run_crm(ready_row, "standard", "uncertain_intent", {"--write"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.line("final_disposition") == "needs_human_review");
  const auto team_checks = requests_at(env, "teams");
  REQUIRE_FALSE(team_checks.empty());
  CHECK_THAT(string_at(team_checks[0], "query"), Contains("teamtype ne 1"));
  const auto tasks = env.rows("task");
  REQUIRE(tasks.size() == 1);
  CHECK(string_at(tasks[0], "_ownerid_value") == review_owner);
}

TEST_CASE("null entity_set_name and primary_id resolve to the live names", "[e2e][ready]") {
  cli_env env;
  use_mapping_variant(env, [](json::value& m) {
    for (auto& [key, entity] : at(m, {"entities"}).as_object()) {
      entity.set("entity_set_name", nullptr);
      entity.set("primary_id", nullptr);
    }
  });
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  CHECK(env.rows("phonecall").size() == 1);
  CHECK(env.rows("task").size() == 1);
  const auto queue = env.row("acme_callqueue", ready_row);
  CHECK(string_at(queue, "acme_lastsession") == r.line("session_id").value_or("?"));
  CHECK(requests_to(env, "acme_callqueues(" + ready_row + ")").size() >= 2);
}

TEST_CASE("a lookup preserve column is selected and compared as its _value property",
          "[e2e][ready]") {
  const auto preserve_account = [](json::value& m) {
    at(m, {"preserve_if_present"}) = json::array{"acme_notes", "acme_accountid"};
  };
  SECTION("unchanged: the run completes and the pre-write read selects _acme_accountid_value") {
    cli_env env;
    use_mapping_variant(env, preserve_account);
    const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    // The pre-write read is the queue GET that does not select the eligibility inputs.
    std::size_t pre_write_reads = 0;
    for (const auto& read : requests_at(env, "acme_callqueues")) {
      const auto query = string_at(read, "query");
      if (string_at(read, "method") != "GET" || query.find("acme_phone") != std::string::npos)
        continue;
      CHECK_THAT(query, Contains("_acme_accountid_value"));
      CHECK_FALSE(query.find(",acme_accountid,") != std::string::npos);
      ++pre_write_reads;
    }
    CHECK(pre_write_reads == 1);
  }
  SECTION("changed after the claim: conflict naming the column") {
    cli_env env;
    use_mapping_variant(env, preserve_account);
    // The second top-level GET of the queue set is the pre-write read (load, claim PATCH, read).
    env.emu.add_fault(json::array{json::object{
        {"id", "account-moved"},
        {"match", json::object{{"method", "GET"}, {"path", "^acme_callqueues$"}}},
        {"skip", 1},
        {"times", 1},
        {"action", "human_edit"},
        {"when", "before"},
        {"target", json::object{{"table", "acme_callqueue"}, {"id", ready_row}}},
        {"changes",
         json::object{{"_acme_accountid_value", "5a1e0c6d-1111-4a2b-9c3d-0000000000ff"}}}}});
    const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.line("block_reason") == "conflict_detected");
    CHECK_THAT(r.line("message").value_or(""), Contains("acme_accountid"));
    CHECK(env.rows("phonecall").empty());
  }
}

TEST_CASE("link_regarding false on a table without activities passes without regarding binds",
          "[e2e][ready]") {
  auto seed = shipped_seed();
  at(seed, {"tables", "acme_callqueue", "activity_enabled"}) = false;
  const temp_seed file(seed);
  cli_env env(seeds({file.path()}));
  env.env["OPENCLOSER_WRITEBACK_LINK_REGARDING"] = "false";
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto calls = env.rows("phonecall");
  REQUIRE(calls.size() == 1);
  const auto* regarding = calls[0].find("_regardingobjectid_value");
  CHECK((regarding == nullptr || regarding->is_null()));
  for (const auto& post : env.requests()) {
    if (string_at(post, "method") != "POST") continue;
    const auto* body = post.find("body");
    if (!body || !body->is_object()) continue;
    for (const auto& [k, v] : body->as_object()) {
      INFO(string_at(post, "path") << " " << k);
      CHECK(k.find("regardingobjectid") == std::string::npos);
    }
  }
}

TEST_CASE("a mapping env url mismatch is a warning only and never in last_error", "[e2e][ready]") {
  SECTION("against DATAVERSE_ENV_URL: warning, target from the environment") {
    cli_env env;
    const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("  mapping_env_url_mismatch: "));
    const auto sid = r.line("session_id").value_or("");
    const auto report = env.artifact(sid, "run-report.json");
    CHECK_THAT(warning_codes(report), Contains("mapping_env_url_mismatch;"));
    CHECK(r.out.find("acme.crm.dynamics.com") == std::string::npos);
    CHECK(r.out.find(env.emu.origin()) == std::string::npos);
    CHECK(env.rows("phonecall").size() == 1);  // sent to the environment's organisation
    const auto queue = env.row("acme_callqueue", ready_row);
    const auto* last_error = queue.find("acme_lasterror");
    CHECK((last_error == nullptr || last_error->is_null()));
  }
  SECTION("under --emulator the url is not compared") {
    cli_env env;
    const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm",
                               {"--write", "--emulator", shipped("emulator-seed.json")});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("mapping_env_url_mismatch") == std::string::npos);
    const auto report = env.artifact(r.line("session_id").value_or(""), "run-report.json");
    CHECK(warning_codes(report).find("mapping_env_url_mismatch") == std::string::npos);
  }
}
