// run-crm end to end: the queue loader (conformance.md §8, dataverse.md §4) — explicit ids,
// the next-ready order, unknown and exhausted campaigns, unreadable rows, facility names,
// non-E.164 phones, and `$select` on every load request.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "tests/e2e/cli_harness.hpp"

using namespace opencloser;
using namespace opencloser::e2e;

namespace {

namespace fs = std::filesystem;

constexpr std::int64_t status_ready = 100000000;
constexpr std::int64_t status_completed = 100000002;
const std::string maple_court_account = "5a1e0c6d-1111-4a2b-9c3d-000000000001";

bool is_write(const json::value& entry) {
  const auto& method = entry.find("method")->as_string();
  return entry.find("path")->as_string() != "token" &&
         (method == "POST" || method == "PATCH" || method == "DELETE");
}

/// Web API writes in the log (the harness's write_count looks for "/api/data/" in the logged
/// path, which the emulator logs relative to the service root).
std::size_t writes(const cli_env& env) {
  std::size_t n = 0;
  for (const auto& entry : env.requests())
    if (is_write(entry)) ++n;
  return n;
}

/// GETs of a table's entity set (the loader's queries and the facility-name look-up).
std::vector<json::value> gets_of(const cli_env& env, const std::string& entity_set) {
  std::vector<json::value> out;
  for (const auto& entry : env.requests())
    if (entry.find("method")->as_string() == "GET" && entry.find("path")->as_string() == entity_set)
      out.push_back(entry);
  return out;
}

std::string query_of(const json::value& entry) {
  return entry.find("query")->as_string();
}

/// A ready, callable row (E.164 phone, Chicago, no attempts) with these overrides merged in.
json::value queue_row(const std::string& id, const std::string& campaign_id,
                      const std::string& extra_members = "") {
  return json::parse(R"({"acme_callqueueid": ")" + id + R"(", "_acme_campaignid_value": ")" +
                     campaign_id + R"(", "acme_phone": "+15555550177", "acme_tz": "America/Chicago",
                        "acme_attempts": 0, "acme_dnc": false, "acme_status": 100000000)" +
                     (extra_members.empty() ? "" : ", " + extra_members) + "}");
}

cli_result run_next_ready(const cli_env& env, const std::string& campaign_id,
                          const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"run-crm",
                                "--next-ready",
                                "--campaign",
                                campaign_id,
                                "--transport-fixture",
                                fixture("transport_events/standard.json").string(),
                                "--conversation-fixture",
                                fixture("conversations/callback_weekday_pm.json").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return env.run(args);
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The shipped seed with one more `acme_status` option (100000009) that the approved mapping
/// does not name, written to a fresh temporary file the destructor removes.
struct seed_with_unmapped_status {
  fs::path file;
  seed_with_unmapped_status() {
    auto text = slurp(shipped("emulator-seed.json"));
    // The first occurrence is the picklist's option list (the schema precedes the rows).
    const auto at = text.find("100000004");
    REQUIRE(at != std::string::npos);
    REQUIRE(at < text.find("\"rows\""));
    text.insert(at + 9, ", 100000009");
    std::random_device rd;
    file = fs::temp_directory_path() / ("oc-e2e-loader-seed-" + std::to_string(rd()) + ".json");
    std::ofstream(file, std::ios::binary) << text;
  }
  ~seed_with_unmapped_status() {
    std::error_code ec;
    fs::remove(file, ec);
  }
};

}  // namespace

// ---- explicit ids ---------------------------------------------------------------------------

TEST_CASE("unknown explicit GUID is no-callable-item with exit 0 and zero writes",
          "[e2e][loader]") {
  cli_env env;
  const std::string unknown = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0aff";
  const auto r = env.run_crm(unknown, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "no-callable-item");
  CHECK(r.line("message") == "no callable queue item");
  CHECK_FALSE(r.line("session_id"));
  CHECK(writes(env) == 0);
  const auto loads = gets_of(env, queue_set);
  REQUIRE(loads.size() == 1);
  CHECK(query_of(loads[0]) == "$filter=acme_callqueueid eq " + unknown +
                                  "&$select=_acme_accountid_value,_acme_campaignid_value,"
                                  "acme_attempts,acme_callqueueid,acme_dnc,acme_lastdisposition,"
                                  "acme_lastsession,acme_nextattemptat,acme_notes,"
                                  "acme_owneroverride,acme_phone,acme_status,acme_tz&$top=1");
}

TEST_CASE("a non-GUID queue item id is exit 2 before any request", "[e2e][loader]") {
  cli_env env;
  const auto r = env.run_crm("not-a-guid", "standard", "", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("error:       --queue-item-id 'not-a-guid' is not a valid Dataverse GUID "
                   "(expected 8-4-4-4-12 hex digits)") != std::string::npos);
  CHECK(env.requests().empty());
}

