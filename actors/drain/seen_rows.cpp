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
  return contains_key(key_of(id));
}

bool seen_rows::contains_key(const guid_key& k) const {
  return std::any_of(chunks_.begin(), chunks_.end(),
                     [&](const auto& c) { return std::binary_search(c.begin(), c.end(), k); }) ||
         std::find(recent_.begin(), recent_.end(), k) != recent_.end();
}

bool seen_rows::insert(std::string_view id) {
  const auto k = key_of(id);
  if (contains_key(k)) return false;
  recent_.push_back(k);
  ++size_;
  if (recent_.size() >= recent_limit) merge_recent();
  return true;
}

void seen_rows::merge_recent() {
  std::sort(recent_.begin(), recent_.end());
  for (std::size_t i = 0; i < recent_.size();) {
    if (chunks_.empty() || chunks_.back().size() == chunk_keys_) {
      chunks_.emplace_back();
      chunks_.back().reserve(chunk_keys_);
    }
    auto& chunk = chunks_.back();
    const auto take = std::min(chunk_keys_ - chunk.size(), recent_.size() - i);
    const auto old_size = static_cast<std::ptrdiff_t>(chunk.size());
    const auto from = recent_.begin() + static_cast<std::ptrdiff_t>(i);
    chunk.insert(chunk.end(), from, from + static_cast<std::ptrdiff_t>(take));
    std::inplace_merge(chunk.begin(), chunk.begin() + old_size, chunk.end());
    i += take;
  }
  recent_.clear();
}

}  // namespace opencloser
