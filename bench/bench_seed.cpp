#include "bench/bench_seed.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "adapters/json/json.hpp"

namespace opencloser::bench {

void write_bench_seed(const std::filesystem::path& shipped_seed, std::int64_t rows,
                      const std::filesystem::path& out) {
  std::ifstream in(shipped_seed, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the seed " + shipped_seed.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto seed = json::parse(text.str());

  // The hand-written rows are the demo's scenarios (a do-not-call row, a row without a time
  // zone…); without them every row of the campaign is a generated, callable one.
  json::value rows_object = seed.find("rows") ? *seed.find("rows") : json::value(json::object{});
  rows_object.set("acme_callqueue", json::array{});
  seed.set("rows", std::move(rows_object));

  const auto* generate = seed.find("generate");
  if (!generate || !generate->is_array())
    throw std::runtime_error(shipped_seed.string() + " has no `generate` entry to rescale");
  json::array entries;
  bool found = false;
  for (const auto& entry : generate->as_array()) {
    const auto* table = entry.find("table");
    if (!found && table && table->is_string() && table->as_string() == "acme_callqueue") {
      found = true;
      auto scaled = entry;
      scaled.set("count", rows);
      json::value tmpl = scaled.find("template") ? *scaled.find("template") : json::value();
      // Seven digits keep every phone number E.164 (11 digits) up to 10 million rows; the
      // shipped four-digit template is sized for the demo's 20.
      tmpl.set("acme_phone", "+1555{{n:7}}");
      tmpl.set("_acme_campaignid_value", std::string(bench_campaign));
      scaled.set("template", std::move(tmpl));
      entries.push_back(std::move(scaled));
    }
  }
  if (!found)
    throw std::runtime_error(shipped_seed.string() + " has no acme_callqueue `generate` entry");
  seed.set("generate", std::move(entries));

  std::ofstream os(out, std::ios::binary | std::ios::trunc);
  os << json::write_compact(seed);
  if (!os) throw std::runtime_error("cannot write the seed " + out.string());
}

}  // namespace opencloser::bench
