#pragma once
// A log-bucketed histogram of non-negative durations (any unit: the drain records
// microseconds) for the report's p50/p99 (cli.md §5.3: ≤ 1 % relative error). HDR-style:
// values below 128 have a bucket each; above, every power of two is split into 128 equal
// buckets, so a bucket is at most 1/128 of its lower bound wide and its midpoint is within
// 0.4 % of any value in it. Memory is fixed (one counter array covering 0 … 2^63) however
// many values are recorded.

#include <cstdint>
#include <vector>

namespace opencloser {

class latency_histogram {
 public:
  latency_histogram();

  /// Negative values (a clock stepping back) count as 0.
  void record(std::int64_t value);
  /// Adds every value recorded in `other` (e.g. a worker's histogram into the drain's).
  void merge(const latency_histogram& other);

  std::int64_t count() const { return count_; }
  /// Exact extremes; 0 when empty.
  std::int64_t min() const { return count_ ? min_ : 0; }
  std::int64_t max() const { return count_ ? max_ : 0; }

  /// The nearest-rank `p`-th percentile (p in [0, 100], clamped), as the midpoint of the bucket
  /// holding that rank, clamped to [min, max]; 0 when empty.
  double percentile(double p) const;

 private:
  std::vector<std::int64_t> buckets_;
  std::int64_t count_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace opencloser
