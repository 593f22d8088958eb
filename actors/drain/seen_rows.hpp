#pragma once
// The set of primary ids a drain has seen (dataverse.md §4: an id seen twice in one drain is
// processed once). It must hold every row of the campaign, so it is the one part of the drain
// whose memory grows with the queue: 16 bytes per row in sorted arrays (1.6 MB for 100,000
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
  /// `chunk_keys`: ids per sorted chunk (1 MiB of them by default; tests use small chunks).
  explicit seen_rows(std::size_t chunk_keys = 65536) : chunk_keys_(chunk_keys) {}

  /// True when `id` was not seen before (and is now).
  bool insert(std::string_view id);
  bool contains(std::string_view id) const;
  std::size_t size() const { return size_; }

 private:
  /// Ids arrive a page at a time: they gather in `recent_` (searched linearly, kept short) and
  /// are then merged into the last of the sorted chunks. A chunk is reserved at its full size
  /// once and merged in place, so the set never holds a second copy of itself while it grows
  /// (a growing vector would, and peak memory is what the drain is judged by); pages of a
  /// reservation not yet filled are not resident.
  static constexpr std::size_t recent_limit = 512;
  bool contains_key(const guid_key& k) const;
  void merge_recent();

  std::size_t chunk_keys_;
  std::vector<std::vector<guid_key>> chunks_;
  std::vector<guid_key> recent_;
  std::size_t size_ = 0;
};

}  // namespace opencloser
