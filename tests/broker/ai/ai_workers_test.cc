// The worker threads against scripted backends: retries while time remains, a non-retryable
// failure ends the job, a backend that hangs until its deadline never holds more than the
// worker count, and a job settled before a worker takes it is skipped.
#include "broker/ai/ai_workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace ringcast::broker::ai {
namespace {

using namespace std::chrono_literals;
using ringcast::ai::clock;

// A backend whose answer is a function of the attempt number.
class scripted_backend final : public ringcast::ai::backend {
 public:
  explicit scripted_backend(std::function<ringcast::ai::outcome(unsigned call, const ringcast::ai::request&)> f)
      : f_(std::move(f)) {}
  ringcast::ai::outcome generate(const ringcast::ai::request& r) override {
    const unsigned call = ++calls;
    const int now = ++running;
    int seen = max_running.load();
    while (now > seen && !max_running.compare_exchange_weak(seen, now)) {
    }
    auto out = f_(call, r);
    --running;
    return out;
  }
  const char* name() const noexcept override { return "scripted"; }
  std::atomic<unsigned> calls{0};
  std::atomic<int> running{0}, max_running{0};

 private:
  std::function<ringcast::ai::outcome(unsigned, const ringcast::ai::request&)> f_;
};

// Collects delivered results and lets the test wait for a count.
struct results {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::pair<std::int64_t, job_result>> got;
  std::function<void(job_result)> sink(std::int64_t id) {
    return [this, id](job_result r) {
      std::lock_guard g(m);
      got.emplace_back(id, std::move(r));
      cv.notify_all();
    };
  }
  bool wait_for(std::size_t n, std::chrono::seconds timeout) {
    std::unique_lock g(m);
    return cv.wait_for(g, timeout, [&] { return got.size() >= n; });
  }
};

std::shared_ptr<job_ticket> ticket(std::int64_t id, clock::duration due_in, results& out) {
  auto t = std::make_shared<job_ticket>();
  t->id = id;
  t->due = clock::now() + due_in;
  t->request.content = "question " + std::to_string(id);
  t->deliver = out.sink(id);
  return t;
}

ringcast::ai::answer good(std::string text = "sure") { return {std::move(text), 0.9, "billing", "en", false}; }

TEST(ai_workers, a_failing_backend_is_retried_up_to_the_limit_then_succeeds) {
  scripted_backend b([](unsigned call, const ringcast::ai::request&) -> ringcast::ai::outcome {
    if (call < 3) return ringcast::ai::failure{"500 from the endpoint", true};
    return good();
  });
  job_queue q(10);
  worker_figures f;
  results out;
  retry_policy p;
  p.backoff = 5ms;
  {
    ai_workers w(b, q, p, 1, f);
    q.push(ticket(1, 5s, out));
    ASSERT_TRUE(out.wait_for(1, 10s));
  }
  ASSERT_TRUE(out.got[0].second.answer);
  EXPECT_EQ(out.got[0].second.attempts, 3u);
  EXPECT_EQ(f.attempts.load(), 3u);
  EXPECT_EQ(f.failures.load(), 2u);
}

TEST(ai_workers, attempts_stop_at_the_limit_and_at_a_non_retryable_failure) {
  scripted_backend always_fails([](unsigned, const ringcast::ai::request&) -> ringcast::ai::outcome {
    return ringcast::ai::failure{"bad gateway", true};
  });
  scripted_backend refuses([](unsigned, const ringcast::ai::request&) -> ringcast::ai::outcome {
    return ringcast::ai::failure{"401", false};
  });
  retry_policy p;
  p.backoff = 1ms;
  for (auto* b : {&always_fails, &refuses}) {
    job_queue q(10);
    worker_figures f;
    results out;
    {
      ai_workers w(*b, q, p, 1, f);
      q.push(ticket(1, 5s, out));
      ASSERT_TRUE(out.wait_for(1, 10s));
    }
    EXPECT_FALSE(out.got[0].second.answer);
    EXPECT_FALSE(out.got[0].second.skipped);
    EXPECT_EQ(out.got[0].second.attempts, b == &refuses ? 1u : 3u);
    EXPECT_FALSE(out.got[0].second.error.empty());
  }
}

TEST(ai_workers, a_hanging_backend_holds_at_most_the_workers_and_each_call_ends_by_its_deadline) {
  // Each call blocks until the deadline it was given.
  scripted_backend hangs([](unsigned, const ringcast::ai::request& r) -> ringcast::ai::outcome {
    std::this_thread::sleep_until(r.deadline);
    return ringcast::ai::failure{"timed out", true};
  });
  job_queue q(100);
  worker_figures f;
  results out;
  retry_policy p;
  p.reserve = 50ms;
  const auto started = clock::now();
  {
    ai_workers w(hangs, q, p, 3, f);
    for (int i = 0; i < 12; ++i) q.push(ticket(i, 400ms, out));
    ASSERT_TRUE(out.wait_for(12, 20s));
  }
  EXPECT_LE(hangs.max_running.load(), 3);
  EXPECT_EQ(hangs.max_running.load(), 3);
  // Nine jobs waited behind the three hanging ones and found no time left: skipped, not run.
  unsigned skipped = 0;
  for (auto& [id, r] : out.got) skipped += r.skipped;
  EXPECT_EQ(skipped, 9u);
  EXPECT_EQ(hangs.calls.load(), 3u);
  EXPECT_LT(clock::now() - started, 2s);
}

TEST(ai_workers, a_settled_job_is_skipped) {
  scripted_backend b([](unsigned, const ringcast::ai::request&) -> ringcast::ai::outcome { return good(); });
  job_queue q(10);
  worker_figures f;
  results out;
  {
    ai_workers w(b, q, retry_policy{}, 1, f);
    auto t = ticket(1, 5s, out);
    t->settled = true;
    q.push(t);
    q.push(ticket(2, 5s, out));
    ASSERT_TRUE(out.wait_for(2, 10s));
  }
  EXPECT_TRUE(out.got[0].second.skipped);
  EXPECT_EQ(out.got[1].first, 2);
  EXPECT_TRUE(out.got[1].second.answer);
  EXPECT_EQ(b.calls.load(), 1u);
  EXPECT_EQ(f.skipped.load(), 1u);
}

TEST(ai_workers, a_job_with_less_time_left_than_answers_take_is_skipped) {
  scripted_backend b([](unsigned, const ringcast::ai::request&) -> ringcast::ai::outcome {
    std::this_thread::sleep_for(100ms);
    return good();
  });
  job_queue q(10);
  worker_figures f;
  results out;
  {
    ai_workers w(b, q, retry_policy{}, 1, f);
    q.push(ticket(1, 5s, out));
    ASSERT_TRUE(out.wait_for(1, 10s));
    EXPECT_GE(f.typical_answer_us.load(), 100'000);
    // 90 ms for the call (after the 300 ms reserve): enough for min_attempt (50 ms), not for a
    // backend that takes 100 ms.
    q.push(ticket(2, 390ms, out));
    ASSERT_TRUE(out.wait_for(2, 10s));
  }
  EXPECT_TRUE(out.got[1].second.skipped);
  EXPECT_EQ(b.calls.load(), 1u);
}

}  // namespace
}  // namespace ringcast::broker::ai
