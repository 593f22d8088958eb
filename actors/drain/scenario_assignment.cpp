#include "actors/drain/scenario_assignment.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>

#include "actors/common/ids.hpp"

namespace opencloser {

namespace {

constexpr std::uint64_t fnv_offset_basis = 0xcbf29ce484222325ULL;
constexpr std::uint64_t fnv_prime = 0x100000001b3ULL;

/// FNV-1a is a byte stream: continuing a hash lets the key "<seed>:<guid>" be hashed without
/// building the string for every row.
std::uint64_t fnv1a64_continue(std::uint64_t hash, std::string_view bytes) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= fnv_prime;
  }
  return hash;
}

std::string_view trim_ascii_spaces(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

}  // namespace

std::uint64_t fnv1a64(std::string_view bytes) {
  return fnv1a64_continue(fnv_offset_basis, bytes);
}

void check_scenario_mix(const std::vector<weighted_scenario>& mix) {
  std::set<std::string_view> seen;
  std::uint64_t total = 0;
  for (const auto& entry : mix) {
    if (entry.name.empty()) throw std::invalid_argument("scenario mix: a scenario name is empty");
    if (!seen.insert(entry.name).second)
      throw std::invalid_argument("scenario mix: scenario '" + entry.name + "' appears twice");
    if (entry.weight <= 0)
      throw std::invalid_argument("scenario mix: weight of '" + entry.name +
                                  "' must be a positive integer");
    total += static_cast<std::uint64_t>(entry.weight);
    if (total > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw std::invalid_argument("scenario mix: the weights add up to more than 2^63-1");
  }
}

std::vector<weighted_scenario> parse_scenario_mix(std::string_view spec) {
  if (trim_ascii_spaces(spec).empty()) throw std::invalid_argument("scenario mix is empty");
  std::vector<weighted_scenario> mix;
  std::size_t start = 0;
  while (true) {
    const auto comma = spec.find(',', start);
    const auto part =
        spec.substr(start, comma == std::string_view::npos ? spec.npos : comma - start);
    const auto equals = part.find('=');
    if (equals == std::string_view::npos)
      throw std::invalid_argument("scenario mix: '" + std::string(part) + "' is not name=weight");
    const auto name = trim_ascii_spaces(part.substr(0, equals));
    const auto weight_text = trim_ascii_spaces(part.substr(equals + 1));
    if (name.empty())
      throw std::invalid_argument("scenario mix: '" + std::string(part) + "' has an empty name");
    std::int64_t weight = 0;
    const auto* end = weight_text.data() + weight_text.size();
    const auto [stop, ec] = std::from_chars(weight_text.data(), end, weight);
    // from_chars accepts a leading '-'; the weight must be digits only and positive.
    if (weight_text.empty() || weight_text.front() == '-' || ec != std::errc() || stop != end ||
        weight <= 0)
      throw std::invalid_argument("scenario mix: weight of '" + std::string(name) +
                                  "' must be a positive integer, got '" + std::string(weight_text) +
                                  "'");
    mix.push_back({std::string(name), weight});
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  check_scenario_mix(mix);
  return mix;
}

scenario_assigner::scenario_assigner(std::vector<weighted_scenario> mix,
                                     std::map<std::string, std::string> assign, std::string seed)
    : mix_(std::move(mix)), seed_(std::move(seed)) {
  check_scenario_mix(mix_);
  std::uint64_t total = 0;
  for (const auto& entry : mix_)
    cumulative_.push_back(total += static_cast<std::uint64_t>(entry.weight));
  for (auto& [guid, name] : assign) assign_.emplace(canonical_guid(guid), std::move(name));
}

std::optional<std::string> scenario_assigner::assign(std::string_view queue_item_id) const {
  const std::string guid = canonical_guid(queue_item_id);
  if (const auto it = assign_.find(guid); it != assign_.end()) return it->second;
  if (mix_.empty()) return std::nullopt;
  const std::uint64_t h = fnv1a64_continue(fnv1a64_continue(fnv1a64(seed_), ":"), guid);
  const std::uint64_t r = h % cumulative_.back();
  const auto pick = std::upper_bound(cumulative_.begin(), cumulative_.end(), r);
  return mix_[static_cast<std::size_t>(pick - cumulative_.begin())].name;
}

}  // namespace opencloser
