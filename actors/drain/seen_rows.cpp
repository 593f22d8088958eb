#include "actors/drain/seen_rows.hpp"

#include <algorithm>

namespace opencloser {

guid_key key_of(std::string_view guid) {
  guid_key k;
  int nibbles = 0;
  for (char c : guid) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      continue;
    auto& half = nibbles < 16 ? k.hi : k.lo;
    half = (half << 4) | static_cast<std::uint64_t>(v);
    ++nibbles;
  }
  return k;
}

bool seen_rows::contains(std::string_view id) const {
  const auto k = key_of(id);
  return std::binary_search(sorted_.begin(), sorted_.end(), k) ||
         std::find(recent_.begin(), recent_.end(), k) != recent_.end();
}

bool seen_rows::insert(std::string_view id) {
  const auto k = key_of(id);
  if (std::binary_search(sorted_.begin(), sorted_.end(), k) ||
      std::find(recent_.begin(), recent_.end(), k) != recent_.end())
    return false;
  recent_.push_back(k);
  if (recent_.size() >= recent_limit) merge_recent();
  return true;
}

void seen_rows::merge_recent() {
  std::sort(recent_.begin(), recent_.end());
  // An exact-size array each time: capacity never runs ahead of the rows seen (a growing
  // vector would hold up to twice as much).
  std::vector<guid_key> merged;
  merged.reserve(sorted_.size() + recent_.size());
  std::merge(sorted_.begin(), sorted_.end(), recent_.begin(), recent_.end(),
             std::back_inserter(merged));
  sorted_.swap(merged);
  recent_.clear();
}

}  // namespace opencloser
