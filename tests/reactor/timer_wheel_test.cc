#include "reactor/timer_wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace ringcast::reactor {
namespace {

using namespace std::chrono_literals;
using time_point = timer_wheel::time_point;
using std::chrono::nanoseconds;

// The fake clock: every time in these tests is an offset from this arbitrary start.
const time_point t0 = time_point{} + 1000h;

// The moment a deadline becomes due: rounded up to the next whole millisecond after t0.
time_point due_moment(time_point deadline) {
  const auto ns = (deadline - t0).count();
  return t0 + std::chrono::milliseconds((ns + 999'999) / 1'000'000);
}

TEST(timer_wheel, fires_in_deadline_order) {
  timer_wheel w(t0);
  std::vector<int> order;
  for (int ms : {30, 10, 64, 5000, 20, 63, 65}) {
    w.schedule_at(t0 + std::chrono::milliseconds(ms), [&order, ms] { order.push_back(ms); });
  }
  EXPECT_EQ(w.size(), 7u);
  EXPECT_EQ(w.advance(t0 + 100ms), 6u);
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30, 63, 64, 65}));
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(w.now(), t0 + 100ms);
  EXPECT_EQ(w.advance(t0 + 5s), 1u);
  EXPECT_EQ(order.back(), 5000);
  EXPECT_TRUE(w.empty());
}

TEST(timer_wheel, equal_deadlines_fire_in_scheduling_order) {
  timer_wheel w(t0);
  std::vector<char> order;
  auto record = [&order](char c) { return [&order, c] { order.push_back(c); }; };
  // 'a' is scheduled far enough out to sit on level 1 and be cascaded; 'b' goes straight to level
  // 0 later. Cascading must not put 'a' behind 'b'.
  w.schedule_at(t0 + 100ms, record('a'));
  w.advance(t0 + 70ms);
  w.schedule_at(t0 + 100ms, record('b'));
  const timer_id c = w.schedule_at(t0 + 100ms, record('c'));
  w.schedule_at(t0 + 100ms, record('d'));
  // Re-arming to the same deadline counts as scheduling anew.
  ASSERT_TRUE(w.rearm(c, t0 + 100ms));
  EXPECT_EQ(w.advance(t0 + 100ms), 4u);
  EXPECT_EQ(order, (std::vector<char>{'a', 'b', 'd', 'c'}));
}

TEST(timer_wheel, deadlines_inside_one_tick_fire_in_exact_order) {
  timer_wheel w(t0);
  std::vector<int> order;
  w.schedule_at(t0 + 700us, [&] { order.push_back(700); });
  w.schedule_at(t0 + 300us, [&] { order.push_back(300); });
  w.schedule_at(t0 + 1ms, [&] { order.push_back(1000); });
  EXPECT_EQ(w.advance(t0 + 1ms), 3u);
  EXPECT_EQ(order, (std::vector<int>{300, 700, 1000}));
}

TEST(timer_wheel, never_fires_before_its_deadline_and_at_most_a_tick_after) {
  timer_wheel w(t0);
  int fired = 0;
  w.schedule_at(t0 + 5ms + 1ns, [&] { ++fired; });
  EXPECT_EQ(w.advance(t0 + 5ms), 0u);
  EXPECT_EQ(w.advance(t0 + 5ms + 1ns), 0u);  // rounded up to the 6 ms tick
  EXPECT_EQ(w.advance(t0 + 6ms - 1ns), 0u);
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(w.advance(t0 + 6ms), 1u);
  EXPECT_EQ(fired, 1);
}

TEST(timer_wheel, never_early_with_random_deadlines_and_steps) {
  std::mt19937_64 rng(7);
  timer_wheel w(t0);
  constexpr int count = 3000;
  std::vector<time_point> deadline(count);
  std::vector<int> fired(count, 0);
  time_point before = t0;  // the wheel's time before the advance() that is running
  for (int i = 0; i < count; ++i) {
    deadline[i] = t0 + nanoseconds(rng() % 300'000'000);
    w.schedule_at(deadline[i], [&, i] {
      ++fired[i];
      EXPECT_GE(w.now(), due_moment(deadline[i])) << i;
      EXPECT_LT(before, due_moment(deadline[i])) << "fired one advance late: " << i;
    });
  }
  while (w.now() < t0 + 301ms) {
    before = w.now();
    w.advance(w.now() + nanoseconds(rng() % 3'000'000));
  }
  EXPECT_EQ(std::count(fired.begin(), fired.end(), 1), count);
}

