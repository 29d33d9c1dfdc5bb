#include "broker/ai/knowledge_refresher.h"

#include <pthread.h>

namespace ringcast::broker::ai {

knowledge_refresher::knowledge_refresher(ringcast::ai::builtin_backend& kb, post_fn post)
    : kb_(kb), post_(std::move(post)), thread_([this] { run(); }) {}

knowledge_refresher::~knowledge_refresher() {
  {
    std::lock_guard g(lock_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void knowledge_refresher::refresh(std::vector<ringcast::ai::knowledge_entry> entries, unsigned reply_shard,
                                  done_fn done) {
  {
    std::lock_guard g(lock_);
    queue_.push_back({std::move(entries), reply_shard, std::move(done)});
  }
  wake_.notify_one();
}

void knowledge_refresher::run() {
  pthread_setname_np(pthread_self(), "ringcast-kb");
  for (;;) {
    std::unique_lock g(lock_);
    wake_.wait(g, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to do
    item next = std::move(queue_.front());
    queue_.pop_front();
    g.unlock();
    std::string error = kb_.replace(std::move(next.entries));
    post_(next.reply_shard, [done = std::move(next.done), error = std::move(error)](reactor::shard&) mutable {
      done(std::move(error));
    });
  }
}

}  // namespace ringcast::broker::ai
