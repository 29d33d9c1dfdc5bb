#include "broker/ai/ai_service.h"

#include "broker/inbox/inbox_shard.h"

namespace ringcast::broker::ai {

ai_service::ai_service(ai_settings settings, std::shared_ptr<ringcast::ai::backend> backend,
                       std::unique_ptr<history_loader> history)
    : settings_(std::move(settings)),
      backend_(std::move(backend)),
      history_(std::move(history)),
      queue_(settings_.max_queue) {}

ai_service::~ai_service() { stop(); }

void ai_service::start(post_fn post) {
  post_ = std::move(post);
  workers_ = std::make_unique<ai_workers>(*backend_, queue_, settings_.retry, settings_.concurrency, figures_,
                                          history_.get());
  if (knowledge_) refresher_ = std::make_unique<knowledge_refresher>(*knowledge_, post_);
}

void ai_service::stop() {
  refresher_.reset();
  workers_.reset();
}

bool ai_service::refresh_knowledge(std::vector<ringcast::ai::knowledge_entry> entries, unsigned reply_shard,
                                   knowledge_refresher::done_fn done) {
  if (!refresher_) return false;
  refresher_->refresh(std::move(entries), reply_shard, std::move(done));
  return true;
}

void ai_service::set_open_jobs(std::vector<persistence::open_ai_job> jobs) {
  std::lock_guard g(open_lock_);
  open_ = std::move(jobs);
}

std::vector<persistence::open_ai_job> ai_service::take_open_jobs(unsigned shard, unsigned shards) {
  std::lock_guard g(open_lock_);
  std::vector<persistence::open_ai_job> mine, rest;
  for (auto& j : open_) (inbox::owner_of(j.conversation, shards) == shard ? mine : rest).push_back(std::move(j));
  open_ = std::move(rest);
  return mine;
}

}  // namespace ringcast::broker::ai
