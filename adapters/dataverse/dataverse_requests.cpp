#include "adapters/dataverse/dataverse_requests.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include "actors/common/ids.hpp"
#include "actors/common/text.hpp"
#include "adapters/dataverse/batch_multipart.hpp"

namespace opencloser::dataverse {

namespace {

constexpr std::string_view json_content_type = "application/json; charset=utf-8";

dataverse_request get(std::string step, std::string_view path, const query_options& q) {
  const auto url = make_url(path, q);
  dataverse_request r;
  r.step = std::move(step);
  r.method = "GET";
  r.relative_url = url.encoded;
  r.plan_url = url.plain;
  r.headers = {{"If-None-Match", "null"}};
  return r;
}

dataverse_request with_json(std::string step, std::string method, std::string_view path,
                            const query_options& q, json::object body) {
  const auto url = make_url(path, q);
  dataverse_request r;
  r.step = std::move(step);
  r.method = std::move(method);
  r.relative_url = url.encoded;
  r.plan_url = url.plain;
  r.headers = {{"Content-Type", std::string(json_content_type)}};
  r.json_body = json::value(std::move(body));
  return r;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out.append(sep);
    out += items[i];
  }
  return out;
}

/// Sorted distinct, joined by `,` (the `$select` lists the spec calls "sorted").
std::string sorted_select(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return join(items, ",");
}

std::string entity_path(const resolved_table& t, std::string_view id, std::string_view what) {
  require_guid(id, what);
  return t.entity_set + "(" + std::string(id) + ")";
}

std::string metadata_path(std::string_view logical_name) {
  return "EntityDefinitions(LogicalName=" + string_literal(logical_name) + ")";
}

void add_queue_prop(std::vector<std::string>& out, const resolved_mapping& m,
                    std::string_view field_key) {
  if (auto p = m.queue_field_property(field_key)) out.push_back(std::move(*p));
}

std::vector<std::string> pre_write_props(const resolved_mapping& m) {
  std::vector<std::string> props{m.queue.primary_id};
  add_queue_prop(props, m, "queue.status");
  add_queue_prop(props, m, "queue.last_session_id");
  add_queue_prop(props, m, "queue.last_disposition");
  for (const auto& c : m.artifact.preserve_if_present) props.push_back(m.queue_property(c));
  return props;
}

std::string required_queue_property(const resolved_mapping& m, std::string_view field_key) {
  auto p = m.queue_field_property(field_key);
  if (!p) throw resolution_error("mapping field '" + std::string(field_key) + "' is not mapped");
  return *p;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

struct url_parts {
  std::string scheme;  // lower-case
  std::string host;    // lower-case, IPv6 with brackets
  std::string port;    // explicit or the scheme's default
  std::string rest;    // path, query and fragment as written
};

url_parts split_url(std::string_view url, std::string_view what) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos)
    throw std::invalid_argument(std::string(what) + " is not an absolute URL");
  url_parts p;
  for (const char c : url.substr(0, sep))
    p.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto after = url.substr(sep + 3);
  const auto end = after.find_first_of("/?#");
  const auto authority = after.substr(0, end);
  p.rest = end == std::string_view::npos ? "" : std::string(after.substr(end));
  if (authority.find('@') != std::string_view::npos)
    throw std::invalid_argument(std::string(what) + " carries user information");
  const auto bracket = authority.rfind(']');
  const auto colon = authority.rfind(':');
  std::string_view host = authority, port;
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  for (const char c : host)
    p.host += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  p.port = !port.empty()         ? std::string(port)
           : p.scheme == "https" ? "443"
           : p.scheme == "http"  ? "80"
                                 : "";
  return p;
}

}  // namespace

std::string dataverse_request::body_text() const {
  if (json_body) return json::write_compact(*json_body);
  return raw_body;
}

namespace {

header_list headers_with(const dataverse_request& request, std::string authorization,
                         std::string_view product_version) {
  header_list h{{"Authorization", std::move(authorization)},
                {"Accept", "application/json"},
                {"OData-MaxVersion", "4.0"},
                {"OData-Version", "4.0"},
                {"User-Agent", "opencloser/" + std::string(product_version)}};
  h.insert(h.end(), request.headers.begin(), request.headers.end());
  return h;
}

}  // namespace

header_list wire_headers(const dataverse_request& request, std::string_view bearer_token,
                         std::string_view product_version) {
  return headers_with(request, "Bearer " + std::string(bearer_token), product_version);
}