TEST(timer_wheel, time_does_not_go_back) {
  timer_wheel w(t0);
  int fired = 0;
  w.schedule_at(t0 + 20ms, [&] { ++fired; });
  w.advance(t0 + 10ms);
  EXPECT_EQ(w.advance(t0 + 5ms), 0u);
  EXPECT_EQ(w.now(), t0 + 10ms);
  // schedule_after counts from the wheel's time, not from the stale argument.
  w.schedule_after(5ms, [&] { fired += 10; });
  EXPECT_EQ(w.advance(t0 + 14ms), 0u);
  EXPECT_EQ(w.advance(t0 + 15ms), 1u);
  EXPECT_EQ(fired, 10);
  EXPECT_EQ(w.advance(t0 + 20ms), 1u);
  EXPECT_EQ(fired, 11);
}

TEST(timer_wheel, cancel_before_firing) {
  timer_wheel w(t0);
  int fired = 0;
  const timer_id id = w.schedule_after(10ms, [&] { ++fired; });
  const timer_id other = w.schedule_after(10ms, [&] { fired += 100; });
  EXPECT_TRUE(w.live(id));
  EXPECT_TRUE(w.cancel(id));
  EXPECT_FALSE(w.live(id));
  EXPECT_TRUE(w.live(other));
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(w.advance(t0 + 1s), 1u);
  EXPECT_EQ(fired, 100);
}

TEST(timer_wheel, cancel_after_firing_and_double_cancel_are_no_ops) {
  timer_wheel w(t0);
  int fired = 0;
  const timer_id a = w.schedule_after(10ms, [&] { ++fired; });
  const timer_id b = w.schedule_after(20ms, [&] { ++fired; });
  w.advance(t0 + 10ms);
  EXPECT_FALSE(w.live(a));
  EXPECT_FALSE(w.cancel(a));
  EXPECT_TRUE(w.cancel(b));
  EXPECT_FALSE(w.cancel(b));
  EXPECT_FALSE(w.rearm(b, t0 + 30ms));
  EXPECT_EQ(w.advance(t0 + 1s), 0u);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(w.size(), 0u);
  EXPECT_FALSE(w.cancel(timer_id{}));
  EXPECT_FALSE(w.live(timer_id{}));
  EXPECT_FALSE(w.cancel(timer_id{12345, 1}));
}

TEST(timer_wheel, stale_id_does_not_touch_the_timer_that_reused_its_node) {
  timer_wheel w(t0);
  int fired = 0;
  const timer_id old_id = w.schedule_after(10ms, [&] { fired += 1; });
  ASSERT_TRUE(w.cancel(old_id));
  const timer_id new_id = w.schedule_after(10ms, [&] { fired += 10; });
  ASSERT_EQ(new_id.index, old_id.index);  // the free list hands the node back
  EXPECT_NE(new_id.generation, old_id.generation);
  EXPECT_FALSE(w.live(old_id));
  EXPECT_FALSE(w.cancel(old_id));
  EXPECT_FALSE(w.rearm(old_id, t0 + 1ms));
  EXPECT_TRUE(w.live(new_id));
  EXPECT_EQ(w.advance(t0 + 10ms), 1u);
  EXPECT_EQ(fired, 10);
}

TEST(timer_wheel, callbacks_are_destroyed_when_cancelled_or_fired) {
  timer_wheel w(t0);
  auto token = std::make_shared<int>(0);
  auto owned = std::make_unique<int>(5);  // move-only capture
  int seen = 0;
  const timer_id a = w.schedule_after(1ms, [token, p = std::move(owned), &seen] { seen = *p; });
  const timer_id b = w.schedule_after(2ms, [token] {});
  EXPECT_EQ(token.use_count(), 3);
  w.cancel(b);
  EXPECT_EQ(token.use_count(), 2);
  w.advance(t0 + 1ms);
  EXPECT_EQ(seen, 5);
  EXPECT_FALSE(w.live(a));
  EXPECT_EQ(token.use_count(), 1);
}

