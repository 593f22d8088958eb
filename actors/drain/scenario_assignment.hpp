#pragma once
// Which fixture scenario drives a drained row's mock call (fixtures.md §4): an explicit
// `assign` entry, else a deterministic weighted pick from the row's GUID, so the same seed and
// mix give every row the same scenario on every run and on every node. Pure: no I/O, no CAF.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace opencloser {

/// One `mix` entry: a scenario name and its positive weight.
struct weighted_scenario {
  std::string name;
  std::int64_t weight = 0;
  bool operator==(const weighted_scenario&) const = default;
};

/// Parses `--scenario-mix` (cli.md §5): `name=weight[,name=weight…]`; ASCII spaces around names
/// and weights are ignored. Names are non-empty, weights positive integers, no name twice.
/// Throws std::invalid_argument with a one-line message naming the bad part.
std::vector<weighted_scenario> parse_scenario_mix(std::string_view spec);

/// Checks a mix built elsewhere (a plan file) by the same rules as parse_scenario_mix, plus a
/// total weight that fits in int64 (the modulus of the pick). Throws std::invalid_argument.
void check_scenario_mix(const std::vector<weighted_scenario>& mix);

/// FNV-1a 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3) of the bytes.
std::uint64_t fnv1a64(std::string_view bytes);

/// The assignment rule of fixtures.md §4.
class scenario_assigner {
 public:
  /// `mix` may be empty (only assigned rows start); otherwise check_scenario_mix applies.
  /// `assign` keys are GUIDs (lower-cased here again, so any case works).
  scenario_assigner(std::vector<weighted_scenario> mix, std::map<std::string, std::string> assign,
                    std::string seed);

  /// The `assign` entry of the row (GUID compared case-insensitively) if any; else the first
  /// mix entry (document order) whose cumulative weight exceeds
  /// fnv1a64("<seed>:<lower-case GUID>") mod (sum of weights); nullopt when the row has no
  /// entry and there is no mix (the row is not started: warning `unassigned_row`).
  std::optional<std::string> assign(std::string_view queue_item_id) const;

 private:
  std::vector<weighted_scenario> mix_;
  /// Running totals of mix_ weights: the pick is the first index whose total exceeds r.
  std::vector<std::uint64_t> cumulative_;
  std::map<std::string, std::string, std::less<>> assign_;
  std::string seed_;
};

}  // namespace opencloser
