#pragma once
// The AI worker threads: each takes the next job from the queue, calls the backend with the time
// the retry policy gives it, retries failures while time remains, and hands the result to the
// job's owner (job_ticket::deliver). They never touch a shard's objects. At most `threads` jobs
// are generating at once, however slow or stuck the backend is, since each call ends by its
// deadline.
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "broker/ai/backends/backend.h"
#include "broker/ai/history_loader.h"
#include "broker/ai/job_queue.h"
#include "broker/ai/retry_policy.h"

namespace ringcast::broker::ai {

struct worker_figures {
  std::atomic<std::uint64_t> in_flight{0};   // gauge: jobs being generated
  std::atomic<std::uint64_t> attempts{0};    // backend calls
  std::atomic<std::uint64_t> failures{0};    // backend calls that failed
  std::atomic<std::uint64_t> skipped{0};     // jobs taken but not started (settled, or too late)
  // How long answers take lately: a moving average (1/4 weight to the newest) of the calls that
  // answered, in microseconds.
  std::atomic<std::int64_t> typical_answer_us{0};
};

class ai_workers {
 public:
  // `history`: read each job's recent messages for the prompt first (null: none).
  ai_workers(ringcast::ai::backend& backend, job_queue& queue, retry_policy policy, unsigned threads,
             worker_figures& figures, const history_loader* history = nullptr);
  // Closes the queue and joins the threads (each ends its current call by that call's deadline).
  ~ai_workers();
  ai_workers(const ai_workers&) = delete;
  ai_workers& operator=(const ai_workers&) = delete;

 private:
  void run();
  job_result work_on(job_ticket& job);

  ringcast::ai::backend& backend_;
  job_queue& queue_;
  retry_policy policy_;
  worker_figures& figures_;
  const history_loader* history_;
  std::vector<std::thread> threads_;
};

}  // namespace ringcast::broker::ai
