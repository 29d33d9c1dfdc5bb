#pragma once
// Rebuilds the builtin backend's knowledge index off the I/O shards. The REST API's knowledge
// changes commit on shard 0 (their owner), which hands each new table here in commit order; one
// thread replaces the index in that order (the last table read is the one in use), then posts the
// change's `done` to the shard that asked, with replace()'s error (empty when the new index is in
// use). Indexing the largest knowledge base takes long enough to stall a shard; here it stalls
// nobody. Thread-safe.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/ai/backends/builtin_backend.h"
#include "reactor/mailbox.h"

namespace ringcast::broker::ai {

class knowledge_refresher {
 public:
  using post_fn = std::function<void(unsigned shard, reactor::shard_task)>;
  using done_fn = reactor::unique_function<void(std::string error)>;

  knowledge_refresher(ringcast::ai::builtin_backend& kb, post_fn post);
  // Finishes the refreshes already handed over, then joins the thread.
  ~knowledge_refresher();
  knowledge_refresher(const knowledge_refresher&) = delete;
  knowledge_refresher& operator=(const knowledge_refresher&) = delete;

  void refresh(std::vector<ringcast::ai::knowledge_entry> entries, unsigned reply_shard, done_fn done);

 private:
  struct item {
    std::vector<ringcast::ai::knowledge_entry> entries;
    unsigned reply_shard;
    done_fn done;
  };
  void run();

  ringcast::ai::builtin_backend& kb_;
  post_fn post_;
  std::mutex lock_;
  std::condition_variable wake_;
  std::deque<item> queue_;  // guarded by lock_
  bool stopping_ = false;   // guarded by lock_
  std::thread thread_;
};

}  // namespace ringcast::broker::ai
