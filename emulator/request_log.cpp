#include "emulator/request_log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace opencloser::emulator {

header_list redact_headers(const header_list& headers) {
  header_list out = headers;
  for (auto& [name, value] : out)
    if (ascii_iequals(name, "Authorization")) value = "Bearer <redacted>";
  return out;
}

json::value log_entry_json(const log_entry& e) {
  json::object headers;
  for (const auto& [name, value] : e.headers) headers.emplace_back(name, value);
  json::value body;
  if (e.body && !e.body->empty()) {
    try {
      body = json::parse(*e.body);
    } catch (const std::exception&) {
      body = *e.body;
    }
  }
  const auto optional_int = [](const std::optional<std::uint64_t>& v) {
    return v ? json::value(static_cast<std::int64_t>(*v)) : json::value();
  };
  return json::object{
      {"seq", static_cast<std::int64_t>(e.seq)},
      {"at", e.at},
      {"client_id", e.client_id.empty() ? json::value() : json::value(e.client_id)},
      {"method", e.method},
      {"path", e.path},
      {"query", e.query},
      {"headers", std::move(headers)},
      {"body", std::move(body)},
      {"status", e.status == 0 ? json::value() : json::value(e.status)},
      {"fault", e.fault ? json::value(*e.fault) : json::value()},
      {"committed", e.committed},
      {"duration_ms", e.duration_ms},
      {"batch_seq", optional_int(e.batch_seq)},
      {"inner_index", optional_int(e.inner_index)},
  };
}

request_log::request_log(std::size_t capacity, std::optional<std::filesystem::path> file)
    : capacity_(std::max<std::size_t>(capacity, 1)) {
  if (file) {
    file_ = std::fopen(file->c_str(), "a");
    if (!file_)
      throw std::runtime_error("cannot open request log '" + file->string() +
                               "': " + std::strerror(errno));
  }
}

request_log::~request_log() {
  if (file_) std::fclose(file_);
}

void request_log::append(log_entry entry) {
  if (file_) {
    const auto line = json::write_compact(log_entry_json(entry)) + '\n';
    std::fwrite(line.data(), 1, line.size(), file_);
  }
  // A $batch reserves its seq before its operations are logged, so it may arrive late.
  if (entries_.empty() || entries_.back().seq < entry.seq) {
    entries_.push_back(std::move(entry));
  } else {
    const auto at = std::upper_bound(entries_.begin(), entries_.end(), entry.seq,
                                     [](std::uint64_t s, const log_entry& e) { return s < e.seq; });
    entries_.insert(at, std::move(entry));
  }
  if (entries_.size() > capacity_) entries_.pop_front();
}

json::value request_log::since(std::uint64_t since) const {
  json::array out;
  // Entries are in seq order: skip the older ones by binary search.
  const auto first =
      std::upper_bound(entries_.begin(), entries_.end(), since,
                       [](std::uint64_t s, const log_entry& e) { return s < e.seq; });
  for (auto it = first; it != entries_.end(); ++it) out.push_back(log_entry_json(*it));
  return out;
}

void request_log::clear() {
  entries_.clear();
}

void request_log::flush() {
  if (file_) std::fflush(file_);
}

}  // namespace opencloser::emulator
