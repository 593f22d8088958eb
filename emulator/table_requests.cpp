#include "emulator/table_requests.hpp"

#include "actors/common/ids.hpp"
#include "emulator/odata_query.hpp"
#include "emulator/row_writes.hpp"

namespace opencloser::emulator {

namespace {

using params_t = std::vector<std::pair<std::string, std::string>>;

struct address {
  const table_def* table = nullptr;
  std::optional<std::string> id;  ///< canonical GUID when the path names one row
};

std::optional<address> resolve(const schema& tables, std::string_view path) {
  const auto open = path.find('(');
  const auto set = path.substr(0, open);
  if (set.find('/') != std::string_view::npos) {
    const auto* table = tables.by_entity_set(set.substr(0, set.find('/')));
    if (!table) return std::nullopt;
    throw bad_request("Navigation and property paths are not supported: '" + std::string(path) +
                      "'.");
  }
  const auto* table = tables.by_entity_set(set);
  if (!table) return std::nullopt;
  address a{table, std::nullopt};
  if (open == std::string_view::npos) return a;
  const auto close = path.find(')', open);
  if (close == std::string_view::npos || close + 1 != path.size())
    throw bad_request("Bad Request - Error in query syntax: '" + std::string(path) + "'.");
  const auto key = path.substr(open + 1, close - open - 1);
  if (!is_guid(key))
    throw bad_request("Unrecognized 'Edm.Guid' literal '" + std::string(key) + "' in '" +
                      std::string(path) + "'.");
  a.id = canonical_guid(key);
  return a;
}

json::value parse_body(std::string_view body) {
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    throw web_error(
        400, "0x80048d19",
        std::string("Error identified in Payload provided by the user: the request body "
                    "is not valid JSON (") +
            e.what() + ").");
  }
}

preferences prefer_of(const header_list& headers) {
  return parse_prefer(joined_header(headers, "Prefer"));
}

/// `$select` on a single-row read or a returned representation; nothing else is allowed.
std::optional<std::vector<std::string>> select_only(const table_def& table,
                                                    const params_t& params) {
  for (const auto& [k, v] : params)
    if (k != "$select")
      throw bad_request("The query parameter '" + k + "' is not supported on a single record.");
  return parse_collection_query(table, params).select;
}

std::string entity_url(const table_request_context& c, const table_def& t, std::string_view id) {
  return c.service_root + t.entity_set_name + "(" + std::string(id) + ")";
}

http_response row_response(int status, const table_def& t, const row& r,
                           const std::optional<std::vector<std::string>>& select,
                           const std::string& context_url) {
  auto body = project_row(t, r, select);
  json::object out{{"@odata.context", context_url}};
  for (auto& m : body.as_object()) out.push_back(std::move(m));
  auto response = json_response(status, json::write_compact(json::value(std::move(out))));
  response.set_header("ETag", etag_of(r));
  return response;
}

http_response write_response(const table_request_context& c, const table_def& t, const row& r,
                             const params_t& params, const preferences& prefer, int rep_status) {
  if (prefer.return_representation) {
    auto response = row_response(rep_status, t, r, select_only(t, params),
                                 c.service_root + "$metadata#" + t.entity_set_name + "/$entity");
    response.set_header("Preference-Applied", "return=representation");
    return response;
  }
  http_response response;
  response.status = 204;
  response.set_header("OData-EntityId", entity_url(c, t, r.at(t.primary_id).as_string()));
  response.set_header("ETag", etag_of(r));
  return response;
}

/// The `eq` term on a text value whose index bucket is smallest, when it holds at most a quarter
/// of the table (a bucket of most rows is slower to read than the table itself); nullopt when
/// no term qualifies.
std::optional<filter_term> narrowest_text_term(store& rows, const table_def& t,
                                               const collection_query& query) {
  std::optional<filter_term> best;
  std::size_t best_count = rows.row_count(t) / 4;
  for (const auto& term : query.filter) {
    if (term.op != filter_op::eq || !term.literal.is_string()) continue;
    const auto count = rows.count_with(t, term.property, term.literal.as_string());
    if (count <= best_count) {
      best = term;
      best_count = count;
    }
  }
  return best;
}

http_response get_collection(table_request_context& c, const table_def& t, const params_t& params,
                             const header_list& headers) {
  const auto query = parse_collection_query(t, params);
  const auto prefer = prefer_of(headers);
  // `<pk> eq <guid>` (every explicit load) reads one row from the id index, a selective
  // `<column> eq '<text>'` (an idempotency-key lookup) one bucket of that column's index; other
  // queries read every row. select_page applies the whole filter to the candidates either way.
  std::vector<const row*> candidates;
  if (const auto id = pinned_primary_id(t, query)) {
    if (const row* r = c.rows.find(t, *id)) candidates.push_back(r);
  } else if (const auto term = narrowest_text_term(c.rows, t, query)) {
    candidates = c.rows.rows_with(t, term->property, term->literal.as_string());
  } else {
    candidates = c.rows.rows_of(t);
  }
  const auto page = select_page(t, candidates, query, prefer.max_page_size);
  json::array value;
  value.reserve(page.rows.size());
  for (const auto* r : page.rows) value.push_back(project_row(t, *r, query.select));
  json::object body{{"@odata.context", c.service_root + "$metadata#" + t.entity_set_name}};
  body.emplace_back("value", std::move(value));
  if (page.next_skiptoken)
    body.emplace_back("@odata.nextLink", c.service_root + t.entity_set_name + "?" +
                                             build_next_link_query(params, *page.next_skiptoken));
  auto response = json_response(200, json::write_compact(json::value(std::move(body))));
  if (prefer.max_page_size)
    response.set_header("Preference-Applied",
                        "odata.maxpagesize=" + std::to_string(*prefer.max_page_size));
  return response;
}

/// `If-None-Match: null` is what Microsoft recommends sending on reads; it means nothing.
std::optional<std::string_view> precondition(const header_list& headers, std::string_view name) {
  const auto value = find_header(headers, name);
  if (value && *value == "null") return std::nullopt;
  return value;
}

web_error version_mismatch() {
  return web_error(412, "0x80060882",
                   "The version of the existing record doesn't match the RowVersion property "
                   "provided.");
}

http_response post(table_request_context& c, const table_def& t, const params_t& params,
                   const header_list& headers, std::string_view body) {
  auto changes = changes_from_body(t, parse_body(body), c.rows, true);
  if (const auto it = changes.find(t.primary_id); it != changes.end() && !it->second.is_null()) {
    if (c.rows.find(t, it->second.as_string()))
      throw web_error(412, "0x80040237", "A record with matching key values already exists.");
  } else {
    changes[t.primary_id] = json::value(c.new_guid());
  }
  if (!changes.contains("_ownerid_value")) changes["_ownerid_value"] = json::value(c.owner_id);
  const auto& stored = c.rows.insert(t, std::move(changes), c.now_utc_ms);
  return write_response(c, t, stored, params, prefer_of(headers), 201);
}

http_response patch(table_request_context& c, const table_def& t, const std::string& id,
                    const params_t& params, const header_list& headers, std::string_view body) {
  const auto if_match = precondition(headers, "If-Match");
  const auto if_none_match = precondition(headers, "If-None-Match");
  const row* current = c.rows.find(t, id);
  if (current) {
    if (if_none_match && *if_none_match == "*")
      throw web_error(412, "0x80040237", "A record with matching key values already exists.");
    if (if_match && *if_match != "*" && *if_match != etag_of(*current)) throw version_mismatch();
    auto changes = changes_from_body(t, parse_body(body), c.rows, false);
    changes.erase(t.primary_id);
    check_activity_update(t, changes, *current);
    const auto& stored = c.rows.update(t, id, changes, c.now_utc_ms);
    return write_response(c, t, stored, params, prefer_of(headers), 200);
  }
  if (if_match) throw row_not_found(t, id);
  // Upsert (or If-None-Match: *): create the row with this id.
  auto changes = changes_from_body(t, parse_body(body), c.rows, true);
  changes[t.primary_id] = json::value(id);
  if (!changes.contains("_ownerid_value")) changes["_ownerid_value"] = json::value(c.owner_id);
  const auto& stored = c.rows.insert(t, std::move(changes), c.now_utc_ms);
  return write_response(c, t, stored, params, prefer_of(headers), 201);
}

http_response erase(table_request_context& c, const table_def& t, const std::string& id,
                    const header_list& headers) {
  const row* current = c.rows.find(t, id);
  if (!current) throw row_not_found(t, id);
  const auto if_match = precondition(headers, "If-Match");
  if (if_match && *if_match != "*" && *if_match != etag_of(*current)) throw version_mismatch();
  c.rows.erase(t, id);
  http_response response;
  response.status = 204;
  return response;
}

}  // namespace

std::optional<http_response> handle_table_request(table_request_context& c, std::string_view method,
                                                  std::string_view path, const params_t& params,
                                                  const header_list& headers,
                                                  std::string_view body) {
  const auto a = resolve(c.rows.tables(), path);
  if (!a) return std::nullopt;
  const auto& t = *a->table;
  if (!a->id) {
    if (method == "GET") return get_collection(c, t, params, headers);
    if (method == "POST") return post(c, t, params, headers, body);
    throw web_error(
        405, "0x80060888",
        "The HTTP method '" + std::string(method) + "' is not allowed on a collection.");
  }
  const auto& id = *a->id;
  if (method == "GET") {
    const auto select = select_only(t, params);
    const row* r = c.rows.find(t, id);
    if (!r) throw row_not_found(t, id);
    return row_response(200, t, *r, select,
                        c.service_root + "$metadata#" + t.entity_set_name + "/$entity");
  }
  if (method == "PATCH") return patch(c, t, id, params, headers, body);
  if (method == "DELETE") return erase(c, t, id, headers);
  throw web_error(405, "0x80060888",
                  "The HTTP method '" + std::string(method) + "' is not allowed on a record.");
}

}  // namespace opencloser::emulator
