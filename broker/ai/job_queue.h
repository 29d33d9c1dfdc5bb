#pragma once
// The AI jobs waiting for a worker: most urgent priority first (1), oldest first within a
// priority. Shared by the owner shards (push) and the worker threads (pop), under one lock: a
// few thousand operations a second at most, each a heap step.
#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "broker/ai/backends/backend.h"

namespace ringcast::broker::ai {

using ringcast::ai::clock;

// What a worker hands back: an answer, or why there is none.
struct job_result {
  std::optional<ringcast::ai::answer> answer;
  std::string error;       // the last failure's reason when there is no answer
  unsigned attempts = 0;   // backend calls made
  bool skipped = false;    // never started: settled first, or no time left
  std::chrono::milliseconds took{0};  // from the first call's start to the end of the last
};

struct job_ticket {
  std::int64_t id = 0;
  int priority = 3;          // 1..5, 1 first
  std::uint64_t order = 0;   // set by the queue: first come, first served within a priority
  std::int64_t seq = 0;      // the customer's message
  clock::time_point due;     // the owner sends the fallback at this time
  ringcast::ai::request request;  // request.deadline is ignored: workers set it per attempt
  // Set by the owner shard once it stopped waiting (fallback sent, human took over); a worker
  // that sees it skips the job or stops retrying.
  std::atomic<bool> settled{false};
  // Called once by the worker that took the job (any thread): hands the result to the owner.
  std::function<void(job_result)> deliver;
};

class job_queue {
 public:
  static constexpr int priorities = 5;
  explicit job_queue(std::size_t capacity) : capacity_(capacity) {}

  // False (and not kept) when `capacity` jobs are waiting or the queue is closed.
  bool push(std::shared_ptr<job_ticket> job);
  // The next job, waiting for one; nullptr once closed (even with jobs left).
  std::shared_ptr<job_ticket> pop();
  // Wakes every waiting pop; later pushes are refused.
  void close();
  std::array<std::size_t, priorities> depth() const;

 private:
  struct later {
    bool operator()(const std::shared_ptr<job_ticket>& a, const std::shared_ptr<job_ticket>& b) const noexcept {
      return a->priority != b->priority ? a->priority > b->priority : a->order > b->order;
    }
  };
  const std::size_t capacity_;
  mutable std::mutex lock_;
  std::condition_variable ready_;
  std::priority_queue<std::shared_ptr<job_ticket>, std::vector<std::shared_ptr<job_ticket>>, later> heap_;
  std::array<std::size_t, priorities> depth_{};
  std::uint64_t next_order_ = 0;
  bool closed_ = false;
};

}  // namespace ringcast::broker::ai
