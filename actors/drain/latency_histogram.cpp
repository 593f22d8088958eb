// Bucket arithmetic of latency_histogram.hpp.

#include "actors/drain/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace opencloser {

namespace {

// 2^7 sub-buckets per power of two: width/lower bound ≤ 1/128, midpoint error ≤ 1/256.
constexpr int sub_bits = 7;
constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
// Exact buckets 0 … 127, then 128 per exponent 7 … 62 (int64 values stay below 2^63).
constexpr std::size_t bucket_count = sub_count + (63 - sub_bits) * sub_count;

std::size_t bucket_of(std::uint64_t v) {
  if (v < sub_count) return static_cast<std::size_t>(v);
  const int exponent = std::bit_width(v) - 1;  // 2^exponent <= v < 2^(exponent+1)
  const int shift = exponent - sub_bits;
  const std::uint64_t sub = (v >> shift) - sub_count;  // 0 … 127 within the octave
  return static_cast<std::size_t>(sub_count + static_cast<std::uint64_t>(shift) * sub_count + sub);
}

/// The midpoint of the integers a bucket holds.
double bucket_midpoint(std::size_t index) {
  if (index < sub_count) return static_cast<double>(index);
  const std::uint64_t shift = (index - sub_count) / sub_count;
  const std::uint64_t sub = (index - sub_count) % sub_count;
  const double lower = std::ldexp(static_cast<double>(sub_count + sub), static_cast<int>(shift));
  const double width = std::ldexp(1.0, static_cast<int>(shift));
  return lower + (width - 1.0) / 2.0;
}

}  // namespace

latency_histogram::latency_histogram() : buckets_(bucket_count, 0) {}

void latency_histogram::record(std::int64_t value) {
  value = std::max<std::int64_t>(0, value);
  ++buckets_[bucket_of(static_cast<std::uint64_t>(value))];
  min_ = count_ ? std::min(min_, value) : value;
  max_ = count_ ? std::max(max_, value) : value;
  ++count_;
}

void latency_histogram::merge(const latency_histogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < bucket_count; ++i) buckets_[i] += other.buckets_[i];
  min_ = count_ ? std::min(min_, other.min_) : other.min_;
  max_ = count_ ? std::max(max_, other.max_) : other.max_;
  count_ += other.count_;
}

double latency_histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(std::isnan(p) ? 0.0 : p, 0.0, 100.0);
  // p * count first: 99 * 100000 / 100 is exact, 0.99 * 100000 is not.
  const auto rank = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::ceil(p * static_cast<double>(count_) / 100.0)));
  std::int64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += buckets_[i];
    if (seen >= rank)
      return std::clamp(bucket_midpoint(i), static_cast<double>(min_), static_cast<double>(max_));
  }
  return static_cast<double>(max_);
}

}  // namespace opencloser
