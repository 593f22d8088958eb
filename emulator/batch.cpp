#include "emulator/batch.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "adapters/json/json.hpp"

namespace opencloser::emulator {

namespace {

using dataverse::ascii_iequals;
using dataverse::batch_format_error;
using dataverse::trim_blanks;

constexpr std::string_view service_root_path = "/api/data/v9.2/";

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// ---- request side ----

/// The operation of an `application/http` part, with its Content-ID.
batch_operation parse_operation(const dataverse::mime_part& part, const std::string& where) {
  auto op = dataverse::read_request_message(part.content, where);

  // Early OData clients put Content-ID among the request headers; the MIME header wins.
  auto content_id = find_header(part.headers, "Content-ID");
  if (!content_id) content_id = find_header(op.headers, "Content-ID");
  if (content_id) {
    if (content_id->empty()) throw batch_format_error(where + ": empty Content-ID");
    op.content_id = std::string(*content_id);
  }
  return op;
}

std::vector<batch_part> parse_batch_text(std::string_view content_type, std::string_view body) {
  std::string boundary;
  try {
    boundary = dataverse::multipart_boundary(content_type);
  } catch (const batch_format_error& e) {
    throw batch_format_error(std::string("Invalid $batch Content-Type: ") + e.what());
  }
  std::vector<batch_part> out;
  std::size_t total = 0;
  const auto count_operation = [&total] {
    if (++total > max_batch_operations)
      throw batch_format_error("The $batch request contains more than " +
                               std::to_string(max_batch_operations) + " operations.");
  };

  std::vector<std::string_view> parts;
  try {
    parts = dataverse::split_multipart(body, boundary);
  } catch (const batch_format_error& e) {
    throw batch_format_error(std::string("Malformed $batch body: ") + e.what());
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto where = "$batch part " + std::to_string(i + 1);
    const auto part = dataverse::split_part_headers(parts[i], where);
    dataverse::check_transfer_encoding(part, where);
    const auto type = dataverse::part_media_type(part, where);
    if (type.type == "application/http") {
      count_operation();
      out.push_back(batch_part{false, {parse_operation(part, where)}});
      continue;
    }
    if (type.type != "multipart/mixed")
      throw batch_format_error(where + ": unsupported part Content-Type '" + type.type + "'");

    const auto cs_boundary = type.param("boundary");
    if (!cs_boundary || !dataverse::is_valid_boundary(*cs_boundary))
      throw batch_format_error(where + ": change set without a valid boundary");
    batch_part changeset{true, {}};
    std::set<std::string, std::less<>> content_ids;
    std::vector<std::string_view> inner;
    try {
      inner = dataverse::split_multipart(part.content, *cs_boundary);
    } catch (const batch_format_error& e) {
      throw batch_format_error(where + ": malformed change set: " + e.what());
    }
    for (std::size_t j = 0; j < inner.size(); ++j) {
      const auto inner_where = where + ", change set part " + std::to_string(j + 1);
      const auto inner_part = dataverse::split_part_headers(inner[j], inner_where);
      dataverse::check_transfer_encoding(inner_part, inner_where);
      const auto inner_type = dataverse::part_media_type(inner_part, inner_where);
      if (inner_type.type == "multipart/mixed")
        throw batch_format_error(inner_where + ": change sets cannot be nested");
      if (inner_type.type != "application/http")
        throw batch_format_error(inner_where + ": unsupported part Content-Type '" +
                                 inner_type.type + "'");
      count_operation();
      auto op = parse_operation(inner_part, inner_where);
      if (op.method == "GET")
        throw batch_format_error(inner_where +
                                 ": GET requests are not allowed inside a change set");
      if (op.content_id && !content_ids.insert(*op.content_id).second)
        throw batch_format_error(inner_where + ": Content-ID '" + *op.content_id +
                                 "' is repeated in the change set");
      changeset.operations.push_back(std::move(op));
    }
    if (changeset.operations.empty())
      throw batch_format_error(where + ": the change set has no operations");
    out.push_back(std::move(changeset));
  }
  return out;
}

// ---- running ----

/// Content-IDs declared so far in the current change set → the entity URL of their result
/// (nullopt when the result named no entity).
using reference_context = std::vector<std::pair<std::string, std::optional<std::string>>>;

struct reference_match {
  std::string name;       ///< `$<n>`
  std::string_view rest;  ///< what follows it (`/…`, `?…` or nothing)
};

/// `$<digits>` at the start of `text`, followed by nothing, `/` or `?`.
std::optional<reference_match> match_reference(std::string_view text) {
  if (text.size() < 2 || text[0] != '$' || !is_digit(text[1])) return std::nullopt;
  std::size_t end = 1;
  while (end < text.size() && is_digit(text[end])) ++end;
  if (end < text.size() && text[end] != '/' && text[end] != '?') return std::nullopt;
  return reference_match{std::string(text.substr(0, end)), text.substr(end)};
}

struct undeclared_reference {
  std::string name;
};

/// The entity URL `ref` stands for; throws undeclared_reference when there is none.
const std::string& lookup_reference(const reference_match& ref, const reference_context* context) {
  if (context) {
    const std::string_view id = std::string_view(ref.name).substr(1);
    for (const auto& [declared, url] : *context)
      if (declared == id && url) return *url;
  }
  throw undeclared_reference{ref.name};
}

/// Rewrites `$n` values of top-level `…@odata.bind` members; leaves the text alone unless
/// one was replaced (and when it is not JSON: the executor reports that).
void resolve_bind_references(std::string& body, const reference_context* context) {
  if (body.find("@odata.bind") == std::string::npos || body.find("\"$") == std::string::npos)
    return;
  json::value doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error&) {
    return;
  }
  if (!doc.is_object()) return;
  bool changed = false;
  const auto resolve = [&](const json::value& v) -> json::value {
    const auto ref = v.is_string() ? match_reference(v.as_string()) : std::nullopt;
    if (!ref) return v;
    changed = true;
    return json::value(lookup_reference(*ref, context) + std::string(ref->rest));
  };
  // Rebuilt through the const accessors: the document is small and order is kept.
  json::object rewritten;
  for (const auto& [key, v] : std::as_const(doc).as_object()) {
    if (!std::string_view(key).ends_with("@odata.bind")) {
      rewritten.emplace_back(key, v);
    } else if (v.is_array()) {
      json::array items;
      for (const auto& item : v.as_array()) items.push_back(resolve(item));
      rewritten.emplace_back(key, json::value(std::move(items)));
    } else {
      rewritten.emplace_back(key, resolve(v));
    }
  }
  if (changed) body = json::write_compact(json::value(std::move(rewritten)));
}

/// The URL a later `$n` stands for: `OData-EntityId`, else `Location`, else the request's
/// own URL when it addresses one entity (`…(<key>)`, e.g. a PATCH or DELETE).
std::optional<std::string> entity_url_of(const operation_result& result,
                                         std::string_view request_url) {
  if (const auto id = find_header(result.headers, "OData-EntityId"); id && !id->empty())
    return std::string(*id);
  if (const auto loc = find_header(result.headers, "Location"); loc && !loc->empty())
    return std::string(*loc);
  const auto path = request_url.substr(0, request_url.find('?'));
  if (!path.empty() && path.back() == ')') return std::string(path);
  return std::nullopt;
}

bool failed(const operation_result& r) {
  return r.status >= 400;
}

void append_operation_part(std::string& out, std::string_view boundary, const operation_result& r,
                           const std::optional<std::string>& content_id) {
  const auto status_line = "HTTP/1.1 " + std::to_string(r.status) + " " +
                           std::string(dataverse::reason_phrase(r.status));
  dataverse::append_http_part(out, boundary, content_id, status_line, r.headers, r.body);
}

class batch_runner {
 public:
  batch_runner(bool continue_on_error, const batch_executor& exec)
      : continue_on_error_(continue_on_error),
        exec_(exec),
        boundary_("batchresponse_" + exec.new_boundary_id()) {}

