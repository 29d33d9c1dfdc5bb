#pragma once
// A latency histogram of one shard with fixed buckets, for Prometheus: written by its shard only,
// read by any thread (the /metrics page sums the shards' copies).
#include <array>
#include <cstddef>
#include <cstdint>

#include "reactor/shard_stats.h"

namespace ringcast::broker {

struct latency_histogram {
  using counter = reactor::shard_stats::counter;
  // Upper bounds (inclusive) in microseconds: 0.5 ms .. 10 s. Slower observations count only
  // in `count` (the +Inf bucket).
  static constexpr std::array<std::uint64_t, 14> bounds_us{500,    1'000,   2'500,   5'000,     10'000,    20'000,    50'000,
                                                           100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};

  std::array<counter, bounds_us.size()> buckets{};  // each counts observations in (previous bound, bound]
  counter count{0};
  counter sum_us{0};

  void observe(std::int64_t us) noexcept {
    const std::uint64_t v = us < 0 ? 0 : std::uint64_t(us);
    for (std::size_t i = 0; i < bounds_us.size(); ++i)
      if (v <= bounds_us[i]) {
        bump(buckets[i], 1);
        break;
      }
    bump(count, 1);
    bump(sum_us, v);
  }

 private:
  static void bump(counter& c, std::uint64_t n) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

}  // namespace ringcast::broker
