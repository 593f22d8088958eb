#pragma once
// The set of primary ids a drain has seen (dataverse.md §4: an id seen twice in one drain is
// processed once). It must hold every row of the campaign, so it is the one part of the drain
// whose memory grows with the queue: 16 bytes per row in a sorted array (1.6 MB for 100,000
// rows), where a node-based hash set took ~60 bytes per row.

#include <cstdint>
#include <string_view>
#include <vector>

namespace opencloser {

/// The 128 bits of a GUID.
struct guid_key {
  std::uint64_t hi = 0, lo = 0;
  auto operator<=>(const guid_key&) const = default;
};

/// The key of a GUID's text in any case, braces or hyphens ignored (they are not hex digits).
guid_key key_of(std::string_view guid);

class seen_rows {
 public:
  /// True when `id` was not seen before (and is now).
  bool insert(std::string_view id);
  bool contains(std::string_view id) const;
  std::size_t size() const { return sorted_.size() + recent_.size(); }

 private:
  /// Ids arrive a page at a time: they gather in `recent_` (searched linearly, kept short) and
  /// are merged into `sorted_` when it is full, so an insert costs O(log n) amortised.
  static constexpr std::size_t recent_limit = 1024;
  void merge_recent();

  std::vector<guid_key> sorted_;
  std::vector<guid_key> recent_;
};

}  // namespace opencloser