header_list plan_headers(const dataverse_request& request, std::string_view product_version) {
  return headers_with(request, "Bearer <redacted>", product_version);
}

// ---- §3.2 -----------------------------------------------------------------------------------

dataverse_request entity_definition_request(std::string_view logical_name) {
  return get("entity_definition", metadata_path(logical_name),
             {.select = "LogicalName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute"});
}

dataverse_request attributes_request(std::string_view logical_name) {
  return get("attributes", metadata_path(logical_name) + "/Attributes",
             {.select = "LogicalName,AttributeType"});
}

std::optional<dataverse_request> option_set_request(std::string_view table, std::string_view column,
                                                    std::string_view attribute_type) {
  std::string cast;
  if (attribute_type == "Picklist")
    cast = "PicklistAttributeMetadata";
  else if (attribute_type == "Status")
    cast = "StatusAttributeMetadata";
  else if (attribute_type == "State")
    cast = "StateAttributeMetadata";
  else
    return std::nullopt;
  return get("option_set",
             metadata_path(table) + "/Attributes(LogicalName=" + string_literal(column) +
                 ")/Microsoft.Dynamics.CRM." + cast,
             {.select = "LogicalName",
              .expand = "OptionSet($select=Options),GlobalOptionSet($select=Options)"});
}

dataverse_request regarding_relationship_request(std::string_view activity_table,
                                                 std::string_view queue_table) {
  return get("regarding_relationship", metadata_path(activity_table) + "/ManyToOneRelationships",
             {.filter = "ReferencedEntity eq " + string_literal(queue_table) +
                        " and ReferencingAttribute eq 'regardingobjectid'",
              .select = "ReferencingEntityNavigationPropertyName"});
}

dataverse_request owner_user_request(std::string_view owner_guid) {
  require_guid(owner_guid, "owner");
  return get("owner_check_user", "systemusers",
             {.filter = "systemuserid eq " + std::string(owner_guid) + " and isdisabled eq false",
              .select = "systemuserid",
              .top = 1});
}

dataverse_request owner_team_request(std::string_view owner_guid) {
  require_guid(owner_guid, "owner");
  return get("owner_check_team", "teams",
             {.filter = "teamid eq " + std::string(owner_guid) + " and teamtype ne 1",
              .select = "teamid",
              .top = 1});
}

// ---- §4 -------------------------------------------------------------------------------------

std::vector<std::string> queue_select(const resolved_mapping& m) {
  std::vector<std::string> props{m.queue.primary_id};
  for (const char* key :
       {"queue.facility_account", "queue.phone", "queue.timezone", "queue.attempt_count",
        "queue.dnc", "queue.status", "queue.last_disposition", "queue.last_session_id",
        "queue.next_attempt_at", "queue.campaign"})
    add_queue_prop(props, m, key);
  if (m.artifact.task_owner_override_field)
    props.push_back(m.queue_property(*m.artifact.task_owner_override_field));
  for (const auto& c : m.artifact.preserve_if_present) props.push_back(m.queue_property(c));
  std::sort(props.begin(), props.end());
  props.erase(std::unique(props.begin(), props.end()), props.end());
  return props;
}

dataverse_request queue_load_by_id_request(const resolved_mapping& m, std::string_view queue_id) {
  require_guid(queue_id, "queue item id");
  return get("queue_load", m.queue.entity_set,
             {.filter = m.queue.primary_id + " eq " + std::string(queue_id),
              .select = join(queue_select(m), ","),
              .top = 1});
}

std::string campaign_rhs(const resolved_mapping& m, std::string_view campaign) {
  const auto* f = m.artifact.field("queue.campaign");
  if (!f) throw resolution_error("mapping field 'queue.campaign' is not mapped");
  if (f->type == "lookup") {
    require_guid(campaign, "campaign");
    return std::string(campaign);
  }
  // Option values are integers in Dataverse too, so an optionset campaign compares as one.
  if (f->type == "integer" || f->type == "optionset") {
    std::int64_t n = 0;
    const auto* end = campaign.data() + campaign.size();
    const auto [ptr, ec] = std::from_chars(campaign.data(), end, n);
    if (campaign.empty() || ec != std::errc() || ptr != end)
      throw std::invalid_argument("campaign '" + std::string(campaign) + "' is not an integer");
    return std::to_string(n);
  }
  if (f->type == "boolean") {
    if (iequals(campaign, "true")) return "true";
    if (iequals(campaign, "false")) return "false";
    throw std::invalid_argument("campaign '" + std::string(campaign) + "' is not a boolean");
  }
  return string_literal(campaign);
}

