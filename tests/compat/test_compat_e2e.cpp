// The predecessor compatibility suite, end to end (conformance.md §17): every case of
// ../shared/predecessor/expected.json through the real executable,
// `opencloser run-crm --write --emulator …`, on the predecessor's own seed, mapping, configs and
// fixtures, read in place. The queue item of a case enters the emulator as a
// `queue_item_imports` entry (fixtures.md §5.3) of a small per-case seed written to a temporary
// directory; the task owners come from environment overrides (cli.md §2), because the
// predecessor's slice2.toml ships placeholders. The result is read back from the emulator's
// state dump (the queue row, Phone Call and Task rows) and the session's artifact files, and
// compared field by field with the predecessor's.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/common/ids.hpp"
#include "adapters/json/json.hpp"
#include "adapters/mapping/mapping_artifact.hpp"
#include "tests/compat/compat_case.hpp"

using namespace opencloser;
namespace fs = std::filesystem;

namespace {

fs::path predecessor_dir() {
  if (const char* env = std::getenv("OPENCLOSER_PREDECESSOR_DIR")) return env;
  return OPENCLOSER_PREDECESSOR_DIR;
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

json::value read_json(const fs::path& file) {
  return json::parse(slurp(file));
}

/// A fresh temporary directory for one case, removed when the case is done (also when a
/// REQUIRE ends the test early).
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    for (int i = 0; i < 100 && path.empty(); ++i) {
      auto candidate = fs::temp_directory_path() / ("oc-compat-e2e-" + std::to_string(rd()));
      if (fs::create_directory(candidate)) path = candidate;
    }
    if (path.empty()) throw std::runtime_error("cannot create a temporary directory");
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

/// The task owners the predecessor's slice2.toml leaves as placeholders
/// (`REPLACE_WITH_DATAVERSE_OWNER_OR_TEAM_ID`), supplied by environment overrides and seeded as
/// an active systemuser (callback) and an owner team (review) so that readiness verifies them
/// (dataverse.md §3.2 owners, §7.4 owner check).
const std::string callback_owner = "ca11bac0-0000-4000-8000-0000000000c1";
const std::string review_owner = "4e71e700-0000-4000-8000-0000000000c2";

/// Files this product writes beyond the predecessor's (spec README "Deliberately beyond the
/// predecessor" 6–8): the plan before any emit, the HTTP plan, the run report. A case passes
/// when the predecessor's files are all present and nothing else appears but these.
const std::set<std::string> files_beyond_predecessor = {"planned-writeback.json", "http-plan.json",
                                                        "run-report.json"};

struct process_result {
  int exit_code = -1;
  std::string out;
  std::string err;

  /// The value of a labelled stdout line (`label:` padded to column 24), or nullopt.
  std::optional<std::string> line(const std::string& label) const {
    const std::string prefix = label + ":";
    std::size_t pos = 0;
    while (pos < out.size()) {
      auto end = out.find('\n', pos);
      if (end == std::string::npos) end = out.size();
      const auto text = out.substr(pos, end - pos);
      if (text.rfind(prefix, 0) == 0) {
        auto value = text.substr(prefix.size());
        value.erase(0, value.find_first_not_of(' '));
        return value;
      }
      pos = end + 1;
    }
    return std::nullopt;
  }
};

/// Runs the opencloser executable in `work_dir` with `args` and an environment made of this
/// process's, minus every DATAVERSE_* / OPENCLOSER_* variable (so the caller's shell cannot
/// steer a case), plus `extra_env`.
process_result run_opencloser(const fs::path& work_dir, const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& extra_env) {
  std::vector<std::string> argv_text{OPENCLOSER_BINARY};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    if (name.rfind("DATAVERSE_", 0) == 0 || name.rfind("OPENCLOSER_", 0) == 0) continue;
    env_text.push_back(entry);
  }
  for (const auto& [k, v] : extra_env) env_text.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);

  const auto out_file = work_dir / "stdout.txt";
  const auto err_file = work_dir / "stderr.txt";
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0) ::_exit(126);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (::chdir(work_dir.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  process_result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_file);
  r.err = slurp(err_file);
  return r;
}

/// The predecessor's column names and option values, taken from its mapping artifact so the
/// dump is read exactly as the product addresses it.
struct predecessor_columns {
  std::string queue_table, queue_pk, status, attempts, dnc, last_disposition;
  std::string phonecall_table, phonecall_key, task_table, task_key;
  std::vector<mapping_option> options;

