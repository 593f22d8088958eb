// http-plan.json (dataverse.md §9): steps, conditions, headers, bodies per mode and path.

#include "actors/common/ids.hpp"
#include "adapters/dataverse/http_plan.hpp"
#include "tests/unit/dataverse_test_data.hpp"

using namespace opencloser;
using namespace opencloser::dataverse;
using namespace opencloser::testing;

namespace {

struct plan_fixture {
  resolved_mapping mapping = acme_resolved();
  writeback_plan plan = sample_plan();
  http_plan_facts facts() const {
    http_plan_facts f;
    f.mapping = &mapping;
    f.plan = &plan;
    f.session_id = session_id;
    f.queue_item_id = queue_id;
    f.load_etag = "W/\"41\"";
    f.loaded_attempts = 2;
    return f;
  }
};

std::vector<std::string> steps(const json::value& plan) {
  std::vector<std::string> out;
  for (const auto& r : plan.find("requests")->as_array())
    out.push_back(r.find("step")->as_string());
  return out;
}

const json::value& request_at(const json::value& plan, std::size_t i) {
  return plan.find("requests")->as_array().at(i);
}

std::string header_of(const json::value& request, std::string_view name) {
  const auto* v = request.find("headers")->find(name);
  return v ? v->as_string() : "<absent>";
}

}  // namespace

TEST_CASE("dry-run allowed path: claim first, §7 order, fixed conditions, redacted auth") {
  const plan_fixture fx;
  const auto f = fx.facts();
  const auto plan = http_plan_json(f, planned_requests(f), "0.1.0");

  CHECK(plan.find("base_url")->as_string() == "<env>/api/data/v9.2/");
  CHECK(plan.find("schema_version")->as_string() == "opencloser-http-plan-v1");
  CHECK(plan.find("run_mode")->as_string() == "dry_run");
  CHECK(plan.find("writeback_mode")->as_string() == "sequential");
  CHECK(plan.find("session_id")->as_string() == session_id);
  CHECK(plan.find("queue_item_id")->as_string() == queue_id);
  CHECK(steps(plan) == std::vector<std::string>{"claim", "pre_write_read", "phone_call_prequery",
                                                "phone_call_create", "phone_call_close",
                                                "queue_status_update", "task_prequery",
                                                "task_create"});
  const std::vector<std::string> conditions{
      "always",        "always",         "always", "if_prequery_empty",
      "if_not_closed", "if_not_applied", "always", "if_prequery_empty"};
  for (std::size_t i = 0; i < conditions.size(); ++i) {
    const auto& r = request_at(plan, i);
    CHECK(r.find("seq")->as_int() == static_cast<std::int64_t>(i + 1));
    CHECK(r.find("condition")->as_string() == conditions[i]);
    CHECK(header_of(r, "Authorization") == "Bearer <redacted>");
    CHECK(header_of(r, "User-Agent") == "opencloser/0.1.0");
    CHECK(r.find("body")->is_null() == (r.find("method")->as_string() == "GET"));
  }
  const auto& claim = request_at(plan, 0);
  CHECK(claim.find("url")->as_string() ==
        "acme_callqueues(" + queue_id + ")?$select=acme_callqueueid,acme_lastsession,acme_status");
  CHECK(header_of(claim, "If-Match") == "W/\"41\"");
  CHECK(claim.find("body")->find("acme_attempts")->as_int() == 3);
  // Plan URLs are not percent-encoded.
  CHECK(request_at(plan, 2).find("url")->as_string() ==
        "phonecalls?$filter=acme_idemkey eq '" + session_id +
            "'&$select=activityid,statecode&$top=1");
  CHECK(request_at(plan, 3).find("body")->find("activityid")->as_string() ==
        deterministic_record_id(session_id, "phonecall"));
  CHECK(request_at(plan, 4).find("url")->as_string() ==
        "phonecalls(" + deterministic_record_id(session_id, "phonecall") + ")");
  CHECK(header_of(request_at(plan, 5), "If-Match") == "{{etag_after_claim}}");
  CHECK(request_at(plan, 7).find("body")->find("activityid")->as_string() ==
        deterministic_record_id(session_id, "task"));

  const auto text = json::write_artifact(plan);
  CHECK(text.find("\"Authorization\": \"Bearer <redacted>\"") != std::string::npos);
  CHECK(text.back() == '\n');
}

TEST_CASE("write mode lists only the write-back, with the claim's ETag") {
  const plan_fixture fx;
  auto f = fx.facts();
  f.mode = run_mode::write_enabled;
  f.claim_etag = "W/\"42\"";
  const auto plan = http_plan_json(f, planned_requests(f), "0.1.0");
  CHECK(plan.find("run_mode")->as_string() == "write_enabled");
  CHECK(steps(plan).front() == "pre_write_read");
  CHECK(steps(plan).size() == 7);
  CHECK(header_of(request_at(plan, 4), "If-Match") == "W/\"42\"");
}

