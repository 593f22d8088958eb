// run-crm end to end, the main paths (conformance.md §1, §4, §6, §9 happy path, §16 CLI).
#include <catch2/catch.hpp>

#include "tests/e2e/cli_harness.hpp"

using namespace opencloser;
using namespace opencloser::e2e;

TEST_CASE(
    "write run of a callback: one Phone Call closed, status patched, one Task, ledger completed",
    "[e2e][run_crm]") {
  cli_env env;
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  CHECK(r.line("final_disposition") == "interested_callback_requested");
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(sid.rfind("ses_", 0) == 0);

  CHECK(env.write_count() == 5);  // claim, Phone Call POST and close, queue PATCH, Task POST
  const auto calls = env.rows("phonecall");
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].find("statecode")->as_int() == 1);
  CHECK(calls[0].find("acme_idemkey")->as_string() == sid);
  const auto tasks = env.rows("task");
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].find("acme_idemkey")->as_string() == sid);
  const auto queue = env.row("acme_callqueue", ready_row);
  CHECK(queue.find("acme_lastsession")->as_string() == sid);
  CHECK(queue.find("acme_attempts")->as_int() == 2);

  const auto ledger = env.query(
      "SELECT run_status, claim_done, phone_call_activity_done, queue_status_update_done, "
      "task_done FROM writeback_progress WHERE session_id = '" +
      sid + "'");
  REQUIRE(ledger.size() == 1);
  CHECK(ledger[0] == std::vector<std::string>{"completed", "1", "1", "1", "1"});
  CHECK(env.has_artifact(sid, "writeback.json"));
  CHECK(env.has_artifact(sid, "task.json"));
  CHECK_FALSE(env.has_artifact(sid, "dry-run-marker.json"));
  const auto report = env.artifact(sid, "run-report.json");
  CHECK(report.find("run_mode")->as_string() == "write_enabled");
  CHECK(report.find("crm_correlations")->as_array().size() == 4);
}

TEST_CASE("dry-run sends no write and writes the plan, the marker and http-plan.json",
          "[e2e][run_crm][dry_run]") {
  cli_env env;
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto sid = r.line("session_id").value_or("");
  CHECK(env.write_count() == 0);
  CHECK(env.rows("phonecall").empty());
  CHECK(env.has_artifact(sid, "dry-run-marker.json"));
  const auto plan = env.artifact(sid, "http-plan.json");
  std::vector<std::string> steps;
  for (const auto& req : plan.find("requests")->as_array())
    steps.push_back(req.find("step")->as_string());
  CHECK(steps == std::vector<std::string>{"claim", "pre_write_read", "phone_call_prequery",
                                          "phone_call_create", "phone_call_close",
                                          "queue_status_update", "task_prequery", "task_create"});
  CHECK(env.query("SELECT count(*) FROM writeback_progress")[0][0] == "0");
  CHECK(env.artifact(sid, "task.json").find("assigned_to")->as_string() == callback_owner);
}

TEST_CASE("DNC row is blocked by eligibility with exit 1", "[e2e][run_crm][cli]") {
  cli_env env;
  const auto r = env.run_crm(dnc_row, "standard", "", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.line("exit_status") == "blocked");
  CHECK(r.line("block_reason") == "eligibility");
  CHECK(env.rows("phonecall").empty());
}