dataverse_request queue_next_ready_request(const resolved_mapping& m, std::string_view campaign,
                                           std::optional<std::int64_t> page_size) {
  const auto status = required_queue_property(m, "queue.status");
  const auto campaign_prop = required_queue_property(m, "queue.campaign");
  const auto next_attempt = required_queue_property(m, "queue.next_attempt_at");
  query_options q{.filter = status + " eq " + std::to_string(m.status_value("ready")) + " and " +
                            campaign_prop + " eq " + campaign_rhs(m, campaign),
                  .select = join(queue_select(m), ","),
                  .orderby = next_attempt + " asc,createdon asc," + m.queue.primary_id + " asc"};
  if (!page_size) q.top = 1;
  auto r = get("queue_next_ready", m.queue.entity_set, q);
  if (page_size)
    r.headers.emplace_back("Prefer", "odata.maxpagesize=" + std::to_string(*page_size));
  return r;
}

dataverse_request campaign_probe_request(const resolved_mapping& m, std::string_view campaign) {
  return get(
      "campaign_probe", m.queue.entity_set,
      {.filter = required_queue_property(m, "queue.campaign") + " eq " + campaign_rhs(m, campaign),
       .select = m.queue.primary_id,
       .top = 1});
}

dataverse_request next_page_request(std::string_view base_url, std::string_view next_link,
                                    std::int64_t page_size) {
  const auto base = split_url(base_url, "the base URL");
  const auto link = split_url(next_link, "@odata.nextLink");
  if (link.scheme != base.scheme || link.host != base.host || link.port != base.port)
    throw std::invalid_argument("@odata.nextLink points to another origin");
  if (link.rest.compare(0, base.rest.size(), base.rest) != 0)
    throw std::invalid_argument("@odata.nextLink leaves the Web API path");
  dataverse_request r;
  r.step = "queue_next_page";
  r.method = "GET";
  r.relative_url = link.rest.substr(base.rest.size());
  r.plan_url = r.relative_url;
  r.headers = {{"If-None-Match", "null"},
               {"Prefer", "odata.maxpagesize=" + std::to_string(page_size)}};
  return r;
}

dataverse_request facility_name_request(const resolved_mapping& m, std::string_view account_id) {
  if (!m.name_table || m.name_table_primary_name.empty())
    throw resolution_error("no facility-name table is resolved");
  require_guid(account_id, "facility account");
  return get("facility_name", m.name_table->entity_set,
             {.filter = m.name_table->primary_id + " eq " + std::string(account_id),
              .select = m.name_table_primary_name,
              .top = 1});
}

// ---- §6 -------------------------------------------------------------------------------------

dataverse_request claim_request(const resolved_mapping& m, std::string_view queue_id,
                                std::string_view session_id,
                                const std::optional<std::string>& load_etag,
                                std::int64_t loaded_attempts) {
  const auto path = entity_path(m.queue, queue_id, "queue item id");
  std::vector<std::string> props{m.queue.primary_id};
  add_queue_prop(props, m, "queue.last_session_id");
  add_queue_prop(props, m, "queue.status");
  json::object body;
  put_queue_update(body, m, "queue.status", m.status_value("in_progress"));
  put_queue_update(body, m, "queue.last_session_id", std::string(session_id));
  put_queue_update(body, m, "queue.attempt_count", loaded_attempts + 1);
  auto r = with_json("claim", "PATCH", path, {.select = sorted_select(props)}, std::move(body));
  r.headers.emplace_back("If-Match", load_etag ? *load_etag : "*");
  r.headers.emplace_back("Prefer", "return=representation");
  return r;
}

dataverse_request claim_reread_request(const resolved_mapping& m, std::string_view queue_id) {
  require_guid(queue_id, "queue item id");
  auto props = pre_write_props(m);
  for (const char* key : {"queue.phone", "queue.timezone", "queue.attempt_count", "queue.dnc"})
    add_queue_prop(props, m, key);
  return get("claim_reread", m.queue.entity_set,
             {.filter = m.queue.primary_id + " eq " + std::string(queue_id),
              .select = sorted_select(std::move(props)),
              .top = 1});
}

// ---- §7 -------------------------------------------------------------------------------------