TEST_CASE("batch mode: claim (dry-run), pre-write read, both pre-queries, one batch") {
  const plan_fixture fx;
  auto f = fx.facts();
  f.batch = true;
  const auto plan = http_plan_json(f, planned_requests(f), "0.1.0");
  CHECK(plan.find("writeback_mode")->as_string() == "batch");
  CHECK(steps(plan) == std::vector<std::string>{"claim", "pre_write_read", "phone_call_prequery",
                                                "task_prequery", "batch"});
  const auto& batch = request_at(plan, 4);
  CHECK(batch.find("condition")->as_string() == "if_prequery_empty");
  CHECK(batch.find("url")->as_string() == "$batch");
  CHECK(header_of(batch, "Content-Type") ==
        "multipart/mixed; boundary=\"batch_0123456789abcdef0123456789abcdef\"");
  const auto& body = batch.find("body")->as_string();
  CHECK(body.find("PATCH /api/data/v9.2/phonecalls(" +
                  deterministic_record_id(session_id, "phonecall") + ") HTTP/1.1\r\n") !=
        std::string::npos);
  CHECK(body.find("If-Match: {{etag_after_claim}}\r\n") != std::string::npos);
  CHECK(body.find("Content-ID: 4\r\n") != std::string::npos);

  SECTION("without a Task the batch has three parts and no task pre-query") {
    plan_fixture no_task;
    no_task.plan.task = std::nullopt;
    auto g = no_task.facts();
    g.batch = true;
    const auto p = http_plan_json(g, planned_requests(g), "0.1.0");
    CHECK(steps(p) ==
          std::vector<std::string>{"claim", "pre_write_read", "phone_call_prequery", "batch"});
    CHECK(request_at(p, 3).find("body")->as_string().find("Content-ID: 4") == std::string::npos);
  }
}

TEST_CASE("blocked path: pre-write read and a plain status PATCH with the load ETag, byte-exact") {
  plan_fixture fx;
  fx.plan.phone_call_activity = std::nullopt;
  fx.plan.task = std::nullopt;
  fx.plan.queue_status.transition_reason = "blocked_by_eligibility: a,c";
  auto f = fx.facts();
  f.path = plan_path::blocked;
  f.batch = true;  // the blocked-path PATCH is never batched
  const auto text = json::write_artifact(http_plan_json(f, planned_requests(f), "0.1.0"));
  const std::string expected =
      R"x({
  "base_url": "<env>/api/data/v9.2/",
  "queue_item_id": ")x" +
      queue_id + R"x(",
  "requests": [
    {
      "body": null,
      "condition": "always",
      "headers": {
        "Accept": "application/json",
        "Authorization": "Bearer <redacted>",
        "If-None-Match": "null",
        "OData-MaxVersion": "4.0",
        "OData-Version": "4.0",
        "User-Agent": "opencloser/0.1.0"
      },
      "method": "GET",
      "seq": 1,
      "step": "pre_write_read",
      "url": "acme_callqueues?$filter=acme_callqueueid eq )x" +
      queue_id +
      R"x(&$select=acme_callqueueid,acme_lastdisposition,acme_lastsession,acme_notes,acme_status&$top=1"
    },
    {
      "body": {
        "acme_lastdisposition": "blocked_by_eligibility: a,c",
        "acme_lasterror": "blocked_by_eligibility: a,c",
        "acme_lastsession": ")x" +
      session_id + R"x(",
        "acme_status": 100000000
      },
      "condition": "if_not_applied",
      "headers": {
        "Accept": "application/json",
        "Authorization": "Bearer <redacted>",
        "Content-Type": "application/json; charset=utf-8",
        "If-Match": "W/\"41\"",
        "OData-MaxVersion": "4.0",
        "OData-Version": "4.0",
        "User-Agent": "opencloser/0.1.0"
      },
      "method": "PATCH",
      "seq": 2,
      "step": "queue_status_update",
      "url": "acme_callqueues()x" +
      queue_id + R"x()"
    }
  ],
  "run_mode": "dry_run",
  "schema_version": "opencloser-http-plan-v1",
  "session_id": ")x" +
      session_id + R"x(",
  "writeback_mode": "batch"
}
)x";
  CHECK(text == expected);
}

TEST_CASE("blocked path on a row loaded in_progress plans no request") {
  plan_fixture fx;
  fx.plan.phone_call_activity = std::nullopt;
  fx.plan.task = std::nullopt;
  auto f = fx.facts();
  f.path = plan_path::blocked_in_progress;
  const auto plan = http_plan_json(f, planned_requests(f), "0.1.0");
  CHECK(plan.find("requests")->as_array().empty());
  CHECK(json::write_artifact(plan).find("\"requests\": []") != std::string::npos);
}

TEST_CASE("plan inputs are validated") {
  const plan_fixture fx;
  auto f = fx.facts();
  f.plan = nullptr;
  CHECK_THROWS_AS(planned_requests(f), std::invalid_argument);
  f = fx.facts();
  f.queue_item_id = "not-a-guid";
  CHECK_THROWS_AS(planned_requests(f), guid_error);
  CHECK_THROWS_AS(step_condition("token"), std::invalid_argument);
}