TEST_CASE("a GUID with a trailing newline is exit 2 before any request", "[e2e][loader]") {
  cli_env env;
  const auto r = env.run_crm(ready_row + "\n", "standard", "", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("is not a valid Dataverse GUID") != std::string::npos);
  CHECK(env.requests().empty());
  CHECK(env.rows("phonecall").empty());
}

// ---- next ready ---------------------------------------------------------------------------

TEST_CASE("next-ready order: null next attempt first then older createdon then lower id",
          "[e2e][loader]") {
  cli_env env;
  const std::string order_campaign = "c0000000-0000-4000-8000-0000000000c2";
  // Ids differ only in their last group, so text order and SQL Server order agree.
  const std::string id_late = "1e5a0000-0000-4000-8000-000000000000";  // has a next attempt
  const std::string id_low = "1e5a0000-0000-4000-8000-000000000001";
  const std::string id_high = "1e5a0000-0000-4000-8000-000000000002";
  const std::string id_oldest_null = "1e5a0000-0000-4000-8000-000000000003";
  // A due next attempt, the oldest createdon and the lowest id: still after every null.
  env.emu.insert_row("acme_callqueue", queue_row(id_late, order_campaign,
                                                 R"("acme_nextattemptat": "2026-01-01T00:00:00Z",
                                  "createdon": "2026-01-01T00:00:00Z")"));
  env.emu.insert_row("acme_callqueue",
                     queue_row(id_high, order_campaign, R"("createdon": "2026-02-02T00:00:00Z")"));
  env.emu.insert_row("acme_callqueue",
                     queue_row(id_low, order_campaign, R"("createdon": "2026-02-02T00:00:00Z")"));
  env.emu.insert_row("acme_callqueue", queue_row(id_oldest_null, order_campaign,
                                                 R"("createdon": "2026-02-01T00:00:00Z")"));

  // Dry runs select without changing anything; retiring the selected row exposes the next.
  std::vector<std::string> selected;
  for (int i = 0; i < 4; ++i) {
    const auto r = run_next_ready(env, order_campaign);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto id = r.line("queue_item_id").value_or("");
    selected.push_back(id);
    if (id.empty()) break;
    env.emu.edit_row("acme_callqueue", id,
                     json::parse(R"({"acme_status": )" + std::to_string(status_completed) + "}"));
  }
  CHECK(selected == std::vector<std::string>{id_oldest_null, id_low, id_high, id_late});

  const auto loads = gets_of(env, queue_set);
  REQUIRE_FALSE(loads.empty());
  CHECK(query_of(loads[0]) ==
        "$filter=acme_status eq " + std::to_string(status_ready) +
            " and _acme_campaignid_value eq " + order_campaign +
            "&$select=_acme_accountid_value,_acme_campaignid_value,acme_attempts,acme_callqueueid,"
            "acme_dnc,acme_lastdisposition,acme_lastsession,acme_nextattemptat,acme_notes,"
            "acme_owneroverride,acme_phone,acme_status,acme_tz"
            "&$orderby=acme_nextattemptat asc,createdon asc,acme_callqueueid asc&$top=1");
  CHECK(writes(env) == 0);
}

TEST_CASE("a campaign with only completed rows is no-callable-item", "[e2e][loader]") {
  cli_env env;
  const std::string done_campaign = "c0000000-0000-4000-8000-0000000000c3";
  env.emu.insert_row("acme_callqueue",
                     queue_row("1e5a0000-0000-4000-8000-0000000000d1", done_campaign,
                               R"("acme_status": )" + std::to_string(status_completed)));
  const auto r = run_next_ready(env, done_campaign, {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.line("exit_status") == "no-callable-item");
  CHECK(writes(env) == 0);
  // The next-ready query came back empty, then the campaign probe found the row.
  const auto loads = gets_of(env, queue_set);
  REQUIRE(loads.size() == 2);
  CHECK(query_of(loads[1]) ==
        "$filter=_acme_campaignid_value eq " + done_campaign + "&$select=acme_callqueueid&$top=1");
}

TEST_CASE("an unknown campaign fails with configured_campaign_not_found", "[e2e][loader]") {
  cli_env env;
  const std::string unknown_campaign = "c0000000-0000-4000-8000-0000000000ff";
  const auto r = run_next_ready(env, unknown_campaign, {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.line("exit_status") == "failed");
  CHECK(r.line("message") == "configured_campaign_not_found: campaign '" + unknown_campaign +
                                 "' has zero queue items in Dataverse");
  CHECK(writes(env) == 0);
}

TEST_CASE("a non-GUID campaign on a lookup column fails as a loader error", "[e2e][loader]") {
  cli_env env;
  const auto r = run_next_ready(env, "spring-2026", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.line("exit_status") == "failed");
  CHECK(r.line("message") == "queue loader error: campaign 'spring-2026' is not a GUID");
  CHECK(gets_of(env, queue_set).empty());
  CHECK(writes(env) == 0);
}

// ---- reading the row ----------------------------------------------------------------------

TEST_CASE("a row with an unmapped status value fails as a queue loader error", "[e2e][loader]") {
  seed_with_unmapped_status seed;
  emulator::emulator_options options;
  options.seeds.push_back(seed.file);
  cli_env env(std::move(options));
  const std::string odd_row = "1e5a0000-0000-4000-8000-0000000000e1";
  env.emu.insert_row("acme_callqueue", queue_row(odd_row, campaign, R"("acme_status": 100000009)"));
  const auto r = env.run_crm(odd_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.line("exit_status") == "failed");
  CHECK(r.line("message").value_or("").rfind("queue loader error", 0) == 0);
  CHECK(writes(env) == 0);
  CHECK(env.rows("phonecall").empty());
}

TEST_CASE("the facility name comes from the account", "[e2e][loader]") {
  cli_env env;
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto sid = r.line("session_id").value_or("");
  const auto tasks = env.rows("task");
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].find("subject")->as_string() == "Callback for Maple Court ALF");
  CHECK(env.query("SELECT facility_name FROM queue_item_snapshots WHERE session_id = '" + sid +
                  "'") == std::vector<std::vector<std::string>>{{"Maple Court ALF"}});
  const auto accounts = gets_of(env, "accounts");
  REQUIRE(accounts.size() == 1);
  CHECK(query_of(accounts[0]) ==
        "$filter=accountid eq " + maple_court_account + "&$select=name&$top=1");
}

TEST_CASE("the facility name is the raw account id when the account is missing", "[e2e][loader]") {
  cli_env env;
  const std::string orphan_row = "1e5a0000-0000-4000-8000-0000000000e2";
  const std::string missing_account = "5a1e0c6d-1111-4a2b-9c3d-0000000000ff";
  env.emu.insert_row(
      "acme_callqueue",
      queue_row(orphan_row, campaign, R"("_acme_accountid_value": ")" + missing_account + "\""));
  const auto r = env.run_crm(orphan_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  const auto sid = r.line("session_id").value_or("");
  const auto tasks = env.rows("task");
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].find("subject")->as_string() == "Callback for " + missing_account);
  CHECK(env.query("SELECT facility_name FROM queue_item_snapshots WHERE session_id = '" + sid +
                  "'") == std::vector<std::vector<std::string>>{{missing_account}});
}

