// The product's metadata verification (dataverse.md §3.2) against the emulator's answers over
// HTTP: the acme mapping verifies against the demo seed, and what the emulator does not have is
// reported as missing. The requests are the product's own builders' (relative_url as sent).

#include "adapters/dataverse/metadata_verifier.hpp"
#include "adapters/mapping/mapping_artifact.hpp"
#include "tests/emulator/http_test_client.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser;
using namespace opencloser::emulator::http_testing;
using Catch::Contains;

namespace {

/// Runs the verifier to its report, fetching every request it asks for from the emulator.
dataverse::verification_step verify(const running_emulator& emu, const mapping_artifact& mapping) {
  auto client = emu.client();
  dataverse::metadata_answers answers;
  for (int round = 0; round < 10; ++round) {
    auto step = dataverse::verify_metadata(mapping, true, answers, "2026-05-22T19:00:00.000Z");
    if (step.needed.empty()) return step;
    for (const auto& request : step.needed) {
      const auto reply = client.get("/api/data/v9.2/" + request.relative_url);
      INFO(request.relative_url << " → " << reply.status << " " << reply.body);
      REQUIRE((reply.status == 200 || reply.status == 404));
      answers[request.relative_url] = {reply.status,
                                       reply.status == 200 ? reply.json() : json::value()};
    }
  }
  FAIL("the verifier kept asking for more requests");
  return {};
}

}  // namespace

TEST_CASE("the acme mapping verifies against the demo seed over HTTP", "[http][verification]") {
  running_emulator emu;
  const auto mapping = load_mapping_artifact(testing::fixture("emulator/acme_mapping.json"));
  const auto step = verify(emu, mapping);
  REQUIRE(step.report);
  INFO(json::write_compact(dataverse::to_json(*step.report)));
  CHECK(step.report->ok);
  CHECK(step.report->missing.empty());
  REQUIRE(step.resolved);
}

TEST_CASE("verification over HTTP names a column and a table the emulator lacks",
          "[http][verification]") {
  running_emulator emu;
  auto doc = json::parse(testing::read_file(testing::fixture("emulator/acme_mapping.json")));
  auto& fields = doc.as_object();
  for (auto& [key, value] : fields) {
    if (key == "fields")
      for (auto& [field, spec] : value.as_object())
        if (field == "queue.phone") spec.set("logical_name", "acme_no_such_column");
    if (key == "entities")
      for (auto& [entity, spec] : value.as_object())
        if (entity == "task") spec.set("logical_name", "acme_no_such_table");
  }
  const auto step = verify(emu, mapping_from_json(doc));
  REQUIRE(step.report);
  CHECK_FALSE(step.report->ok);
  const auto missing = json::write_compact(dataverse::to_json(*step.report));
  CHECK_THAT(missing, Contains("acme_no_such_column") && Contains("acme_no_such_table"));
}

TEST_CASE(
    "the shipped config/dataverse_mapping.json is approved and verifies against "
    "config/emulator-seed.json",
    "[http][verification]") {
  const std::string config = std::string(OPENCLOSER_TEST_FIXTURES) + "/../../config/";
  emulator::emulator_options options;
  options.seeds = {config + "emulator-seed.json"};
  running_emulator emu(options);
  const auto mapping = load_mapping_artifact(config + "dataverse_mapping.json");
  CHECK(mapping.meta.approved);
  CHECK(mapping_readiness_error(mapping, true) == std::nullopt);
  const auto step = verify(emu, mapping);
  REQUIRE(step.report);
  INFO(json::write_compact(dataverse::to_json(*step.report)));
  CHECK(step.report->ok);
}
