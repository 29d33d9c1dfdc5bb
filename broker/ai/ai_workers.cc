#include "broker/ai/ai_workers.h"

#include <pthread.h>

namespace ringcast::broker::ai {

ai_workers::ai_workers(ringcast::ai::backend& backend, job_queue& queue, retry_policy policy, unsigned threads,
                       worker_figures& figures, const history_loader* history)
    : backend_(backend), queue_(queue), policy_(policy), figures_(figures), history_(history) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { run(); });
    pthread_setname_np(threads_.back().native_handle(), "ringcast-ai");
  }
}

ai_workers::~ai_workers() {
  queue_.close();
  for (auto& t : threads_) t.join();
}

void ai_workers::run() {
  while (auto job = queue_.pop()) {
    job_result r = work_on(*job);
    if (r.skipped) figures_.skipped.fetch_add(1, std::memory_order_relaxed);
    if (job->deliver) job->deliver(std::move(r));
  }
}

job_result ai_workers::work_on(job_ticket& job) {
  job_result r;
  figures_.in_flight.fetch_add(1, std::memory_order_relaxed);
  const auto started = clock::now();
  if (history_ && !job.settled.load(std::memory_order_acquire) && policy_.attempt_deadline(1, started, job.due))
    job.request.history = history_->load(job.request.conversation_id, job.seq);
  const auto typical = std::chrono::microseconds(figures_.typical_answer_us.load(std::memory_order_relaxed));
  for (unsigned attempt = 1; !job.settled.load(std::memory_order_acquire); ++attempt) {
    if (const auto pause = policy_.backoff_before(attempt); pause.count() > 0) {
      // Only the pause that still leaves room for the attempt.
      if (!policy_.attempt_deadline(attempt, clock::now() + pause, job.due, typical)) break;
      std::this_thread::sleep_for(pause);
    }
    const auto call_start = clock::now();
    const auto deadline = policy_.attempt_deadline(attempt, call_start, job.due, typical);
    if (!deadline) break;
    job.request.deadline = *deadline;
    ++r.attempts;
    figures_.attempts.fetch_add(1, std::memory_order_relaxed);
    auto outcome = backend_.generate(job.request);
    if (auto* a = std::get_if<ringcast::ai::answer>(&outcome)) {
      const auto took = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - call_start).count();
      const auto before = figures_.typical_answer_us.load(std::memory_order_relaxed);
      figures_.typical_answer_us.store(before == 0 ? took : before + (took - before) / 4, std::memory_order_relaxed);
      r.answer = std::move(*a);
      break;
    }
    figures_.failures.fetch_add(1, std::memory_order_relaxed);
    const auto& f = std::get<ringcast::ai::failure>(outcome);
    r.error = f.reason;
    if (!f.retryable) break;
  }
  r.skipped = r.attempts == 0;
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started);
  figures_.in_flight.fetch_sub(1, std::memory_order_relaxed);
  return r;
}

}  // namespace ringcast::broker::ai