  batch_response run(const std::vector<batch_part>& parts) {
    for (const auto& part : parts) {
      const bool keep_going = part.is_changeset ? run_changeset(part) : run_single(part);
      if (!keep_going) return *stopped_;
    }
    dataverse::append_close_delimiter(body_, boundary_);
    return {200, content_type(), std::move(body_)};
  }

 private:
  std::string content_type() const { return "multipart/mixed; boundary=" + boundary_; }

  struct executed {
    operation_result result;
    std::string url;  ///< the URL it ran with, references resolved
  };

  /// Runs one operation, with its references resolved against `context`.
  executed execute(const batch_operation& op, const reference_context* context) {
    const auto index = next_index_++;
    batch_operation resolved = op;
    try {
      if (const auto ref = match_reference(resolved.url))
        resolved.url = lookup_reference(*ref, context) + std::string(ref->rest);
      resolve_bind_references(resolved.body, context);
    } catch (const undeclared_reference& u) {
      return {error_result(bad_request("Content-ID Reference: '" + u.name +
                                       "' does not exist in the batch context.")),
              op.url};
    }
    try {
      return {exec_.execute(resolved, index), std::move(resolved.url)};
    } catch (const web_error& e) {
      return {error_result(e), std::move(resolved.url)};
    }
  }

