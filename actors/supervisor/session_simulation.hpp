#pragma once
// One session through the pure domain core, without Dataverse: eligibility → mock call →
// persona → disposition → redaction → write-back plan (domain.md §4). It is what the
// supervisor's actors do step by step; composed here in one function it drives the offline
// `simulate` command, the logic-level conformance tests and the predecessor compatibility
// suite. No I/O: clock, ids, zones and the redactor come in.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/common/utc_ms.hpp"
#include "actors/queue_loader/zone_database.hpp"
#include "actors/redactor/redaction.hpp"
#include "actors/writeback_planner/writeback_plan.hpp"
#include "messages/call.hpp"
#include "messages/queue.hpp"
#include "messages/session.hpp"
#include "messages/settings.hpp"
#include "messages/writeback.hpp"

namespace opencloser {

/// Mints `<prefix>_<32 hex>` ids; injected so tests can make runs reproducible.
using id_source = std::function<std::string(std::string_view prefix)>;

struct session_inputs {
  queue_item item;
  const transport_fixture* transport = nullptr;
  const struct conversation* conversation = nullptr;  ///< optional
  const settings* config = nullptr;
  const zone_database* zones = nullptr;
  const transcript_redactor* redactor = nullptr;
  const product_clock* clock = nullptr;
  task_owner_choice owners;
  run_mode mode = run_mode::dry_run;
  id_source ids;
};

struct session_run {
  session_record session;
  eligibility_decision decision;
  nullable<call_outcome> call;  ///< absent on the blocked path
  normalized_result result;
  writeback_plan plan;
  nullable<std::string> transcript_file;  ///< redacted transcript.txt bytes, if written
  std::vector<local_idempotency_key> keys;
  std::int64_t attempts_after = 0;
  std::vector<data_quality_warning> warnings;  ///< session-level data-quality warnings
};

session_run simulate_session(const session_inputs& in);

/// The usual wiring: task owners from `[task_owners]`, random ids.
session_inputs offline_inputs(const queue_item& item, const transport_fixture& transport,
                              const struct conversation* conversation, const settings& config,
                              const zone_database& zones, const transcript_redactor& redactor,
                              const product_clock& clock, run_mode mode);

/// `non_e164_phone` when a non-empty phone does not match `^\+[1-9][0-9]{1,14}$`.
std::optional<data_quality_warning> phone_warning(const queue_item& item);

}  // namespace opencloser
