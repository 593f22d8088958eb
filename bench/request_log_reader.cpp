#include "bench/request_log_reader.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "adapters/dataverse/odata_encoding.hpp"
#include "adapters/json/json.hpp"

namespace opencloser::bench {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_version_etag(std::string_view v) {
  if (!v.starts_with("W/\"") || !v.ends_with("\"") || v.size() < 5) return false;
  const auto digits = v.substr(3, v.size() - 4);
  return std::all_of(digits.begin(), digits.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

/// `If-Match: W/"123"` lines inside a `$batch` body become `If-Match: *`.
void rewrite_batch_if_match(std::string& body) {
  static constexpr std::string_view header = "If-Match: ";
  for (auto at = body.find(header); at != std::string::npos; at = body.find(header, at + 1)) {
    const auto value_at = at + header.size();
    const auto end = body.find_first_of("\r\n", value_at);
    const auto value = std::string_view(body).substr(value_at, end - value_at);
    if (is_version_etag(value)) body.replace(value_at, value.size(), "*");
  }
}

bool is_guid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : std::isxdigit(static_cast<unsigned char>(s[i])) == 0) return false;
  }
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// The record a top-level POST creates: the GUID in its body's own id member (the product
/// sends deterministic record ids, dataverse.md §6); `@odata.bind` members name other records.
std::string created_id(const replay_request& r, const json::value& body) {
  if (r.method != "POST" || !body.is_object()) return {};
  for (const auto& [name, value] : body.as_object())
    if (name.find('@') == std::string::npos && name.ends_with("id") && value.is_string() &&
        is_guid(value.as_string()))
      return lower(value.as_string());
  return {};
}

/// The GUID addressed by `<set>(<guid>)` in a decoded path, if any.
std::string addressed_id(const std::string& path) {
  const auto open = path.find('(');
  const auto close = path.find(')', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return {};
  const auto id = path.substr(open + 1, close - open - 1);
  return is_guid(id) ? lower(id) : std::string();
}

std::string encode_query(const std::string& query) {
  std::string out;
  std::size_t start = 0;
  while (start <= query.size()) {
    const auto end = std::min(query.find('&', start), query.size());
    const auto segment = query.substr(start, end - start);
    if (!segment.empty()) {
      if (!out.empty()) out.push_back('&');
      const auto eq = segment.find('=');
      out += dataverse::percent_encode(segment.substr(0, eq));
      if (eq != std::string::npos) {
        out.push_back('=');
        out += dataverse::percent_encode(segment.substr(eq + 1));
      }
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

recorded_sequence read_request_log(const std::filesystem::path& log,
                                   const replay_rewrite& rewrite) {
  std::ifstream in(log, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the request log " + log.string());
  struct numbered {
    std::int64_t seq;
    replay_request request;
    std::string creates;    ///< record id a POST creates
    std::string addresses;  ///< record id in the path
  };
  std::vector<numbered> kept;
  recorded_sequence out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto entry = json::parse(line);
    const auto* path = entry.find("path");
    if (!path || !path->is_string()) continue;
    if (path->as_string() == "token") {
      ++out.token_requests;
      continue;
    }
    if (const auto* inner = entry.find("inner_index"); inner && !inner->is_null()) {
      ++out.batch_operations;
      continue;
    }
    replay_request r;
    r.method = entry.find("method")->as_string();
    r.target = "/api/data/v9.2/" + dataverse::percent_encode(path->as_string());
    if (const auto* q = entry.find("query"); q && q->is_string() && !q->as_string().empty())
      r.target += "?" + encode_query(q->as_string());
    std::string old_origin;
    if (const auto* headers = entry.find("headers"); headers && headers->is_object()) {
      for (const auto& [name, value] : headers->as_object()) {
        if (!value.is_string()) continue;
        if (iequals(name, "Host")) {
          old_origin = "http://" + value.as_string();
          continue;
        }
        if (iequals(name, "Authorization") || iequals(name, "Content-Length")) continue;
        std::string v = value.as_string();
        if (rewrite.if_match_any && iequals(name, "If-Match") && is_version_etag(v)) v = "*";
        r.headers.emplace_back(name, std::move(v));
      }
    }
    std::string creates;
    if (const auto* body = entry.find("body"); body && !body->is_null()) {
      r.body = body->is_string() ? body->as_string() : json::write_compact(*body);
      creates = created_id(r, *body);
    }
    // A `$batch` names its operations by absolute URL on the recorded emulator's origin.
    if (!old_origin.empty() && !rewrite.new_origin.empty())
      replace_all(r.body, old_origin, rewrite.new_origin);
    if (rewrite.if_match_any && r.target.find("$batch") != std::string::npos)
      rewrite_batch_if_match(r.body);
    if (const auto* status = entry.find("status"); status && status->is_int())
      ++out.recorded_statuses[static_cast<int>(status->as_int())];
    kept.push_back({entry.find("seq")->as_int(), std::move(r), std::move(creates),
                    addressed_id(path->as_string())});
  }
  // A `$batch` reserves its seq before its operations are logged, so lines may be out of order.
  std::stable_sort(kept.begin(), kept.end(),
                   [](const numbered& a, const numbered& b) { return a.seq < b.seq; });
  out.requests.reserve(kept.size());
  std::unordered_map<std::string, std::int64_t> creator;  // record id → index of its POST
  for (auto& k : kept) {
    const auto index = static_cast<std::int64_t>(out.requests.size());
    if (!k.addresses.empty())
      if (auto it = creator.find(k.addresses); it != creator.end()) {
        k.request.after = it->second;
        ++out.ordered_after_create;
      }
    if (!k.creates.empty()) creator.emplace(k.creates, index);
    out.requests.push_back(std::move(k.request));
  }
  return out;
}

}  // namespace opencloser::bench