TEST(timer_wheel, rearm_moves_the_deadline_and_keeps_the_callback) {
  timer_wheel w(t0);
  std::vector<int> order;
  const timer_id later = w.schedule_at(t0 + 10ms, [&] { order.push_back(1); });
  const timer_id earlier = w.schedule_at(t0 + 5s, [&] { order.push_back(2); });
  w.schedule_at(t0 + 30ms, [&] { order.push_back(3); });
  EXPECT_TRUE(w.rearm(later, t0 + 50ms));
  EXPECT_TRUE(w.rearm(earlier, t0 + 20ms));
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(w.advance(t0 + 10ms), 0u);
  EXPECT_EQ(w.advance(t0 + 20ms), 1u);
  EXPECT_EQ(w.advance(t0 + 49ms), 1u);
  EXPECT_TRUE(w.rearm_after(later, 100ms));  // from now() = 49 ms
  EXPECT_EQ(w.advance(t0 + 148ms), 0u);
  EXPECT_EQ(w.advance(t0 + 149ms), 1u);
  EXPECT_EQ(order, (std::vector<int>{2, 3, 1}));
  EXPECT_FALSE(w.rearm(later, t0 + 1s));
}

TEST(timer_wheel, timer_scheduled_in_a_callback_for_a_due_time_fires_in_the_same_advance) {
  timer_wheel w(t0);
  std::vector<int> order;
  w.schedule_at(t0 + 10ms, [&] {
    order.push_back(10);
    w.schedule_at(t0 + 5ms, [&] { order.push_back(5); });      // already past
    w.schedule_at(t0 + 50ms, [&] { order.push_back(50); });    // later in this advance
    w.schedule_at(w.now(), [&] { order.push_back(100); });     // the advance's target time
    w.schedule_at(t0 + 101ms, [&] { order.push_back(101); });  // not due yet
  });
  w.schedule_at(t0 + 10ms, [&] { order.push_back(11); });  // same tick as the scheduler
  w.schedule_at(t0 + 20ms, [&] { order.push_back(20); });
  EXPECT_EQ(w.advance(t0 + 100ms), 6u);
  // The past-due timer fires right after its scheduler's tick, before the later ticks.
  EXPECT_EQ(order, (std::vector<int>{10, 11, 5, 20, 50, 100}));
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(w.time_to_next(w.now()), std::chrono::milliseconds(1));
}

TEST(timer_wheel, past_deadline_scheduled_outside_advance_fires_on_the_next_advance) {
  timer_wheel w(t0);
  w.advance(t0 + 1s);
  std::vector<int> order;
  w.schedule_at(t0 + 10ms, [&] { order.push_back(2); });
  w.schedule_at(t0 - 1h, [&] { order.push_back(1); });  // before the wheel's start
  w.schedule_at(w.now(), [&] { order.push_back(3); });
  EXPECT_EQ(w.time_to_next(w.now()), std::chrono::milliseconds(0));
  EXPECT_EQ(w.next_expiry(), w.now());
  EXPECT_EQ(w.advance(w.now()), 3u);  // same time: nothing else needs to move
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(w.time_to_next(w.now()), std::nullopt);
}

TEST(timer_wheel, callback_cancels_and_rearms_other_due_timers) {
  timer_wheel w(t0);
  std::vector<char> order;
  timer_id b, c, d;
  w.schedule_at(t0 + 10ms, [&] {
    order.push_back('a');
    EXPECT_TRUE(w.cancel(b));                    // due in this same batch
    EXPECT_TRUE(w.rearm(c, t0 + 40ms));          // due in this batch, pushed later
    EXPECT_TRUE(w.rearm(d, t0 + 1ms));           // in the future, pulled into the past
  });
  b = w.schedule_at(t0 + 10ms, [&] { order.push_back('b'); });
  c = w.schedule_at(t0 + 10ms, [&] { order.push_back('c'); });
  d = w.schedule_at(t0 + 60ms, [&] { order.push_back('d'); });
  EXPECT_EQ(w.advance(t0 + 10ms), 2u);
  EXPECT_EQ(order, (std::vector<char>{'a', 'd'}));
  EXPECT_FALSE(w.live(b));
  EXPECT_TRUE(w.live(c));
  EXPECT_EQ(w.advance(t0 + 39ms), 0u);
  EXPECT_EQ(w.advance(t0 + 60ms), 1u);
  EXPECT_EQ(order, (std::vector<char>{'a', 'd', 'c'}));
  EXPECT_TRUE(w.empty());
}

