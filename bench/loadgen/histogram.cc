#include "bench/loadgen/histogram.h"

#include <algorithm>
#include <cmath>

namespace ringcast::bench {

std::uint64_t latency_histogram::bucket_low(std::size_t i) noexcept {
  if (i < 2 * sub_count) return i;
  const std::size_t e = i / sub_count - 1;
  return static_cast<std::uint64_t>(i - e * sub_count) << e;
}

std::uint64_t latency_histogram::bucket_width(std::size_t i) noexcept {
  if (i < 2 * sub_count) return 1;
  return std::uint64_t{1} << (i / sub_count - 1);
}

void latency_histogram::merge(const latency_histogram& o) noexcept {
  for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  max_ = std::max(max_, o.max_);
  min_ = std::min(min_, o.min_);
}

std::uint64_t latency_histogram::quantile(double q) const noexcept {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * double(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t mid = bucket_low(i) + bucket_width(i) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace ringcast::bench
