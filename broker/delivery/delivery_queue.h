#pragma once
// The deliveries waiting for a delivery thread, each with the time it may go (now, or after its
// backoff): the soonest first. Shared by the owner shards and the delivery threads (push) and
// the delivery threads (pop), under one lock. A delivery is in the queue at most once: pushing
// one already waiting keeps the sooner time. Bounded: a push past `capacity` is refused (the row
// stays pending in PostgreSQL and is taken up at the next start).
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

namespace ringcast::broker::delivery {

class delivery_queue {
 public:
  using clock = std::chrono::steady_clock;
  struct entry {
    std::int64_t id = 0;
    std::string conversation;
  };

  explicit delivery_queue(std::size_t capacity) : capacity_(capacity) {}

  bool push(entry e, clock::time_point due = clock::time_point::min());
  // The next due entry, waiting until one is due; nullopt once closed (entries left stay pending
  // in the database).
  std::optional<entry> pop();
  // Wakes every waiting pop; later pushes are refused.
  void close();
  std::size_t depth() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex lock_;
  std::condition_variable changed_;
  std::set<std::pair<clock::time_point, std::int64_t>> by_due_;
  std::unordered_map<std::int64_t, std::pair<clock::time_point, std::string>> waiting_;
  bool closed_ = false;
};

}  // namespace ringcast::broker::delivery
