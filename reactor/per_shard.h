#pragma once
// One object of type T per shard, found by shard id: how a shard reaches the same service on
// another shard (the target of a socket hand-off, a room replica, a conversation's owner) without
// casting shard::app(). Each shard registers its own object on its own thread before it runs, and
// looks up only its own slot (tasks run on the shard they were posted to), so no slot is ever
// read and written by two threads at once.
#include <cassert>
#include <vector>

#include "reactor/shard.h"

namespace ringcast::reactor {

template <class T>
class per_shard {
 public:
  explicit per_shard(unsigned shards) : slots_(shards, nullptr) {}

  void set(const shard& s, T* object) noexcept { slots_[s.id()] = object; }
  T& on(const shard& s) const noexcept {
    assert(slots_[s.id()] && "the shard registered no object");
    return *slots_[s.id()];
  }

 private:
  std::vector<T*> slots_;
};

}  // namespace ringcast::reactor