  explicit predecessor_columns(const mapping_artifact& m)
      : queue_table(m.entity("queue_item")->logical_name),
        queue_pk(m.entity("queue_item")->primary_id.value_or("")),
        status(m.field("queue.status")->logical_name),
        attempts(m.field("queue.attempt_count")->logical_name),
        dnc(m.field("queue.dnc")->logical_name),
        last_disposition(m.field("queue.last_disposition")->logical_name),
        phonecall_table(m.entity("phone_call_activity")->logical_name),
        phonecall_key(m.field("phone_call.idempotency_key")->logical_name),
        task_table(m.entity("task")->logical_name),
        task_key(m.field("task.idempotency_key")->logical_name),
        options(m.option_sets) {}

  /// Reverse option lookup (dataverse.md §2): the first `queue_status.<s>` with that value.
  std::string status_name(std::int64_t value) const {
    for (const auto& o : options)
      if (o.field == "queue.status" && o.value == value)
        return o.key.substr(std::string("queue_status.").size());
    return "<unmapped option " + std::to_string(value) + ">";
  }
};

/// The per-case seed: the case's queue item imported through the predecessor's mapping
/// (fixtures.md §5.3), plus the two task owners. The predecessor's own seed row's campaign is
/// reused, so the imported row sits in the same campaign as the row it ships.
json::value case_seed(const fs::path& pred, const std::string& queue_item) {
  json::object import{{"file", (pred / "queue_items" / (queue_item + ".json")).string()},
                      {"mapping", (pred / "dataverse" / "dataverse_mapping.json").string()},
                      {"campaign", "alf-q2-davis"},
                      {"next_attempt_at", nullptr}};
  json::object systemuser{
      {"systemuserid", callback_owner}, {"fullname", "Callback Owner"}, {"isdisabled", false}};
  json::object team{{"teamid", review_owner}, {"name", "Review Team"}, {"teamtype", 0}};
  json::object rows{{"systemuser", json::array{systemuser}}, {"team", json::array{team}}};
  return json::object{{"schema_version", "opencloser-emulator-seed-v1"},
                      {"rows", std::move(rows)},
                      {"queue_item_imports", json::array{json::value(std::move(import))}}};
}

/// The rows of one table in the emulator's state dump.
const json::array& dump_rows(const json::value& dump, const std::string& table) {
  static const json::array none;
  const auto* tables = dump.find("tables");
  const auto* rows = tables ? tables->find(table) : nullptr;
  return rows && rows->is_array() ? rows->as_array() : none;
}

std::vector<json::value> rows_where(const json::value& dump, const std::string& table,
                                    const std::string& column, const std::string& value) {
  std::vector<json::value> hits;
  for (const auto& r : dump_rows(dump, table)) {
    const auto* v = r.find(column);
    if (v && v->is_string() && v->as_string() == value) hits.push_back(r);
  }
  return hits;
}

json::value member_or_null(const json::value* object, std::string_view key) {
  const auto* v = object ? object->find(key) : nullptr;
  return v ? *v : json::value{};
}

/// Everything one case's run left behind.
struct case_run {
  process_result process;
  std::string session_id;
  fs::path session_dir;
  json::value dump;
  std::optional<json::value> session_result, writeback, task;
  std::vector<std::string> files;  ///< file names in the session directory, sorted
};

case_run run_case_e2e(const fs::path& pred, const fs::path& work, const compat::case_key& key,
                      const std::string& queue_row_id) {
  const auto seed_file = work / "case-seed.json";
  {
    std::ofstream out(seed_file, std::ios::binary);
    out << json::write_artifact(case_seed(pred, key.queue_item));
  }
  const auto dump_file = work / "emulator-dump.json";
  std::vector<std::string> args{
      "run-crm",
      "--write",
      "--emulator",
      (fs::path(OPENCLOSER_TEST_FIXTURES) / "emulator" / "medx_tables.json").string(),
      "--emulator",
      (pred / "dataverse" / "seed.json").string(),
      "--emulator",
      seed_file.string(),
      "--emulator-dump",
      dump_file.string(),
      "--config",
      (pred / "config" / "slice1.toml").string(),
      "--slice2-config",
      (pred / "config" / "slice2.toml").string(),
      "--mapping",
      (pred / "dataverse" / "dataverse_mapping.json").string(),
      "--queue-item-id",
      queue_row_id,
      "--transport-fixture",
      (pred / "transport_events" / (key.transport + ".json")).string(),
      "--artifacts-dir",
      (work / "artifacts").string(),
      "--state-db",
      (work / "state.db").string()};
  if (key.conversation != "-") {
    args.emplace_back("--conversation-fixture");
    args.push_back((pred / "conversations" / (key.conversation + ".json")).string());
  }
  // The owners are the one thing the predecessor's files cannot supply (conformance.md §17:
  // "task owners supplied by environment overrides").
  const std::map<std::string, std::string> env{{"OPENCLOSER_CLOCK_NOW", key.clock},
                                               {"OPENCLOSER_TASK_OWNERS_CALLBACK", callback_owner},
                                               {"OPENCLOSER_TASK_OWNERS_REVIEW", review_owner}};
  case_run run;
  run.process = run_opencloser(work, args, env);
  run.session_id = run.process.line("session_id").value_or("");
  if (fs::exists(dump_file)) run.dump = read_json(dump_file);
  if (run.session_id.empty()) return run;
  run.session_dir = work / "artifacts" / run.session_id;
  const auto optional_json = [&](const char* name) -> std::optional<json::value> {
    const auto file = run.session_dir / name;
    if (!fs::exists(file)) return std::nullopt;
    return read_json(file);
  };
  run.session_result = optional_json("session-result.json");
  run.writeback = optional_json("writeback.json");
  run.task = optional_json("task.json");
  if (fs::is_directory(run.session_dir))
    for (const auto& entry : fs::directory_iterator(run.session_dir))
      run.files.push_back(entry.path().filename().string());
  std::sort(run.files.begin(), run.files.end());
  return run;
}