dataverse_request pre_write_read_request(const resolved_mapping& m, std::string_view queue_id) {
  require_guid(queue_id, "queue item id");
  return get("pre_write_read", m.queue.entity_set,
             {.filter = m.queue.primary_id + " eq " + std::string(queue_id),
              .select = sorted_select(pre_write_props(m)),
              .top = 1});
}

namespace {

dataverse_request key_prequery(std::string step, const resolved_table& t, std::string key_column,
                               std::string select, std::string_view session_id) {
  return get(std::move(step), t.entity_set,
             {.filter = key_column + " eq " + string_literal(session_id),
              .select = std::move(select),
              .top = 1});
}

void put_regarding(json::object& body, const std::optional<std::string>& nav,
                   const resolved_mapping& m, std::string_view queue_id) {
  if (!nav) return;
  body.emplace_back(*nav + "@odata.bind", "/" + entity_path(m.queue, queue_id, "queue item id"));
}

}  // namespace

dataverse_request phone_call_prequery_request(const resolved_mapping& m,
                                              std::string_view session_id) {
  return key_prequery("phone_call_prequery", m.phone_call,
                      m.required_column("phone_call.idempotency_key"),
                      m.phone_call.primary_id + ",statecode", session_id);
}

dataverse_request phone_call_create_request(const resolved_mapping& m,
                                            const phone_call_payload& p) {
  const auto rid = deterministic_record_id(p.session_id, "phonecall");
  const std::string subject =
      p.summary.empty()
          ? text::cut("Mock call — " + std::string(to_string(p.final_disposition)), 200)
          : text::cut(p.summary, 200);
  json::object body{{m.phone_call.primary_id, rid},
                    {"subject", subject},
                    {"description", p.summary},
                    {"actualstart", p.started_at},
                    {"actualend", p.ended_at},
                    {"directioncode", true},
                    {m.required_column("phone_call.idempotency_key"), p.session_id}};
  put_regarding(body, m.phone_call_regarding, m, p.queue_item_id);
  return with_json("phone_call_create", "POST", m.phone_call.entity_set, {}, std::move(body));
}

dataverse_request phone_call_readback_request(const resolved_mapping& m,
                                              std::string_view record_id) {
  return get("phone_call_readback", entity_path(m.phone_call, record_id, "phone call id"),
             {.select = m.phone_call.primary_id + ",statecode," +
                        m.required_column("phone_call.idempotency_key")});
}

dataverse_request phone_call_close_request(const resolved_mapping& m, std::string_view record_id) {
  auto r =
      with_json("phone_call_close", "PATCH", entity_path(m.phone_call, record_id, "phone call id"),
                {}, json::object{{"statecode", 1}, {"statuscode", 2}});
  r.headers.emplace_back("If-Match", "*");
  return r;
}

dataverse_request phone_call_state_request(const resolved_mapping& m, std::string_view record_id) {
  return get("phone_call_state", entity_path(m.phone_call, record_id, "phone call id"),
             {.select = "statecode"});
}

json::value queue_last_error(const queue_status_update& update,
                             const std::optional<data_quality_warning>& session_warning) {
  const std::string w =
      session_warning ? session_warning->code + ":" + session_warning->message : std::string();
  if (update.transition_reason.rfind("blocked_by_", 0) == 0)
    return w.empty() ? update.transition_reason : update.transition_reason + " (" + w + ")";
  if (!w.empty()) return w;
  return nullptr;
}

dataverse_request queue_status_update_request(
    const resolved_mapping& m, const queue_status_update& update,
    const std::optional<std::string>& etag,
    const std::optional<data_quality_warning>& session_warning) {
  const auto path = entity_path(m.queue, update.queue_item_id, "queue item id");
  json::object body;
  put_queue_update(body, m, "queue.status", m.status_value(to_string(update.new_status)));
  put_queue_update(body, m, "queue.last_disposition", update.transition_reason);
  put_queue_update(body, m, "queue.last_session_id", update.session_id);
  put_queue_update(body, m, "queue.last_error", queue_last_error(update, session_warning));
  if (update.set_dnc_flag) put_queue_update(body, m, "queue.dnc", true);
  auto r = with_json("queue_status_update", "PATCH", path, {}, std::move(body));
  r.headers.emplace_back("If-Match", etag ? *etag : "*");
  return r;
}

