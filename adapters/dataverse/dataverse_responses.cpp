#include "adapters/dataverse/dataverse_responses.hpp"

#include "actors/common/ids.hpp"
#include "adapters/dataverse/batch_multipart.hpp"

namespace opencloser::dataverse {

namespace {

const json::value null_value;

/// A member of a row; absent reads as null (Dataverse omits nothing, the emulator may).
const json::value& member(const json::value& row, std::string_view name) {
  const auto* v = row.find(name);
  return v ? *v : null_value;
}

const json::value& queue_member(const resolved_mapping& m, const json::value& row,
                                std::string_view field_key) {
  const auto prop = m.queue_field_property(field_key);
  return prop ? member(row, *prop) : null_value;
}

std::string describe(const json::value& v) {
  return v.is_string() ? "'" + v.as_string() + "'" : json::write_compact(v);
}

bool truthy(const json::value& v) {
  if (v.is_null()) return false;
  if (v.is_bool()) return v.as_bool();
  if (v.is_int()) return v.as_int() != 0;
  if (v.is_double()) return v.as_double() != 0.0;
  if (v.is_string()) return !v.as_string().empty();
  if (v.is_array()) return !v.as_array().empty();
  return !v.as_object().empty();
}

std::string column_name(const resolved_mapping& m, std::string_view field_key) {
  const auto* c = m.column(field_key);
  return c ? *c : std::string(field_key);
}

nullable<std::string> string_or_null(const resolved_mapping& m, const json::value& row,
                                     std::string_view field_key, std::string_view id) {
  const auto& v = queue_member(m, row, field_key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_string())
    throw response_error("queue item '" + std::string(id) + "' column '" +
                         column_name(m, field_key) + "' is not a string or null");
  return v.as_string();
}

}  // namespace

// ---- generic ------------------------------------------------------------------------------

std::optional<std::string> odata_error_code(std::string_view body) {
  try {
    const auto doc = json::parse(body);
    const auto* error = doc.find("error");
    const auto* code = error ? error->find("code") : nullptr;
    if (code && code->is_string()) return code->as_string();
  } catch (const json::parse_error&) {
  }
  return std::nullopt;
}

bool is_duplicate_key(int status, std::string_view body) {
  return (status == 412 || status == 400) && odata_error_code(body) == "0x80040237";
}

const json::array& collection_rows(const json::value& body) {
  const auto* rows = body.find("value");
  if (!rows || !rows->is_array()) throw response_error("Dataverse answer has no 'value' array");
  return rows->as_array();
}

std::optional<json::value> first_row(const json::value& body) {
  const auto& rows = collection_rows(body);
  if (rows.empty()) return std::nullopt;
  if (!rows.front().is_object()) throw response_error("Dataverse answer row is not an object");
  return rows.front();
}

std::optional<std::string> row_etag(const json::value& row) {
  const auto& v = member(row, "@odata.etag");
  if (!v.is_string()) return std::nullopt;
  return v.as_string();
}

std::string created_record_id(std::optional<std::string_view> odata_entity_id, int status,
                              std::string_view body, std::string_view primary_id) {
  std::string id;
  if (odata_entity_id) {
    const auto open = odata_entity_id->rfind('('), close = odata_entity_id->rfind(')');
    if (open != std::string_view::npos && close != std::string_view::npos && close > open)
      id = std::string(odata_entity_id->substr(open + 1, close - open - 1));
    std::erase(id, '\'');
  } else if (status == 201) {
    try {
      const auto doc = json::parse(body);
      const auto& v = member(doc, primary_id);
      if (v.is_string()) id = v.as_string();
    } catch (const json::parse_error&) {
    }
  }
  if (id.empty()) throw response_error("Dataverse did not return the created record id");
  if (!is_guid(id))
    throw response_error("Dataverse returned a created record id '" + id + "' that is not a GUID");
  return id;
}

std::optional<std::string> prequery_hit_id(const json::value& body, std::string_view primary_id) {
  const auto row = first_row(body);
  if (!row) return std::nullopt;
  const auto& id = member(*row, primary_id);
  if (!id.is_string() || !is_guid(id.as_string()))
    throw response_error("idempotency pre-query hit has no GUID '" + std::string(primary_id) + "'");
  return id.as_string();
}

std::optional<std::int64_t> row_statecode(const json::value& row) {
  const auto& v = member(row, "statecode");
  if (v.is_null()) return std::nullopt;
  if (!v.is_int()) throw response_error("statecode " + describe(v) + " is not an integer");
  return v.as_int();
}

// ---- queue rows ---------------------------------------------------------------------------

callable_status status_from_value(const resolved_mapping& m, const json::value& value) {
  if (value.is_int()) {
    for (const auto& o : m.artifact.option_sets) {
      if (o.field != "queue.status" || o.value != value.as_int()) continue;
      constexpr std::string_view prefix = "queue_status.";
      if (o.key.rfind(prefix, 0) != 0) continue;
      if (auto s = enum_from<callable_status>(std::string_view(o.key).substr(prefix.size())))
        return *s;
    }
  }
  throw response_error("status value " + describe(value) + " is not a mapped queue_status option");
}

row_baseline baseline_from_row(const resolved_mapping& m, const json::value& row) {
  row_baseline b;
  b.etag = row_etag(row);
  b.status = queue_member(m, row, "queue.status");
  b.last_session_id = queue_member(m, row, "queue.last_session_id");
  b.last_disposition = queue_member(m, row, "queue.last_disposition");
  for (const auto& c : m.artifact.preserve_if_present)
    b.preserve.emplace_back(c, member(row, m.queue_property(c)));
  b.phone = queue_member(m, row, "queue.phone");
  b.timezone = queue_member(m, row, "queue.timezone");
  b.attempt_count = queue_member(m, row, "queue.attempt_count");
  b.dnc = queue_member(m, row, "queue.dnc");
  return b;
}

loaded_queue_row parse_queue_row(const resolved_mapping& m, const json::value& row) {
  if (!row.is_object()) throw response_error("queue row is not an object");
  const auto& pk = member(row, m.queue.primary_id);
  if (!pk.is_string() || !is_guid(pk.as_string()))
    throw response_error("queue row primary id " + describe(pk) + " ('" + m.queue.primary_id +
                         "') is not a GUID");
  const std::string& id = pk.as_string();

  loaded_queue_row out;
  out.item.queue_item_id = id;
  out.item.phone_number = string_or_null(m, row, "queue.phone", id);
  out.item.timezone = string_or_null(m, row, "queue.timezone", id);

  const auto& attempts = queue_member(m, row, "queue.attempt_count");
  if (!attempts.is_null()) {
    if (!attempts.is_int() || attempts.as_int() < 0)
      throw response_error("queue item '" + id + "' column '" +
                           column_name(m, "queue.attempt_count") + "' value " + describe(attempts) +
                           " is not an integer >= 0");
    out.item.attempt_count = attempts.as_int();
  }
  out.item.dnc_flag = truthy(queue_member(m, row, "queue.dnc"));
  try {
    out.item.status = status_from_value(m, queue_member(m, row, "queue.status"));
  } catch (const response_error& e) {
    throw response_error("queue item '" + id + "' " + e.what());
  }

  const auto account = string_or_null(m, row, "queue.facility_account", id);
  if (account && !account->empty()) out.facility_account_id = *account;
  if (const auto& override_column = m.artifact.task_owner_override_field) {
    const auto& v = member(row, m.queue_property(*override_column));
    if (!v.is_null() && !v.is_string())
      throw response_error("queue item '" + id + "' column '" + *override_column +
                           "' is not a string or null");
    if (v.is_string() && !v.as_string().empty()) out.owner_override = v.as_string();
  }
  out.baseline = baseline_from_row(m, row);
  return out;
}

std::string facility_name_from(const resolved_mapping& m, const json::value& body,
                               std::string_view raw_id) {
  const auto row = first_row(body);
  if (row) {
    const auto& v = member(*row, m.name_table_primary_name);
    if (v.is_string()) return v.as_string();
  }
  return std::string(raw_id);
}

bool claim_applied(const resolved_mapping& m, const json::value& row, std::string_view session_id) {
  const auto& status = queue_member(m, row, "queue.status");
  const auto& session = queue_member(m, row, "queue.last_session_id");
  return status.is_int() && status.as_int() == m.status_value("in_progress") &&
         session.is_string() && session.as_string() == session_id;
}

bool status_update_applied(const resolved_mapping& m, const json::value& row,
                           const queue_status_update& update) {
  const auto& status = queue_member(m, row, "queue.status");
  const auto& session = queue_member(m, row, "queue.last_session_id");
  if (!status.is_int() || status.as_int() != m.status_value(to_string(update.new_status)))
    return false;
  if (!session.is_string() || session.as_string() != update.session_id) return false;
  if (!m.column("queue.last_disposition")) return true;
  const auto& disposition = queue_member(m, row, "queue.last_disposition");
  return disposition.is_string() && disposition.as_string() == update.transition_reason;
}

std::vector<std::string> baseline_conflicts(const resolved_mapping& m, const row_baseline& baseline,
                                            const json::value& row) {
  std::vector<std::string> out;
  if (queue_member(m, row, "queue.status") != baseline.status)
    out.push_back(column_name(m, "queue.status"));
  if (queue_member(m, row, "queue.last_session_id") != baseline.last_session_id)
    out.push_back(column_name(m, "queue.last_session_id"));
  for (const auto& [column, value] : baseline.preserve)
    if (member(row, m.queue_property(column)) != value) out.push_back(column);
  return out;
}

// ---- $batch -------------------------------------------------------------------------------

batch_outcome batch_result(int envelope_status, std::string_view envelope_body,
                           const std::vector<operation_answer>& parts,
                           std::size_t operations_sent) {
  for (const auto& p : parts)
    if (p.status < 200 || p.status >= 300) return {p.status, p.body, false};
  const bool success = envelope_status == 200 && parts.size() == operations_sent;
  return {envelope_status, std::string(envelope_body), success};
}

batch_outcome batch_answer_outcome(int envelope_status, std::string_view content_type,
                                   std::string_view body, std::size_t operations_sent) {
  std::vector<operation_answer> answers;
  if (is_multipart_mixed(content_type)) {
    try {
      for (auto& part : parse_batch_response(content_type, body))
        answers.push_back({part.status, std::move(part.body)});
    } catch (const batch_format_error& e) {
      throw response_error(std::string("unreadable $batch answer: ") + e.what());
    }
  }
  return batch_result(envelope_status, body, answers, operations_sent);
}

// ---- metadata -----------------------------------------------------------------------------

namespace {

std::string required_string(const json::value& obj, std::string_view name, std::string_view what) {
  const auto& v = member(obj, name);
  if (!v.is_string())
    throw response_error(std::string(what) + " has no string '" + std::string(name) + "'");
  return v.as_string();
}

std::vector<std::int64_t> option_values(const json::value& option_set) {
  std::vector<std::int64_t> out;
  if (!option_set.is_object()) return out;
  const auto& options = member(option_set, "Options");
  if (!options.is_array()) return out;
  for (const auto& o : options.as_array()) {
    const auto& v = member(o, "Value");
    if (!v.is_int()) throw response_error("option set has an option without an integer Value");
    out.push_back(v.as_int());
  }
  return out;
}

}  // namespace

entity_definition parse_entity_definition(const json::value& body) {
  entity_definition d;
  d.logical_name = required_string(body, "LogicalName", "EntityDefinition");
  d.entity_set_name = required_string(body, "EntitySetName", "EntityDefinition");
  d.primary_id_attribute = required_string(body, "PrimaryIdAttribute", "EntityDefinition");
  const auto& name = member(body, "PrimaryNameAttribute");
  if (name.is_string()) d.primary_name_attribute = name.as_string();
  return d;
}

std::vector<std::pair<std::string, std::string>> parse_attributes(const json::value& body) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& a : collection_rows(body))
    out.emplace_back(required_string(a, "LogicalName", "attribute"),
                     required_string(a, "AttributeType", "attribute"));
  return out;
}

std::vector<std::int64_t> parse_option_values(const json::value& body) {
  auto values = option_values(member(body, "OptionSet"));
  if (values.empty()) values = option_values(member(body, "GlobalOptionSet"));
  return values;
}

std::optional<std::string> parse_regarding_navigation(const json::value& body) {
  const auto& rows = collection_rows(body);
  if (rows.empty()) return std::nullopt;
  return required_string(rows.front(), "ReferencingEntityNavigationPropertyName", "relationship");
}

}  // namespace opencloser::dataverse