/// The predecessor-shaped result of one run, with every key expected.json uses: the queue row
/// afterwards, the Phone Call and the Task from the emulator (the CRM the predecessor wrote
/// to), the normalized result and the plan from the session's artifacts.
json::value observed_result(const case_run& run, const predecessor_columns& cols,
                            const std::string& queue_row_id) {
  json::value v;
  json::array names(run.files.begin(), run.files.end());
  v.set("artifact_files", std::move(names));

  const auto queue_rows = rows_where(run.dump, cols.queue_table, cols.queue_pk, queue_row_id);
  const json::value* queue_row = queue_rows.size() == 1 ? &queue_rows.front() : nullptr;
  v.set("attempts_after", member_or_null(queue_row, cols.attempts));
  v.set("dnc_after", member_or_null(queue_row, cols.dnc));
  const auto status = member_or_null(queue_row, cols.status);
  v.set("queue_status_after",
        status.is_int() ? json::value(cols.status_name(status.as_int())) : json::value{});

  const json::value* result = run.session_result ? &*run.session_result : nullptr;
  for (const char* field : {"blocked_reason", "callback_requested", "captured_email",
                            "captured_email_unverified", "final_disposition", "human_review_reason",
                            "preferred_callback_window", "summary", "transcript_pointer"})
    v.set(field, member_or_null(result, field));

  const json::value* queue_update =
      run.writeback ? run.writeback->find("queue_status_update") : nullptr;
  v.set("new_status", member_or_null(queue_update, "new_status"));
  v.set("transition_reason", member_or_null(queue_update, "transition_reason"));

  // The records in the CRM, found by this session's idempotency key.
  const auto calls = rows_where(run.dump, cols.phonecall_table, cols.phonecall_key, run.session_id);
  v.set("phone_call_activity", !calls.empty());
  const auto tasks = rows_where(run.dump, cols.task_table, cols.task_key, run.session_id);
  v.set("task_subject", tasks.empty() ? json::value{} : member_or_null(&tasks.front(), "subject"));
  v.set("task_kind", member_or_null(run.task ? &*run.task : nullptr, "task_kind"));
  return v;
}

bool artifact_files_match(const json::value& want, const json::value& got) {
  std::set<std::string> want_files, got_files;
  for (const auto& f : want.as_array()) want_files.insert(f.as_string());
  for (const auto& f : got.as_array()) got_files.insert(f.as_string());
  bool ok = true;
  for (const auto& f : want_files) ok = ok && got_files.count(f) == 1;
  for (const auto& f : got_files)
    if (!want_files.count(f)) ok = ok && files_beyond_predecessor.count(f) == 1;
  return ok;
}