dataverse_request claim_release_request(const resolved_mapping& m, std::string_view queue_id,
                                        std::string_view session_id,
                                        const std::optional<std::string>& etag) {
  const auto path = entity_path(m.queue, queue_id, "queue item id");
  json::object body;
  put_queue_update(body, m, "queue.status", m.status_value("ready"));
  put_queue_update(body, m, "queue.last_disposition", "failed");
  put_queue_update(
      body, m, "queue.last_error",
      "session " + std::string(session_id) + " interrupted before completion; claim released");
  auto r = with_json("queue_claim_release", "PATCH", path, {}, std::move(body));
  r.headers.emplace_back("If-Match", etag ? *etag : "*");
  return r;
}

std::string_view owner_entity_set(owner_kind kind) {
  return kind == owner_kind::systemuser ? "systemusers" : "teams";
}

dataverse_request task_prequery_request(const resolved_mapping& m, std::string_view session_id) {
  return key_prequery("task_prequery", m.task, m.required_column("task.idempotency_key"),
                      m.task.primary_id, session_id);
}

std::string task_description(const task_payload& task) {
  const std::string subject = task.subject.empty() ? "Follow-up" : text::cut(task.subject, 200);
  if (task.kind == task_kind::review)
    return task.reason_code ? "Review reason: " + std::string(to_string(*task.reason_code))
                            : subject;
  std::vector<std::string> lines;
  if (task.preferred_callback_window)
    lines.push_back("Callback window: " + *task.preferred_callback_window);
  if (task.captured_email) lines.push_back("Email: " + *task.captured_email);
  return lines.empty() ? subject : join(lines, "\n");
}

dataverse_request task_create_request(const resolved_mapping& m, const task_payload& task,
                                      owner_kind owner) {
  const std::string owner_id = task.assigned_to ? *task.assigned_to : std::string();
  require_guid(owner_id, "task owner");
  const auto rid = deterministic_record_id(task.session_id, "task");
  json::object body{
      {m.task.primary_id, rid},
      {"subject", task.subject.empty() ? "Follow-up" : text::cut(task.subject, 200)},
      {"description", task_description(task)},
      {m.required_column("task.idempotency_key"), task.session_id},
      {"ownerid@odata.bind", "/" + std::string(owner_entity_set(owner)) + "(" + owner_id + ")"}};
  put_regarding(body, m.task_regarding, m, task.queue_item_id);
  return with_json("task_create", "POST", m.task.entity_set, {}, std::move(body));
}

dataverse_request task_readback_request(const resolved_mapping& m, std::string_view record_id) {
  return get("task_readback", entity_path(m.task, record_id, "task id"),
             {.select = m.task.primary_id + "," + m.required_column("task.idempotency_key")});
}

// ---- §7.5 -----------------------------------------------------------------------------------

namespace {

std::string session_hex(std::string_view session_id) {
  const bool ok = session_id.size() == 36 && session_id.substr(0, 4) == "ses_" &&
                  std::all_of(session_id.begin() + 4, session_id.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                  });
  if (!ok)
    throw std::invalid_argument("session id '" + std::string(session_id) + "' is not ses_<32 hex>");
  return std::string(session_id.substr(4));
}

}  // namespace

dataverse_request batch_request(std::string_view session_id,
                                const std::vector<dataverse_request>& operations) {
  const auto h = session_hex(session_id);
  const std::string batch = "batch_" + h, changeset = "changeset_" + h;
  std::vector<batch_operation> parts;
  for (const auto& op : operations) {
    if ((op.method != "POST" && op.method != "PATCH") || !op.json_body)
      throw std::invalid_argument("a $batch change set holds only POST/PATCH with a JSON body ('" +
                                  op.step + "')");
    batch_operation part;
    part.method = op.method;
    part.url = "/api/data/v9.2/" + op.relative_url;
    // Part headers: Content-Type, then If-Match when the operation has one (§7.5).
    part.headers = {{"Content-Type", std::string(json_content_type)}};
    for (const auto& [name, value] : op.headers)
      if (name == "If-Match") part.headers.emplace_back(name, value);
    part.body = op.body_text();
    part.content_id = std::to_string(parts.size() + 1);
    parts.push_back(std::move(part));
  }
  std::string out;
  try {
    out = build_changeset_batch(batch, changeset, parts);
  } catch (const batch_format_error& e) {
    throw std::invalid_argument(std::string("cannot write the $batch request: ") + e.what());
  }

  dataverse_request r;
  r.step = "batch";
  r.method = "POST";
  r.relative_url = "$batch";
  r.plan_url = "$batch";
  r.headers = {{"Content-Type", "multipart/mixed; boundary=\"" + batch + "\""}};
  r.raw_body = std::move(out);
  return r;
}

}  // namespace opencloser::dataverse
