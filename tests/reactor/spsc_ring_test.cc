#include "reactor/spsc_ring.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "reactor/unique_function.h"

namespace ringcast::reactor {
namespace {

// Move-only, not default-constructible, and counts live instances so leaks and double
// destruction both show up as a wrong count.
struct counted {
  counted(int* live, int value) : live_(live), value_(value) { ++*live_; }
  counted(counted&& other) noexcept : live_(other.live_), value_(other.value_) {
    other.value_ = -1;
    ++*live_;
  }
  counted& operator=(counted&& other) noexcept {
    value_ = other.value_;
    other.value_ = -1;
    return *this;
  }
  ~counted() { --*live_; }

  int* live_;
  int value_;
};

TEST(spsc_ring, capacity_rounds_up_to_power_of_two) {
  EXPECT_EQ(spsc_ring<int>(0).capacity(), 1u);
  EXPECT_EQ(spsc_ring<int>(1).capacity(), 1u);
  EXPECT_EQ(spsc_ring<int>(3).capacity(), 4u);
  EXPECT_EQ(spsc_ring<int>(64).capacity(), 64u);
  EXPECT_EQ(spsc_ring<int>(65).capacity(), 128u);
}

TEST(spsc_ring, impossible_capacity_throws_length_error) {
  const std::size_t beyond_top_bit = std::numeric_limits<std::size_t>::max();
  EXPECT_THROW(spsc_ring<std::uint64_t> ring(beyond_top_bit), std::length_error);
  // 2^62 slots of 8 bytes would overflow the byte count.
  const std::size_t overflowing_bytes = std::size_t{1} << 62;
  EXPECT_THROW(spsc_ring<std::uint64_t> ring(overflowing_bytes), std::length_error);
}

TEST(spsc_ring, empty_ring_yields_nothing) {
  spsc_ring<int> ring(4);
  int out = 7;
  EXPECT_TRUE(ring.empty_approx());
  EXPECT_EQ(ring.size_approx(), 0u);
  EXPECT_FALSE(ring.try_pop(out));
  EXPECT_EQ(out, 7);
  int calls = 0;
  EXPECT_EQ(ring.consume([&](int&&) { ++calls; }, 10), 0u);
  EXPECT_EQ(calls, 0);
}

TEST(spsc_ring, fifo_order_single_thread) {
  spsc_ring<int> ring(8);
  for (int i = 0; i < 8; ++i) {
    int v = 100 + i;
    ASSERT_TRUE(ring.try_push(v));
    EXPECT_EQ(ring.size_approx(), static_cast<std::size_t>(i + 1));
  }
  EXPECT_FALSE(ring.empty_approx());
  for (int i = 0; i < 8; ++i) {
    int out = -1;
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out, 100 + i);
  }
  EXPECT_TRUE(ring.empty_approx());
  int out = -1;
  EXPECT_FALSE(ring.try_pop(out));
}

TEST(spsc_ring, order_survives_many_wrap_arounds) {
  spsc_ring<int> ring(4);
  int next_in = 0;
  int next_out = 0;
  // Varying fill levels move the live window across the wrap point at every offset.
  for (int round = 0; round < 1000; ++round) {
    const int fill = round % 4 + 1;
    for (int i = 0; i < fill; ++i) {
      int v = next_in;
      ASSERT_TRUE(ring.try_push(v));
      ++next_in;
    }
    const int drain = round % 2 == 0 ? fill : fill - 1;
    for (int i = 0; i < drain; ++i) {
      int out = -1;
      ASSERT_TRUE(ring.try_pop(out));
      ASSERT_EQ(out, next_out++);
    }
    // Drain fully every other round so leftovers never exceed capacity.
    while (round % 2 == 1 && !ring.empty_approx()) {
      int out = -1;
      ASSERT_TRUE(ring.try_pop(out));
      ASSERT_EQ(out, next_out++);
    }
  }
  EXPECT_EQ(next_out, next_in);
  EXPECT_GT(next_in, 4 * 100);
}

TEST(spsc_ring, full_ring_refuses_push_and_leaves_item_intact) {
  spsc_ring<std::unique_ptr<int>> ring(4);
  for (int i = 0; i < 4; ++i) {
    auto p = std::make_unique<int>(i);
    ASSERT_TRUE(ring.try_push(p));
    EXPECT_EQ(p, nullptr);  // moved from on success
  }
  auto keep = std::make_unique<int>(42);
  int* const raw = keep.get();
  EXPECT_FALSE(ring.try_push(keep));
  ASSERT_NE(keep, nullptr);
  EXPECT_EQ(keep.get(), raw);
  EXPECT_EQ(*keep, 42);
  EXPECT_EQ(ring.size_approx(), 4u);

  std::unique_ptr<int> out;
  ASSERT_TRUE(ring.try_pop(out));
  EXPECT_EQ(*out, 0);
  ASSERT_TRUE(ring.try_push(keep));
  EXPECT_EQ(keep, nullptr);
  for (int expected : {1, 2, 3}) {
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(*out, expected);
  }
  ASSERT_TRUE(ring.try_pop(out));
  EXPECT_EQ(out.get(), raw);
}

TEST(spsc_ring, pop_and_destructor_destroy_items) {
  int live = 0;
  {
    counted out(&live, -1);
    {
      spsc_ring<counted> ring(4);
      for (int i = 0; i < 4; ++i) {
        counted c(&live, i);
        ASSERT_TRUE(ring.try_push(c));
      }
      EXPECT_EQ(live, 1 + 4);
      for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(ring.try_pop(out));
        EXPECT_EQ(out.value_, i);
      }
      EXPECT_EQ(live, 1 + 2);  // popped slots were destroyed
      // Two more make the leftovers straddle the wrap point.
      for (int i = 4; i < 6; ++i) {
        counted c(&live, i);
        ASSERT_TRUE(ring.try_push(c));
      }
      EXPECT_EQ(live, 1 + 4);
    }
    EXPECT_EQ(live, 1);
  }
  EXPECT_EQ(live, 0);
}