TEST(timer_wheel, callback_rearms_itself_as_a_periodic_timer) {
  timer_wheel w(t0);
  timer_id self;
  time_point next = t0 + 10ms;
  std::vector<time_point> fired_at;
  self = w.schedule_at(next, [&] {
    fired_at.push_back(next);
    EXPECT_TRUE(w.live(self));
    EXPECT_EQ(w.size(), 1u);
    next += 10ms;
    EXPECT_TRUE(w.rearm(self, next));
  });
  // One large step catches up on every period inside it, in this same call.
  EXPECT_EQ(w.advance(t0 + 105ms), 10u);
  ASSERT_EQ(fired_at.size(), 10u);
  EXPECT_EQ(fired_at.front(), t0 + 10ms);
  EXPECT_EQ(fired_at.back(), t0 + 100ms);
  EXPECT_TRUE(w.live(self));
  EXPECT_EQ(w.advance(t0 + 110ms), 1u);
  EXPECT_TRUE(w.cancel(self));
  EXPECT_EQ(w.advance(t0 + 1s), 0u);
  EXPECT_EQ(fired_at.size(), 11u);
}

TEST(timer_wheel, callback_cancelling_itself) {
  timer_wheel w(t0);
  auto token = std::make_shared<int>(0);
  timer_id self;
  int runs = 0;
  self = w.schedule_after(5ms, [&, token] {
    ++runs;
    EXPECT_TRUE(w.rearm(self, t0 + 50ms));
    EXPECT_TRUE(w.cancel(self));  // also undoes the re-arm
    EXPECT_FALSE(w.live(self));
    EXPECT_FALSE(w.cancel(self));
    EXPECT_FALSE(w.rearm(self, t0 + 60ms));
    EXPECT_EQ(w.size(), 0u);
    // The node is not recycled while its callback still runs.
    const timer_id fresh = w.schedule_after(1h, [] {});
    EXPECT_NE(fresh.index, self.index);
  });
  EXPECT_EQ(w.advance(t0 + 1s), 1u);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_FALSE(w.live(self));
}

TEST(timer_wheel, advance_from_a_callback_does_nothing) {
  timer_wheel w(t0);
  int inner = 0;
  w.schedule_at(t0 + 1ms, [&] { EXPECT_EQ(w.advance(t0 + 1h), 0u); });
  w.schedule_at(t0 + 2ms, [&] { ++inner; });
  EXPECT_EQ(w.advance(t0 + 1ms), 1u);
  EXPECT_EQ(inner, 0);
  EXPECT_EQ(w.now(), t0 + 1ms);
}

// Far deadlines pass through every level; each must fire exactly at its tick however time moves.
void expect_fires_exactly_at(std::chrono::milliseconds delay, std::chrono::milliseconds step) {
  timer_wheel w(t0);
  int fired = 0;
  const time_point deadline = t0 + delay;
  w.schedule_at(deadline, [&] {
    ++fired;
    EXPECT_GE(w.now(), deadline);
  });
  w.schedule_at(deadline + 1ms, [&] { fired += 100; });
  time_point now = t0;
  while (now + step < deadline) {
    now += step;
    ASSERT_EQ(w.advance(now), 0u) << (now - t0).count();
  }
  EXPECT_EQ(w.advance(deadline - 1ms), 0u);
  EXPECT_EQ(w.advance(deadline - 1ns), 0u);
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(w.advance(deadline), 1u);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(w.advance(deadline + 1ms), 1u);
  EXPECT_EQ(fired, 101);
}

