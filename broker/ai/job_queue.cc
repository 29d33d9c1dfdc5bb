#include "broker/ai/job_queue.h"

#include <algorithm>

namespace ringcast::broker::ai {
namespace {
std::size_t slot(int priority) noexcept { return std::size_t(std::clamp(priority, 1, job_queue::priorities) - 1); }
}  // namespace

bool job_queue::push(std::shared_ptr<job_ticket> job) {
  {
    std::lock_guard g(lock_);
    if (closed_ || heap_.size() >= capacity_) return false;
    job->priority = std::clamp(job->priority, 1, priorities);
    job->order = next_order_++;
    ++depth_[slot(job->priority)];
    heap_.push(std::move(job));
  }
  ready_.notify_one();
  return true;
}

std::shared_ptr<job_ticket> job_queue::pop() {
  std::unique_lock g(lock_);
  ready_.wait(g, [this] { return closed_ || !heap_.empty(); });
  // Closing drops the waiting jobs: they stay pending in ai_jobs and are taken up at the next start.
  if (closed_) return nullptr;
  auto job = heap_.top();
  heap_.pop();
  --depth_[slot(job->priority)];
  return job;
}

void job_queue::close() {
  {
    std::lock_guard g(lock_);
    closed_ = true;
  }
  ready_.notify_all();
}

std::array<std::size_t, job_queue::priorities> job_queue::depth() const {
  std::lock_guard g(lock_);
  return depth_;
}

}  // namespace ringcast::broker::ai