TEST(spsc_ring, consume_respects_max_and_order) {
  spsc_ring<std::unique_ptr<int>> ring(16);
  for (int i = 0; i < 10; ++i) {
    auto p = std::make_unique<int>(i);
    ASSERT_TRUE(ring.try_push(p));
  }
  std::vector<std::unique_ptr<int>> got;
  auto take = [&](std::unique_ptr<int>&& p) { got.push_back(std::move(p)); };
  EXPECT_EQ(ring.consume(take, 0), 0u);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(ring.consume(take, 4), 4u);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(ring.size_approx(), 6u);
  EXPECT_EQ(ring.consume(take, 100), 6u);
  ASSERT_EQ(got.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    ASSERT_NE(got[i], nullptr);
    EXPECT_EQ(*got[i], i);
  }
  EXPECT_TRUE(ring.empty_approx());
  EXPECT_EQ(ring.consume(take, 100), 0u);
}

TEST(spsc_ring, consume_frees_space_for_producer) {
  spsc_ring<int> ring(4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ring.try_push(i));
  int extra = 4;
  EXPECT_FALSE(ring.try_push(extra));
  std::vector<int> got;
  EXPECT_EQ(ring.consume([&](int&& v) { got.push_back(v); }, 2), 2u);
  for (int i = 4; i < 6; ++i) {
    int v = i;
    EXPECT_TRUE(ring.try_push(v));
  }
  extra = 6;
  EXPECT_FALSE(ring.try_push(extra));
  EXPECT_EQ(ring.consume([&](int&& v) { got.push_back(v); }, 10), 4u);
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST(spsc_ring, consume_handler_throwing_consumes_only_that_item) {
  int live = 0;
  spsc_ring<counted> ring(8);
  for (int i = 0; i < 6; ++i) {
    counted c(&live, i);
    ASSERT_TRUE(ring.try_push(c));
  }
  std::vector<int> seen;
  auto handler = [&](counted&& c) {
    seen.push_back(c.value_);
    if (c.value_ == 2) throw std::runtime_error("handler failed");
  };
  EXPECT_THROW(ring.consume(handler, 10), std::runtime_error);
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(live, 3);  // the item whose handler threw was destroyed too
  EXPECT_EQ(ring.size_approx(), 3u);
  counted out(&live, -1);
  ASSERT_TRUE(ring.try_pop(out));
  EXPECT_EQ(out.value_, 3);
}

TEST(spsc_ring, carries_move_only_callables) {
  spsc_ring<unique_function<void()>> ring(4);
  int sum = 0;
  for (int i = 1; i <= 3; ++i) {
    unique_function<void()> fn = [&sum, owned = std::make_unique<int>(i)] { sum += *owned; };
    ASSERT_TRUE(ring.try_push(fn));
    EXPECT_FALSE(fn);
  }
  EXPECT_EQ(ring.consume([](unique_function<void()>&& fn) { fn(); }, 10), 3u);
  EXPECT_EQ(sum, 6);
}

constexpr std::uint64_t items_per_producer = 1'000'000;

// One producer, one consumer, a ring far smaller than the traffic, and a consumer that pauses now
// and then so the producer keeps meeting a full ring.
TEST(spsc_ring, threads_one_producer_one_consumer_small_ring) {
  spsc_ring<std::unique_ptr<std::uint64_t>> ring(64);
  std::uint64_t full_refusals = 0;
  std::uint64_t damaged_after_refusal = 0;

  std::thread producer([&] {
    for (std::uint64_t seq = 0; seq < items_per_producer; ++seq) {
      auto item = std::make_unique<std::uint64_t>(seq);
      while (!ring.try_push(item)) {
        ++full_refusals;
        if (!item || *item != seq) ++damaged_after_refusal;
        std::this_thread::yield();
      }
    }
  });

  std::uint64_t expected = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t pop_failed_when_not_empty = 0;
  std::thread consumer([&] {
    std::unique_ptr<std::uint64_t> item;
    while (expected < items_per_producer) {
      if (ring.empty_approx()) {
        std::this_thread::yield();
        continue;
      }
      // On the consumer side "not empty" is definitive.
      if (!ring.try_pop(item)) {
        ++pop_failed_when_not_empty;
        continue;
      }
      if (!item || *item != expected) ++out_of_order;
      ++expected;
      if (expected % 8192 == 0) std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  });

  producer.join();
  consumer.join();
  EXPECT_EQ(expected, items_per_producer);
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(pop_failed_when_not_empty, 0u);
  EXPECT_EQ(damaged_after_refusal, 0u);
  EXPECT_GT(full_refusals, 0u);
  EXPECT_TRUE(ring.empty_approx());
}

struct tagged {
  std::uint32_t producer;
  std::uint64_t seq;
  std::uint64_t check;  // ~seq, so a torn or stale slot is caught
};

TEST(spsc_ring, threads_batched_consume_small_ring) {
  spsc_ring<tagged> ring(64);
  std::thread producer([&] {
    for (std::uint64_t seq = 0; seq < items_per_producer; ++seq) {
      tagged item{0, seq, ~seq};
      while (!ring.try_push(item)) std::this_thread::yield();
    }
  });

  std::uint64_t expected = 0;
  std::uint64_t bad = 0;
  std::size_t largest_batch = 0;
  std::thread consumer([&] {
    while (expected < items_per_producer) {
      const std::size_t n = ring.consume(
          [&](tagged&& item) {
            if (item.seq != expected || item.check != ~expected) ++bad;
            ++expected;
          },
          32);
      largest_batch = std::max(largest_batch, n);
      if (n == 0) std::this_thread::yield();
    }
  });

  producer.join();
  consumer.join();
  EXPECT_EQ(expected, items_per_producer);
  EXPECT_EQ(bad, 0u);
  EXPECT_LE(largest_batch, 32u);
  EXPECT_TRUE(ring.empty_approx());
}

TEST(spsc_ring, threads_four_producers_each_own_ring_one_consumer) {
  constexpr std::uint32_t producers = 4;
  std::vector<std::unique_ptr<spsc_ring<tagged>>> rings;
  for (std::uint32_t p = 0; p < producers; ++p) rings.push_back(std::make_unique<spsc_ring<tagged>>(64));

  std::vector<std::thread> threads;
  for (std::uint32_t p = 0; p < producers; ++p) {
    threads.emplace_back([&ring = *rings[p], p] {
      for (std::uint64_t seq = 0; seq < items_per_producer; ++seq) {
        tagged item{p, seq, ~seq};
        while (!ring.try_push(item)) std::this_thread::yield();
      }
    });
  }

  std::array<std::uint64_t, producers> next{};
  std::uint64_t bad = 0;
  std::thread consumer([&] {
    std::uint64_t total = 0;
    while (total < producers * items_per_producer) {
      std::size_t round = 0;
      for (std::uint32_t p = 0; p < producers; ++p) {
        round += rings[p]->consume(
            [&](tagged&& item) {
              if (item.producer != p || item.seq != next[p] || item.check != ~next[p]) ++bad;
              ++next[p];
            },
            64);
      }
      total += round;
      if (round == 0) std::this_thread::yield();
    }
  });

  for (auto& t : threads) t.join();
  consumer.join();
  EXPECT_EQ(bad, 0u);
  for (std::uint32_t p = 0; p < producers; ++p) {
    EXPECT_EQ(next[p], items_per_producer) << "producer " << p;
    EXPECT_TRUE(rings[p]->empty_approx());
  }
}

}  // namespace
}  // namespace ringcast::reactor