TEST_CASE("a non-E.164 phone completes with warning non_e164_phone kept in last_error",
          "[e2e][loader]") {
  cli_env env;
  const std::string local_phone_row = "1e5a0000-0000-4000-8000-0000000000e3";
  env.emu.insert_row("acme_callqueue",
                     queue_row(local_phone_row, campaign,
                               R"("acme_phone": "555-1234", "_acme_accountid_value": ")" +
                                   maple_court_account + "\""));
  const auto r = env.run_crm(local_phone_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  CHECK(r.out.find("  non_e164_phone: queue item '" + local_phone_row + "' phone is not E.164\n") !=
        std::string::npos);
  const auto sid = r.line("session_id").value_or("");
  bool reported = false;
  const auto report = env.artifact(sid, "run-report.json");
  for (const auto& w : report.find("warnings")->as_array())
    reported |= w.find("code")->as_string() == "non_e164_phone";
  CHECK(reported);
  const auto row = env.row("acme_callqueue", local_phone_row);
  const auto* last_error = row.find("acme_lasterror");
  REQUIRE(last_error);
  REQUIRE(last_error->is_string());
  CHECK(last_error->as_string().find("non_e164_phone:") != std::string::npos);
  CHECK(env.rows("phonecall").size() == 1);
}

TEST_CASE("every load request carries $select", "[e2e][loader]") {
  cli_env env;
  const std::string lone_campaign = "c0000000-0000-4000-8000-0000000000c4";
  env.emu.insert_row("acme_callqueue",
                     queue_row("1e5a0000-0000-4000-8000-0000000000f1", lone_campaign,
                               R"("_acme_accountid_value": ")" + maple_court_account + "\""));
  // Explicit id (row + account), next ready (row + account), and an exhausted campaign (the
  // empty next-ready query plus the campaign probe).
  REQUIRE(env.run_crm(ready_row, "standard", "callback_weekday_pm").exit_code == 0);
  REQUIRE(run_next_ready(env, lone_campaign).exit_code == 0);
  REQUIRE(run_next_ready(env, "c0000000-0000-4000-8000-0000000000c5").exit_code == 2);
  auto loads = gets_of(env, queue_set);
  const auto accounts = gets_of(env, "accounts");
  CHECK(loads.size() == 4);
  CHECK(accounts.size() == 2);
  loads.insert(loads.end(), accounts.begin(), accounts.end());
  for (const auto& load : loads) {
    INFO(query_of(load));
    CHECK(query_of(load).find("$select=") != std::string::npos);
  }
}
