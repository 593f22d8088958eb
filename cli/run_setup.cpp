#include "cli/run_setup.hpp"

#include "actors/common/ids.hpp"
#include "actors/redactor/redaction.hpp"
#include "adapters/config/config_loader.hpp"
#include "adapters/mapping/mapping_artifact.hpp"
#include "adapters/process/sha256.hpp"
#include "adapters/state/state_journal.hpp"
#include "cli/logging_setup.hpp"
#include "cli/output.hpp"

namespace opencloser::cli {

run_setup prepare(const common_options& o) {
  run_setup s;
  try {
    configure_logging(o.log_level);
  } catch (const std::exception& e) {
    throw usage_error(e.what());
  }
  try {
    s.config = load_settings(o.config, o.slice2_config, process_env);
  } catch (const std::exception& e) {
    throw usage_error(e.what());
  }
  if (auto frozen = process_env("OPENCLOSER_CLOCK_NOW")) {
    const auto ms = parse_utc_ms(*frozen);
    if (!ms) throw usage_error("OPENCLOSER_CLOCK_NOW is not a UtcMs timestamp: " + *frozen);
    s.clock = product_clock(ms);
    s.run_warnings.push_back(
        {"clock_overridden", "OPENCLOSER_CLOCK_NOW", "the product clock is frozen at " + *frozen});
  }
  if (auto crash_at = process_env("OPENCLOSER_TEST_CRASH_AT")) {
    try {
      s.hook = crash_hook::parse(*crash_at);
    } catch (const std::exception& e) {
      throw usage_error(e.what());
    }
    if (s.hook.armed()) warning_line(s.hook.notice());
  }
  s.mapping_path = o.mapping.empty() ? s.config.mapping_artifact : o.mapping;
  s.artifacts_dir = o.artifacts_dir.empty() ? s.config.artifacts_dir : o.artifacts_dir;
  const bool from_flag = !o.state_db.empty();
  try {
    const auto choice =
        choose_state_database(from_flag ? o.state_db : s.config.state_db,
                              from_flag ? state_db_source::flag : state_db_source::config);
    if (choice.notice) warning_line(*choice.notice);
    s.state_db = choice.file;
  } catch (const std::exception& e) {
    throw usage_error(e.what());
  }
  return s;
}

/// Readiness through the connection's gateway (dataverse.md §3.1).
readiness_result readiness(const run_setup& s, dataverse_connection& dataverse,
                           bool needs_selection) {
  readiness_inputs in;
  in.config = &s.config;
  in.mapping_path = s.mapping_path;
  try {
    in.mapping = load_mapping_artifact(s.mapping_path);
    in.mapping_sha256 = sha256_file_hex(s.mapping_path);
  } catch (const std::exception& e) {
    in.mapping.reset();
    // The loader's messages already carry the readiness prefix; the detail goes on.
    constexpr std::string_view prefix = "mapping artifact error: ";
    const std::string what = e.what();
    in.mapping_error = what.starts_with(prefix) ? what.substr(prefix.size()) : what;
  }
  try {
    in.redaction_patterns_empty = transcript_redactor::compile(s.config.redaction).patterns_empty();
  } catch (const std::exception& e) {
    in.redaction_error = e.what();
  }
  in.needs_selection = needs_selection;
  in.emulated = dataverse.emulated();
  in.env_url = dataverse.env_url();
  in.checked_at = s.clock.now_utc_ms();
  auto result =
      check_readiness(in, [&](const dataverse_call& call) { return dataverse.call(call); });
  if (result.context)
    for (const auto& w : s.run_warnings) result.context->warnings.push_back(w);
  return result;
}

supervisor_config supervisor_config_for(run_setup& s, dataverse_connection& dataverse,
                                        run_context context, run_mode mode, std::string command,
                                        std::shared_ptr<state_journal> journal,
                                        const zone_database& zones) {
  supervisor_config sc;
  sc.config = s.config;
  sc.context = std::make_shared<run_context>(std::move(context));
  sc.gateway = dataverse.gateway();
  sc.service_root_url = dataverse.env_url() + "/api/data/v9.2/";
  sc.zones = &zones;
  sc.clock = s.clock;
  sc.journal = std::move(journal);
  sc.artifacts_dir = s.artifacts_dir;
  sc.redactor =
      std::make_shared<const transcript_redactor>(transcript_redactor::compile(s.config.redaction));
  sc.mode = mode;
  sc.run_id = mint_id("run");
  sc.command = std::move(command);
  sc.hook = &s.hook;
  return sc;
}

}  // namespace opencloser::cli