constexpr auto day = std::chrono::milliseconds(24h);

TEST(timer_wheel, one_hour_after_one_jump) { expect_fires_exactly_at(1h, 2h); }
TEST(timer_wheel, one_hour_after_many_small_advances) { expect_fires_exactly_at(1h, 997ms); }
TEST(timer_wheel, thirty_days_after_one_jump) { expect_fires_exactly_at(30 * day, 60 * day); }
TEST(timer_wheel, thirty_days_after_many_small_advances) {
  expect_fires_exactly_at(30 * day + 17ms, 61s);
}
// 2^36 ms (about 795 days) is the top level's reach; these are clamped and placed again.
TEST(timer_wheel, beyond_the_wheel_after_one_jump) { expect_fires_exactly_at(3000 * day + 5ms, 20000 * day); }
TEST(timer_wheel, beyond_the_wheel_after_daily_advances) { expect_fires_exactly_at(2000 * day + 3ms, day); }

TEST(timer_wheel, end_of_time_is_accepted_and_never_fires) {
  timer_wheel w(t0);
  int fired = 0;
  const timer_id id = w.schedule_at(time_point::max(), [&] { ++fired; });
  w.schedule_after(timer_wheel::duration::max(), [&] { ++fired; });  // saturates
  EXPECT_EQ(w.advance(t0 + 100 * 365 * day), 0u);
  EXPECT_TRUE(w.live(id));
  ASSERT_TRUE(w.next_expiry().has_value());
  EXPECT_GT(*w.next_expiry(), w.now());
  ASSERT_TRUE(w.time_to_next(w.now()).has_value());
  EXPECT_GT(*w.time_to_next(w.now()), 24h);
  EXPECT_EQ(fired, 0);
}

