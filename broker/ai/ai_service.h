#pragma once
// The AI auto-responder of the whole process: the backend, the job queue and the worker threads,
// shared by every shard. Owner shards (ai_shard) push jobs; workers hand results back to the
// owner through a post function that reaches a shard from any thread.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "broker/ai/ai_settings.h"
#include "broker/ai/ai_workers.h"
#include "broker/ai/backends/backend.h"
#include "broker/ai/backends/builtin_backend.h"
#include "broker/ai/history_loader.h"
#include "broker/ai/job_queue.h"
#include "broker/ai/knowledge_refresher.h"
#include "persistence/ai_jobs.h"
#include "reactor/mailbox.h"

namespace ringcast::broker::ai {

class ai_service {
 public:
  using post_fn = std::function<void(unsigned shard, reactor::shard_task)>;

  // `history`: the backend wants each conversation's recent messages (null: it does not).
  ai_service(ai_settings settings, std::shared_ptr<ringcast::ai::backend> backend,
             std::unique_ptr<history_loader> history = nullptr);
  ~ai_service();
  ai_service(const ai_service&) = delete;
  ai_service& operator=(const ai_service&) = delete;

  // Starts the workers; `post` must stay valid until stop() returns.
  void start(post_fn post);
  // Joins the workers (each ends its current call by its deadline). Idempotent.
  void stop();

  const ai_settings& settings() const noexcept { return settings_; }
  // False: the queue is full or stopped (the owner's timer will send the fallback).
  bool submit(std::shared_ptr<job_ticket> job) { return queue_.push(std::move(job)); }
  void post(unsigned shard, reactor::shard_task t) const { post_(shard, std::move(t)); }

  // Jobs left open by a crash, read before the shards start; each owner takes its own.
  void set_open_jobs(std::vector<persistence::open_ai_job> jobs);
  std::vector<persistence::open_ai_job> take_open_jobs(unsigned shard, unsigned shards);

  // The builtin backend's knowledge base (the answers of the builtin backend, the prompts' best
  // match with openai), which the REST API refreshes after each change. Set before the shards
  // start and not changed after, so any shard may read it; builtin_backend::replace() is
  // thread-safe, and calls being generated finish on the snapshot they took.
  void set_knowledge_base(std::shared_ptr<ringcast::ai::builtin_backend> kb) { knowledge_ = std::move(kb); }
  ringcast::ai::builtin_backend* knowledge_base() const noexcept { return knowledge_.get(); }
  // Replaces the knowledge base's index on the refresher thread, in the order of the calls;
  // `done` runs on `reply_shard` with replace()'s error. False (and `done` dropped) when there is
  // no knowledge base or the service is not running.
  bool refresh_knowledge(std::vector<ringcast::ai::knowledge_entry> entries, unsigned reply_shard,
                         knowledge_refresher::done_fn done);
  bool refreshes_knowledge() const noexcept { return refresher_ != nullptr; }

  const worker_figures& figures() const noexcept { return figures_; }
  // Conversations resolved in the past hour, and those of them with no staff message (shard 0
  // reads them every 5 s).
  static constexpr std::chrono::hours resolution_window{1};
  std::atomic<std::int64_t> resolved_total{0};
  std::atomic<std::int64_t> resolved_by_ai{0};
  std::array<std::size_t, job_queue::priorities> queue_depth() const { return queue_.depth(); }

 private:
  ai_settings settings_;
  std::shared_ptr<ringcast::ai::backend> backend_;
  std::shared_ptr<ringcast::ai::builtin_backend> knowledge_;
  std::unique_ptr<history_loader> history_;
  job_queue queue_;
  worker_figures figures_;
  post_fn post_;
  std::unique_ptr<ai_workers> workers_;
  std::unique_ptr<knowledge_refresher> refresher_;  // while started, with a knowledge base
  std::mutex open_lock_;
  std::vector<persistence::open_ai_job> open_;
};

}  // namespace ringcast::broker::ai