/// What the run must show beyond the predecessor's fields: exit code and labelled lines
/// (dataverse.md §12, cli.md §4), and that the CRM records agree with the artifacts.
bool run_is_consistent(const case_run& run, const json::value& want,
                       const predecessor_columns& cols, const std::string& queue_row_id) {
  bool ok = true;
  const auto check = [&ok](bool condition) {
    CHECK(condition);
    ok = ok && condition;
  };
  const bool blocked = want.find("final_disposition")->as_string() == "blocked";
  check(run.process.exit_code == (blocked ? 1 : 0));
  check(run.process.line("exit_status") == (blocked ? "blocked" : "completed"));
  if (blocked) check(run.process.line("block_reason") == "eligibility");
  check(run.process.line("queue_item_id") == queue_row_id);
  check(run.process.line("final_disposition") == want.find("final_disposition")->as_string());
  check(run.session_id.rfind("ses_", 0) == 0);
  check(run.process.line("artifact_dir") == run.session_dir.string());

  // Idempotency keys are unique per session: at most one record of each kind.
  const auto calls = rows_where(run.dump, cols.phonecall_table, cols.phonecall_key, run.session_id);
  const auto tasks = rows_where(run.dump, cols.task_table, cols.task_key, run.session_id);
  check(calls.size() <= 1);
  check(tasks.size() <= 1);
  // The Phone Call regards the queue row and is closed as Made (dataverse.md §7.2).
  for (const auto& call : calls) {
    check(member_or_null(&call, "_regardingobjectid_value") == json::value(queue_row_id));
    check(member_or_null(&call, "statecode") == json::value(1));
  }
  // A Task in the CRM exactly when task.json exists, with the same subject and the owner of
  // its kind (dataverse.md §7.4).
  check(tasks.size() == (run.task ? 1u : 0u));
  if (run.task && tasks.size() == 1) {
    check(member_or_null(&tasks.front(), "subject") == member_or_null(&*run.task, "subject"));
    const auto kind = member_or_null(&*run.task, "task_kind");
    const auto& owner = kind == json::value("review") ? review_owner : callback_owner;
    check(member_or_null(&tasks.front(), "_ownerid_value") == json::value(owner));
    check(member_or_null(&*run.task, "assigned_to") == json::value(owner));
  }
  // The queue row carries the transition reason as its last disposition — except a blocked
  // row loaded as in_progress, which is never patched (dataverse.md §7.3).
  const auto queue_rows = rows_where(run.dump, cols.queue_table, cols.queue_pk, queue_row_id);
  check(queue_rows.size() == 1);
  if (queue_rows.size() == 1 && want.find("queue_status_after")->as_string() != "in_progress")
    check(member_or_null(&queue_rows.front(), cols.last_disposition) ==
          *want.find("transition_reason"));
  return ok;
}

}  // namespace

TEST_CASE(
    "predecessor expected.json end to end: run-crm --write --emulator gives the "
    "predecessor's result for every case",
    "[e2e]") {
  const auto pred = predecessor_dir();
  INFO("predecessor corpus at " << pred << " (set OPENCLOSER_PREDECESSOR_DIR)");
  REQUIRE(fs::is_regular_file(pred / "expected.json"));
  const auto expected = read_json(pred / "expected.json");
  const auto& cases = expected.find("cases")->as_object();
  REQUIRE(cases.size() == 26);
  const predecessor_columns cols(
      load_mapping_artifact(pred / "dataverse" / "dataverse_mapping.json"));

  std::size_t matched = 0;
  std::vector<std::string> failing;
  for (const auto& [key_text, want] : cases) {
    const auto key = compat::parse_case_key(key_text);
    // fixtures.md §5.3: a non-GUID queue_item_id becomes this UUIDv5.
    const auto queue_row_id =
        uuid_v5(opencloser_uuid_namespace, "opencloser:queue_item:" + key.queue_item);
    const temp_dir work;
    const auto run = run_case_e2e(pred, work.path, key, queue_row_id);
    INFO("case " << key_text << "\nexit " << run.process.exit_code << "\nstdout:\n"
                 << run.process.out << "stderr:\n"
                 << run.process.err);
    bool all_equal = run_is_consistent(run, want, cols, queue_row_id);
    const auto got = observed_result(run, cols, queue_row_id);
    for (const auto& [field, want_value] : want.as_object()) {
      INFO("field " << field);
      const json::value* got_value = got.find(field);
      REQUIRE(got_value != nullptr);  // every expected field is checked, none skipped
      if (field == "artifact_files") {
        INFO("written: " << json::write_compact(*got_value));
        const bool files_ok = artifact_files_match(want_value, *got_value);
        CHECK(files_ok);
        all_equal = all_equal && files_ok;
        continue;
      }
      CHECK(json::write_compact(*got_value) == json::write_compact(want_value));
      all_equal = all_equal && *got_value == want_value;
    }
    if (all_equal) {
      ++matched;
    } else {
      failing.push_back(key_text);
    }
  }
  CHECK(matched == cases.size());
  std::cout << "compat e2e: " << matched << " of " << cases.size()
            << " predecessor cases match through run-crm --write --emulator\n";
  for (const auto& k : failing) std::cout << "  differs: " << k << "\n";
}
