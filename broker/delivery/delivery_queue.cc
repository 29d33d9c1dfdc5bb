#include "broker/delivery/delivery_queue.h"

namespace ringcast::broker::delivery {

bool delivery_queue::push(entry e, clock::time_point due) {
  {
    std::lock_guard g(lock_);
    if (closed_) return false;
    if (auto it = waiting_.find(e.id); it != waiting_.end()) {
      if (due >= it->second.first) return true;
      by_due_.erase({it->second.first, e.id});
      it->second.first = due;
    } else {
      if (waiting_.size() >= capacity_) return false;
      waiting_.emplace(e.id, std::make_pair(due, std::move(e.conversation)));
    }
    by_due_.emplace(due, e.id);
  }
  // Every waiter: the new entry may be due sooner than what they wait for.
  changed_.notify_all();
  return true;
}

std::optional<delivery_queue::entry> delivery_queue::pop() {
  std::unique_lock g(lock_);
  for (;;) {
    if (closed_) return std::nullopt;
    if (by_due_.empty()) {
      changed_.wait(g);
      continue;
    }
    const auto [due, id] = *by_due_.begin();
    if (due > clock::now()) {
      changed_.wait_until(g, due);
      continue;
    }
    by_due_.erase(by_due_.begin());
    auto it = waiting_.find(id);
    entry e{id, std::move(it->second.second)};
    waiting_.erase(it);
    return e;
  }
}

void delivery_queue::close() {
  {
    std::lock_guard g(lock_);
    closed_ = true;
  }
  changed_.notify_all();
}

std::size_t delivery_queue::depth() const {
  std::lock_guard g(lock_);
  return waiting_.size();
}

}  // namespace ringcast::broker::delivery
