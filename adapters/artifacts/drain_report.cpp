#include "adapters/artifacts/drain_report.hpp"

#include <fstream>
#include <stdexcept>

#include "adapters/artifacts/artifact_writer.hpp"
#include "adapters/json/json.hpp"
#include "messages/enums.hpp"

namespace opencloser {

namespace {

json::value str(const nullable<std::string>& v) {
  return v ? json::value{*v} : json::value{};
}

json::value totals_json(const drain_counts& c) {
  json::value t;
  t.set("seen", c.seen);
  t.set("processed", c.processed);
  t.set("deferred", c.deferred);
  t.set("not_started", c.not_started);
  t.set("completed", c.completed);
  t.set("blocked_eligibility", c.blocked_eligibility);
  t.set("blocked_conflict", c.blocked_conflict);
  t.set("blocked_other", c.blocked_other);
  t.set("resume_needed", c.resume_needed);
  t.set("failed", c.failed);
  t.set("no_callable_item", c.no_callable_item);
  return t;
}

json::value item_json(const drain_item_record& i) {
  json::value v;
  v.set("queue_item_id", i.queue_item_id);
  v.set("session_id", str(i.session_id));
  v.set("exit_status", i.outcome);
  v.set("block_reason", str(i.block_reason));
  v.set("final_disposition", str(i.final_disposition));
  v.set("scenario", str(i.scenario));
  v.set("node", i.node);
  return v;
}

/// Every line of `text` (one artifact-encoded value, trailing LF) indented by `pad`.
std::string indented(const std::string& text, const std::string& pad) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    out += pad + text.substr(pos, end - pos);
    pos = end + 1;
    if (pos < text.size()) out += '\n';
  }
  return out;
}

json::value report_without_items(const drain_report_facts& f) {
  const auto& s = *f.summary;
  json::value v;
  v.set("schema_version", drain_report_schema_version);
  v.set("drain_id", f.drain_id);
  v.set("campaign", str(f.campaign));
  v.set("run_mode", f.run_mode);
  v.set("writeback_mode", f.writeback_mode);
  v.set("started_at", f.started_at);
  v.set("ended_at", f.ended_at);
  v.set("cancelled", s.cancelled);
  v.set("exit_status", to_string(s.status));
  v.set("block_reason", str(s.block_reason));
  v.set("message", s.message);
  json::array warnings;
  for (const auto& w : s.warnings) warnings.emplace_back(w);
  v.set("warnings", std::move(warnings));
  v.set("totals", totals_json(s.last.counts));
  json::value dispositions = json::object{};
  const auto& names = enum_names<disposition>::values;
  for (std::size_t i = 0; i < names.size(); ++i)
    dispositions.set(names[i], i < s.dispositions.size() ? s.dispositions[i] : 0);
  v.set("dispositions", std::move(dispositions));
  v.set("items", json::array{});
  const double seconds = static_cast<double>(s.duration_ms) / 1000.0;
  json::value throughput;
  throughput.set("duration_ms", s.duration_ms);
  throughput.set("sessions_per_second",
                 seconds > 0 ? static_cast<double>(s.last.counts.processed) / seconds : 0.0);
  throughput.set("requests_per_second",
                 seconds > 0 ? static_cast<double>(s.http.requests) / seconds : 0.0);
  v.set("throughput", std::move(throughput));
  json::value latency;
  latency.set("session_p50", s.session_p50_ms);
  latency.set("session_p99", s.session_p99_ms);
  latency.set("request_p50", s.request_p50_ms);
  latency.set("request_p99", s.request_p99_ms);
  v.set("latency_ms", std::move(latency));
  json::value http;
  http.set("requests", s.http.requests);
  http.set("writes", s.http.writes);
  http.set("retries", s.http.retries);
  http.set("throttled", s.http.throttled);
  http.set("token_requests", s.http.token_requests);
  http.set("max_in_flight", s.max_in_flight_requests);
  v.set("http", std::move(http));
  json::value c;
  c.set("dop_hint", s.dop_hint ? json::value{*s.dop_hint} : json::value{});
  c.set("initial", s.initial);
  c.set("final", s.final);
  c.set("min", s.min);
  c.set("max", s.max);
  c.set("increases", s.increases);
  c.set("decreases", s.decreases);
  v.set("concurrency", std::move(c));
  json::value coordinator;
  coordinator.set("node", "coordinator");
  coordinator.set("sessions", s.last.counts.processed);
  v.set("workers", json::array{std::move(coordinator)});
  return v;
}

}  // namespace

void write_drain_report(const drain_report_facts& facts,
                        const std::vector<std::filesystem::path>& paths) {
  // The report without items, in the artifact encoding; then `"items": []` is replaced by
  // the items streamed from the journal.
  const auto head = json::write_artifact(report_without_items(facts));
  const std::string marker = "\n  \"items\": [],\n";
  const auto at = head.find(marker);
  if (at == std::string::npos) throw std::logic_error("drain report without an items slot");
  // Streamed: a temporary file beside the first path, renamed into place (atomic, as every
  // artifact); the other paths get a copy of the finished file.
  const auto& target = paths.front();
  std::filesystem::create_directories(target.parent_path().empty() ? "." : target.parent_path());
  const auto temporary = std::filesystem::path(target.string() + ".tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
    out << head.substr(0, at) << "\n  \"items\": [";
    bool first = true;
    facts.for_each_item([&](const drain_item_record& item) {
      out << (first ? "\n" : ",\n") << indented(json::write_artifact(item_json(item)), "    ");
      first = false;
    });
    out << (first ? "],\n" : "\n  ],\n") << head.substr(at + marker.size());
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
  }
  std::filesystem::rename(temporary, target);
  for (std::size_t i = 1; i < paths.size(); ++i) {
    const auto& copy = paths[i];
    if (!copy.parent_path().empty()) std::filesystem::create_directories(copy.parent_path());
    std::filesystem::copy_file(target, copy, std::filesystem::copy_options::overwrite_existing);
  }
}

}  // namespace opencloser
