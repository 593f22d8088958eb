#include "cli/discover_command.hpp"

#include <iostream>

#include "actors/common/utc_ms.hpp"
#include "actors/dataverse_gateway/dataverse_calls.hpp"
#include "adapters/config/config_loader.hpp"
#include "adapters/dataverse/metadata_verifier.hpp"
#include "adapters/mapping/mapping_artifact.hpp"
#include "adapters/mapping/mapping_writer.hpp"
#include "cli/logging_setup.hpp"
#include "cli/output.hpp"

namespace opencloser::cli {

namespace {

/// Runs the verifier to its report, fetching what it asks for through the gateway. A failure
/// other than 2xx/404 propagates (never downgraded to "missing", dataverse.md §3.2).
dataverse::verification_step verify(dataverse_connection& dataverse,
                                    const mapping_artifact& mapping, bool link_regarding,
                                    const std::string& now) {
  dataverse::metadata_answers answers;
  while (true) {
    auto step = dataverse::verify_metadata(mapping, link_regarding, answers, now);
    if (step.needed.empty()) return step;
    for (const auto& request : step.needed) {
      auto reply = dataverse.call(call_of(request));
      if (reply.outcome == dataverse_outcome::success)
        answers[request.relative_url] = {reply.status, json::parse(reply.body)};
      else if (reply.status == 404)
        answers[request.relative_url] = {404, json::value()};
      else
        throw std::runtime_error(reply.message);
    }
  }
}

}  // namespace

int run_discover(const discover_options& o) {
  try {
    configure_logging(o.log_level);
    const auto config = load_settings(o.config, o.slice2_config, process_env);
    product_clock clock;
    if (auto frozen = process_env("OPENCLOSER_CLOCK_NOW")) {
      const auto ms = parse_utc_ms(*frozen);
      if (!ms)
        throw std::runtime_error("OPENCLOSER_CLOCK_NOW is not a UtcMs timestamp: " + *frozen);
      clock = product_clock(ms);
    }
    const std::string scaffold_path = o.mapping.empty() ? config.mapping_artifact : o.mapping;
    const auto scaffold = load_mapping_artifact(scaffold_path);
    const bool link_regarding = config.writeback.link_regarding;
    const auto now = clock.now_utc_ms();
    dataverse::verification_step step;
    {
      dataverse_connection dataverse(config, o.connection);
      try {
        step = verify(dataverse, scaffold, link_regarding, now);
      } catch (const std::exception& e) {
        throw std::runtime_error(std::string("discovery failed: metadata discovery failed - ") +
                                 e.what());
      }
    }
    if (!step.report->ok) {
      std::string missing;
      for (const auto& item : step.report->missing) missing += (missing.empty() ? "" : "; ") + item;
      throw std::runtime_error(
          "discovery failed: metadata discovery failed - unverifiable mapping: " + missing);
    }
    const std::string out = o.out.empty() ? scaffold_path : o.out;
    write_discovered_mapping(
        out, discovered_mapping_json(scaffold, *step.resolved, link_regarding, now));
    // The predecessor's layout, exempt from the 23-column rule (cli.md §3).
    std::cout << "discovered:  " << out << '\n'
              << "approved:    false (flip to true on PR review)\n"
              << "discovered_at: " << now << '\n';
    return 0;
  } catch (const std::exception& e) {
    error_line(e.what());
    return 2;
  }
}

}  // namespace opencloser::cli
