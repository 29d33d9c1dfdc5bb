#include "broker/ai/job_queue.h"

#include <gtest/gtest.h>

#include <thread>

#include "broker/ai/retry_policy.h"

namespace ringcast::broker::ai {
namespace {

std::shared_ptr<job_ticket> job(std::int64_t id, int priority) {
  auto t = std::make_shared<job_ticket>();
  t->id = id;
  t->priority = priority;
  return t;
}

TEST(job_queue, most_urgent_first_then_oldest_first) {
  job_queue q(100);
  // (id, priority) pushed in id order.
  const std::pair<int, int> pushed[] = {{1, 3}, {2, 5}, {3, 1}, {4, 3}, {5, 1}, {6, 2}, {7, 5}, {8, 3}};
  for (auto [id, p] : pushed) ASSERT_TRUE(q.push(job(id, p)));
  const auto depth = q.depth();
  EXPECT_EQ(depth[0], 2u);
  EXPECT_EQ(depth[2], 3u);
  std::vector<std::int64_t> order;
  for (std::size_t i = 0; i < std::size(pushed); ++i) order.push_back(q.pop()->id);
  EXPECT_EQ(order, (std::vector<std::int64_t>{3, 5, 6, 1, 4, 8, 2, 7}));
  EXPECT_EQ(q.depth()[2], 0u);
}

TEST(job_queue, out_of_range_priorities_are_clamped) {
  job_queue q(10);
  q.push(job(1, 9));
  q.push(job(2, -4));
  EXPECT_EQ(q.pop()->id, 2);
  EXPECT_EQ(q.pop()->priority, 5);
}

TEST(job_queue, refuses_past_its_capacity) {
  job_queue q(2);
  EXPECT_TRUE(q.push(job(1, 3)));
  EXPECT_TRUE(q.push(job(2, 3)));
  EXPECT_FALSE(q.push(job(3, 1)));
  q.pop();
  EXPECT_TRUE(q.push(job(4, 3)));
}

TEST(job_queue, close_wakes_a_waiting_pop_and_refuses_pushes) {
  job_queue q(10);
  std::shared_ptr<job_ticket> got = job(0, 1);
  std::thread waiter([&] { got = q.pop(); });
  q.close();
  waiter.join();
  EXPECT_EQ(got, nullptr);
  EXPECT_FALSE(q.push(job(1, 1)));
}

TEST(retry_policy, attempts_get_the_time_up_to_due_minus_the_reserve) {
  using namespace std::chrono_literals;
  retry_policy p;  // 3 attempts, backoff 100 ms doubling, reserve 300 ms, at least 50 ms per attempt
  const auto now = ringcast::ai::clock::now();
  const auto due = now + 5500ms;
  EXPECT_EQ(p.attempt_deadline(1, now, due), due - 300ms);
  EXPECT_EQ(p.attempt_deadline(3, now, due), due - 300ms);
  EXPECT_FALSE(p.attempt_deadline(4, now, due));
  EXPECT_FALSE(p.attempt_deadline(0, now, due));
  // Too little time left for a useful call.
  EXPECT_TRUE(p.attempt_deadline(1, due - 350ms, due));
  EXPECT_FALSE(p.attempt_deadline(1, due - 349ms, due));
  EXPECT_FALSE(p.attempt_deadline(1, due + 1s, due));
  // A backend that typically takes 2 s gets no call with less than 2 s left.
  EXPECT_TRUE(p.attempt_deadline(1, due - 2300ms, due, 2s));
  EXPECT_FALSE(p.attempt_deadline(1, due - 2299ms, due, 2s));
  EXPECT_EQ(p.backoff_before(1), 0ms);
  EXPECT_EQ(p.backoff_before(2), 100ms);
  EXPECT_EQ(p.backoff_before(3), 200ms);
  EXPECT_EQ(p.backoff_before(4), 400ms);
}

}  // namespace
}  // namespace ringcast::broker::ai