TEST(timer_wheel, hundred_thousand_random_timers_fire_once_in_order) {
  std::mt19937_64 rng(42);
  constexpr int count = 100'000;
  timer_wheel w(t0);
  w.reserve(count);
  std::vector<time_point> deadline(count);
  std::vector<int> order;
  order.reserve(count);
  for (int i = 0; i < count; ++i) {
    // Spread over 10 minutes with nanosecond precision, so many share a tick.
    deadline[i] = t0 + nanoseconds(rng() % 600'000'000'000);
    w.schedule_at(deadline[i], [&, i] {
      order.push_back(i);
      EXPECT_GE(w.now(), deadline[i]);
    });
  }
  EXPECT_EQ(w.size(), static_cast<std::size_t>(count));
  std::size_t fired = 0;
  while (w.now() < t0 + 601s) fired += w.advance(w.now() + nanoseconds(rng() % 3'000'000'000));
  EXPECT_EQ(fired, static_cast<std::size_t>(count));
  EXPECT_TRUE(w.empty());
  std::vector<int> expected(count);
  for (int i = 0; i < count; ++i) expected[i] = i;
  std::stable_sort(expected.begin(), expected.end(),
                   [&](int a, int b) { return deadline[a] < deadline[b]; });
  EXPECT_TRUE(order == expected);  // exactly once each, by deadline, ties by scheduling order
}

TEST(timer_wheel, hundred_thousand_timers_half_cancelled) {
  std::mt19937_64 rng(99);
  constexpr int count = 100'000;
  timer_wheel w(t0);
  std::vector<timer_id> ids(count);
  std::vector<int> fired(count, 0);
  for (int i = 0; i < count; ++i) {
    ids[i] = w.schedule_after(std::chrono::milliseconds(1 + rng() % 3'600'000), [&, i] { ++fired[i]; });
  }
  std::vector<int> shuffled(count);
  for (int i = 0; i < count; ++i) shuffled[i] = i;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  std::vector<bool> cancelled(count, false);
  for (int k = 0; k < count / 2; ++k) {
    ASSERT_TRUE(w.cancel(ids[shuffled[k]]));
    cancelled[shuffled[k]] = true;
  }
  EXPECT_EQ(w.size(), static_cast<std::size_t>(count / 2));
  EXPECT_FALSE(w.cancel(ids[shuffled[0]]));
  std::size_t total = 0;
  for (time_point now = t0; now <= t0 + 1h; now += 7s) total += w.advance(now);
  total += w.advance(t0 + 1h);
  EXPECT_EQ(total, static_cast<std::size_t>(count / 2));
  for (int i = 0; i < count; ++i) ASSERT_EQ(fired[i], cancelled[i] ? 0 : 1) << i;
  EXPECT_TRUE(w.empty());
}

TEST(timer_wheel, time_to_next_is_exact_on_level_zero_and_none_when_empty) {
  timer_wheel w(t0);
  EXPECT_EQ(w.time_to_next(t0), std::nullopt);
  EXPECT_EQ(w.next_expiry(), std::nullopt);
  const timer_id id = w.schedule_after(10ms, [] {});
  EXPECT_EQ(w.time_to_next(t0), std::chrono::milliseconds(10));
  EXPECT_EQ(w.time_to_next(t0 + 3ms), std::chrono::milliseconds(7));
  EXPECT_EQ(w.time_to_next(t0 + 3500us), std::chrono::milliseconds(6));  // rounded down
  EXPECT_EQ(w.time_to_next(t0 + 20ms), std::chrono::milliseconds(0));    // overdue
  EXPECT_EQ(w.next_expiry(), t0 + 10ms);
  w.cancel(id);
  EXPECT_EQ(w.time_to_next(t0), std::nullopt);
}

TEST(timer_wheel, time_to_next_never_later_than_the_earliest_deadline) {
  std::mt19937_64 rng(5);
  timer_wheel w(t0);
  std::map<std::uint64_t, std::pair<timer_id, time_point>> pending;  // by serial number
  std::multiset<time_point> deadlines;
  std::uint64_t serial = 0;
  const std::chrono::milliseconds ranges[] = {50ms, 5s, 10min, std::chrono::milliseconds(3 * day)};
  for (int step = 0; step < 4000; ++step) {
    const auto op = static_cast<unsigned>(rng() % 10);
    if (op < 5) {
      const auto range = ranges[rng() % 4].count();
      const time_point d = due_moment(w.now()) + std::chrono::milliseconds(rng() % range);
      const std::uint64_t key = serial++;
      const timer_id id = w.schedule_at(d, [&, key, d] {
        EXPECT_GE(w.now(), d);
        deadlines.erase(deadlines.find(d));
        pending.erase(key);
      });
      pending[key] = {id, d};
      deadlines.insert(d);
    } else if (op < 7 && !pending.empty()) {
      auto it = pending.begin();
      std::advance(it, rng() % pending.size());
      ASSERT_TRUE(w.cancel(it->second.first));
      deadlines.erase(deadlines.find(it->second.second));
      pending.erase(it);
    } else if (op < 9) {
      w.advance(w.now() + nanoseconds(rng() % 20'000'000));
    } else if (!deadlines.empty()) {
      // Sleep exactly as told, in the loop's way, until the earliest timer has fired.
      const time_point earliest = *deadlines.begin();
      int wakeups = 0;
      while (!deadlines.empty() && *deadlines.begin() == earliest && wakeups < 20) {
        ASSERT_TRUE(w.next_expiry().has_value());
        w.advance(*w.next_expiry());
        ++wakeups;
      }
      EXPECT_LE(wakeups, 7);  // at most one wake per level plus the firing one
    }
    const time_point query = w.now() + nanoseconds(rng() % 2'000'000);
    const auto wait = w.time_to_next(query);
    const auto expiry = w.next_expiry();
    ASSERT_EQ(wait.has_value(), !deadlines.empty());
    ASSERT_EQ(expiry.has_value(), !deadlines.empty());
    if (deadlines.empty()) continue;
    const time_point earliest = *deadlines.begin();  // whole ms, so already tick-aligned
    ASSERT_GE(wait->count(), 0);
    if (earliest >= query) {
      ASSERT_LE(query + *wait, earliest) << step;
    } else {
      ASSERT_EQ(wait->count(), 0) << step;
    }
    ASSERT_LE(*expiry, std::max(earliest, w.now())) << step;
  }
}

}  // namespace
}  // namespace ringcast::reactor
