#pragma once
// A log-linear latency histogram in nanoseconds, HdrHistogram-style: values below 256 ns are
// counted exactly; above, each power of two is split into 128 equal buckets, so a bucket is at
// most 1/128 of its values wide (< 0.8%) and its midpoint is within 0.4% of any value in it.
// 1 ns .. 64 s fits in 3,968 counters (31 KiB); larger values are clamped to the top bucket.
// Owned by one load-generator thread; merged by the main thread after the threads stop.
#include <array>
#include <cstdint>

namespace ringcast::bench {

class latency_histogram {
 public:
  static constexpr unsigned sub_bits = 7;
  static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;  // 128
  static constexpr unsigned max_exponent = 29;  // 2^(29 + 8) ns = 137 s > 60 s
  static constexpr std::size_t bucket_count = (max_exponent + 2) * sub_count;

  void record(std::int64_t ns) noexcept {
    const std::uint64_t v = ns < 0 ? 0 : static_cast<std::uint64_t>(ns);
    ++counts_[index_of(v)];
    ++count_;
    sum_ += v;
    if (v > max_) max_ = v;
    if (v < min_) min_ = v;
  }

  void merge(const latency_histogram& o) noexcept;
  void clear() noexcept { *this = latency_histogram{}; }

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t max() const noexcept { return count_ ? max_ : 0; }
  std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  double mean() const noexcept { return count_ ? double(sum_) / double(count_) : 0.0; }
  // The value at quantile q in [0, 1] (0.99 for p99): the midpoint of the bucket holding the
  // ceil(q * count)-th smallest value, clamped to the exact min and max.
  std::uint64_t quantile(double q) const noexcept;

  static std::size_t index_of(std::uint64_t v) noexcept {
    if (v < 2 * sub_count) return static_cast<std::size_t>(v);
    const unsigned msb = 63u - static_cast<unsigned>(__builtin_clzll(v));
    unsigned e = msb - sub_bits;  // v >> e lies in [128, 256)
    if (e > max_exponent) return bucket_count - 1;
    return static_cast<std::size_t>(e) * sub_count + static_cast<std::size_t>(v >> e);
  }
  // Smallest value and width of bucket i.
  static std::uint64_t bucket_low(std::size_t i) noexcept;
  static std::uint64_t bucket_width(std::size_t i) noexcept;

 private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = UINT64_MAX;
};

}  // namespace ringcast::bench
