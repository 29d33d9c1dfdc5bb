// The delivery queue hands out the soonest due delivery, keeps each delivery once (the sooner
// time wins), refuses past its capacity and lets every waiting thread go when closed.
#include <gtest/gtest.h>

#include <thread>

#include "broker/delivery/delivery_queue.h"

namespace ringcast::broker::delivery {
namespace {

using namespace std::chrono_literals;
using clock = delivery_queue::clock;

TEST(delivery_queue, soonest_due_first) {
  delivery_queue q(10);
  const auto now = clock::now();
  ASSERT_TRUE(q.push({1, "a"}, now - 1ms));
  ASSERT_TRUE(q.push({2, "b"}, now - 3ms));
  ASSERT_TRUE(q.push({3, "c"}, now - 2ms));
  EXPECT_EQ(q.pop()->id, 2);
  EXPECT_EQ(q.pop()->id, 3);
  auto last = q.pop();
  EXPECT_EQ(last->id, 1);
  EXPECT_EQ(last->conversation, "a");
  EXPECT_EQ(q.depth(), 0u);
}

TEST(delivery_queue, a_delivery_waits_once_and_the_sooner_time_wins) {
  delivery_queue q(10);
  const auto now = clock::now();
  ASSERT_TRUE(q.push({7, "c"}, now + 1h));
  ASSERT_TRUE(q.push({7, "c"}, now - 1ms));  // sooner: moves up
  ASSERT_TRUE(q.push({7, "c"}, now + 2h));   // later: ignored
  EXPECT_EQ(q.depth(), 1u);
  EXPECT_EQ(q.pop()->id, 7);
  EXPECT_EQ(q.depth(), 0u);
}

TEST(delivery_queue, refuses_past_capacity_but_takes_a_known_one_again) {
  delivery_queue q(2);
  EXPECT_TRUE(q.push({1, "a"}));
  EXPECT_TRUE(q.push({2, "b"}));
  EXPECT_FALSE(q.push({3, "c"}));
  EXPECT_TRUE(q.push({2, "b"}));
}

TEST(delivery_queue, an_entry_is_not_handed_out_before_its_time) {
  delivery_queue q(10);
  const auto due = clock::now() + 80ms;
  ASSERT_TRUE(q.push({1, "a"}, due));
  auto e = q.pop();
  ASSERT_TRUE(e);
  EXPECT_GE(clock::now(), due);
}

TEST(delivery_queue, a_sooner_push_wakes_a_thread_waiting_for_a_later_one) {
  delivery_queue q(10);
  ASSERT_TRUE(q.push({1, "later"}, clock::now() + 1h));
  std::optional<delivery_queue::entry> got;
  std::thread t([&] { got = q.pop(); });
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(q.push({2, "now"}));
  t.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, 2);
}

TEST(delivery_queue, close_releases_waiting_threads_and_refuses_pushes) {
  delivery_queue q(10);
  std::optional<delivery_queue::entry> got{delivery_queue::entry{}};
  std::thread t([&] { got = q.pop(); });
  std::this_thread::sleep_for(20ms);
  q.close();
  t.join();
  EXPECT_FALSE(got);
  EXPECT_FALSE(q.push({1, "a"}));
}

}  // namespace
}  // namespace ringcast::broker::delivery
