#include "broker/inbox/rate_limiter.h"

#include <gtest/gtest.h>

namespace ringcast::broker::inbox {
namespace {

using namespace std::chrono_literals;
const rate_limiter::clock::time_point t0{};

TEST(rate_limiter, a_burst_of_limit_passes_then_one_per_window_over_limit) {
  rate_limiter r(10, 60s);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(r.take("alice@c1", t0), 0) << i;
  const auto wait = r.take("alice@c1", t0);
  EXPECT_EQ(wait, 6000);  // one token every 6 s
  EXPECT_GT(r.take("alice@c1", t0 + 5999ms), 0);
  EXPECT_EQ(r.take("alice@c1", t0 + 6000ms), 0);
  EXPECT_GT(r.take("alice@c1", t0 + 6000ms), 0);
}

TEST(rate_limiter, keys_are_independent) {
  rate_limiter r(2, 1s);
  EXPECT_EQ(r.take("a", t0), 0);
  EXPECT_EQ(r.take("a", t0), 0);
  EXPECT_GT(r.take("a", t0), 0);
  EXPECT_EQ(r.take("b", t0), 0);
}

TEST(rate_limiter, refusals_do_not_consume) {
  rate_limiter r(1, 1s);
  EXPECT_EQ(r.take("a", t0), 0);
  for (int i = 0; i < 100; ++i) EXPECT_GT(r.take("a", t0 + 500ms), 0);
  EXPECT_EQ(r.take("a", t0 + 1000ms), 0);
}

TEST(rate_limiter, sweep_forgets_full_buckets_only) {
  rate_limiter r(6, 60s);
  r.take("idle", t0);
  r.take("busy", t0 + 55s);
  r.sweep(t0 + 60s);  // "idle" refilled its one token (10 s), "busy" has not yet
  EXPECT_EQ(r.keys(), 1u);
  r.sweep(t0 + 65s);
  EXPECT_EQ(r.keys(), 0u);
}

}  // namespace
}  // namespace ringcast::broker::inbox