  /// Ends the batch with one failure part; returns false for the caller to stop.
  bool stop(const operation_result& r, const std::optional<std::string>& content_id) {
    std::string body;
    append_operation_part(body, boundary_, r, content_id);
    dataverse::append_close_delimiter(body, boundary_);
    stopped_ = batch_response{r.status, content_type(), std::move(body)};
    return false;
  }

  bool run_single(const batch_part& part) {
    for (const auto& op : part.operations) {
      const auto result = execute(op, nullptr).result;
      if (failed(result) && !continue_on_error_) return stop(result, op.content_id);
      append_operation_part(body_, boundary_, result, op.content_id);
    }
    return true;
  }

  bool run_changeset(const batch_part& part) {
    if (exec_.begin_changeset) exec_.begin_changeset();
    reference_context context;
    std::vector<operation_result> results;
    std::optional<std::size_t> failed_at;
    try {
      for (std::size_t i = 0; i < part.operations.size(); ++i) {
        const auto& op = part.operations[i];
        auto [result, url] = execute(op, &context);
        if (failed(result)) {
          failed_at = i;
          results.push_back(std::move(result));
          break;
        }
        if (op.content_id) context.emplace_back(*op.content_id, entity_url_of(result, url));
        results.push_back(std::move(result));
      }
    } catch (...) {
      if (exec_.rollback_changeset) exec_.rollback_changeset();
      throw;
    }

    if (failed_at) {
      if (exec_.rollback_changeset) exec_.rollback_changeset();
      next_index_ += part.operations.size() - *failed_at - 1;  // skipped ones keep their positions
      const auto& op = part.operations[*failed_at];
      if (!continue_on_error_) return stop(results.back(), op.content_id);
      append_operation_part(body_, boundary_, results.back(), op.content_id);
      return true;
    }

    if (exec_.commit_changeset) exec_.commit_changeset();
    const auto inner = "changesetresponse_" + exec_.new_boundary_id();
    dataverse::append_changeset_open(body_, boundary_, inner);
    for (std::size_t i = 0; i < results.size(); ++i)
      append_operation_part(body_, inner, results[i], part.operations[i].content_id);
    dataverse::append_close_delimiter(body_, inner);
    return true;
  }

  bool continue_on_error_;
  const batch_executor& exec_;
  std::string boundary_;
  std::string body_;
  std::size_t next_index_ = 0;
  std::optional<batch_response> stopped_;
};

}  // namespace

std::vector<batch_part> parse_batch(std::string_view content_type, std::string_view body) {
  try {
    return parse_batch_text(content_type, body);
  } catch (const batch_format_error& e) {
    throw bad_request(e.what());
  }
}

operation_result error_result(const web_error& error) {
  const json::value doc(
      json::object{{"error", json::value(json::object{{"code", json::value(error.code)},
                                                      {"message", json::value(error.what())}})}});
  return operation_result{
      error.status,
      {{"Content-Type", "application/json; odata.metadata=minimal"}, {"OData-Version", "4.0"}},
      json::write_compact(doc)};
}

batch_response run_batch(const std::vector<batch_part>& parts, bool continue_on_error,
                         const batch_executor& exec) {
  return batch_runner(continue_on_error, exec).run(parts);
}

bool prefers_continue_on_error(std::string_view prefer_header) {
  std::size_t pos = 0;
  while (pos <= prefer_header.size()) {
    const auto comma = std::min(prefer_header.find(',', pos), prefer_header.size());
    auto pref = trim_blanks(prefer_header.substr(pos, comma - pos));
    pref = trim_blanks(pref.substr(0, pref.find(';')));  // preference parameters do not matter here
    const auto eq = pref.find('=');
    const auto name = trim_blanks(pref.substr(0, eq));
    if (ascii_iequals(name, "odata.continue-on-error") ||
        ascii_iequals(name, "continue-on-error")) {
      if (eq == std::string_view::npos) return true;
      auto value = trim_blanks(pref.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      return ascii_iequals(value, "true");
    }
    pos = comma + 1;
  }
  return false;
}

std::optional<std::string> service_relative_url(std::string_view url) {
  std::string_view path = url;
  const auto scheme = url.find("://");
  const bool absolute =
      scheme != std::string_view::npos && scheme > 0 &&
      std::all_of(url.begin(), url.begin() + static_cast<std::ptrdiff_t>(scheme), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      });
  if (absolute) {
    const auto slash = url.find('/', scheme + 3);
    path = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
  }
  if (!path.starts_with('/')) return std::string(path);
  if (path.starts_with(service_root_path))
    return std::string(path.substr(service_root_path.size()));
  if (path == service_root_path.substr(0, service_root_path.size() - 1)) return std::string();
  return std::nullopt;
}

}  // namespace opencloser::emulator
