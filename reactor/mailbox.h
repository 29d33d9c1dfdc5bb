#pragma once
// Cross-shard messaging: one bounded SPSC ring per ordered pair of shards, no locks. A sender whose
// ring is full keeps the message in its own overflow queue and retries, in order per (sender,
// receiver) pair. The overflow queue is bounded too: past its limit an ordinary message is
// refused (the caller decides what that means), while a guaranteed one is still kept, for the few
// messages whose loss would break an invariant (a socket in transit, room membership). A receiver about to sleep advertises it, and a sender
// that sees the flag wakes it (the shard does that with IORING_OP_MSG_RING).
#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "reactor/spsc_ring.h"
#include "reactor/unique_function.h"

namespace ringcast::reactor {

class shard;
using shard_task = unique_function<void(shard&)>;

class mailbox_mesh {
 public:
  mailbox_mesh(unsigned shards, std::size_t ring_capacity);
  ~mailbox_mesh();
  mailbox_mesh(const mailbox_mesh&) = delete;
  mailbox_mesh& operator=(const mailbox_mesh&) = delete;

  // Thread-safe: sets the shard's stop flag and wakes it.
  void request_stop(unsigned shard) noexcept;
  void wake(unsigned shard) noexcept;
  // Thread-safe, for threads that are not shards (AI workers, blocking I/O): runs t on `shard`
  // in a later loop iteration, waking it. Unbounded: the caller bounds how much it hands back
  // (one result per job it took). Tasks still queued when the shard has exited are destroyed
  // unrun with the mesh.
  void post_from_thread(unsigned shard, shard_task t);
  // The shard's own thread: takes what other threads posted, oldest first.
  std::deque<shard_task> take_thread_posts(unsigned shard);

  unsigned shards() const noexcept { return shards_; }
  spsc_ring<shard_task>& ring(unsigned from, unsigned to) noexcept { return *rings_[from * shards_ + to]; }

  // What other threads may touch of a shard. It lives as long as the mesh (the server), so a
  // stop request never races with a shard tearing itself down.
  struct alignas(64) peer_state {
    std::atomic<bool> sleeping{false};
    std::atomic<int> ring_fd{-1};  // the receiver's io_uring fd, target of MSG_RING wake-ups
    std::atomic<bool> stop_requested{false};
    int wake_fd = -1;              // eventfd: wakes the shard from any thread
    std::mutex thread_posts_lock;
    std::deque<shard_task> thread_posts;  // from non-shard threads
    std::atomic<bool> has_thread_posts{false};
  };
  peer_state& peer(unsigned shard) noexcept { return peers_[shard]; }

 private:
  unsigned shards_;
  std::vector<std::unique_ptr<spsc_ring<shard_task>>> rings_;
  std::unique_ptr<peer_state[]> peers_;
};

// One shard's end of the mesh: its outgoing rings (with overflow) and its incoming rings.
// Used only by the thread of shard `self`.
class mailbox_port {
 public:
  mailbox_port(mailbox_mesh& mesh, unsigned self, std::size_t overflow_limit);

  enum class outcome : unsigned char { queued, kept, refused };
  // Queues t for shard `target` (!= self): into the ring, or kept for a later flush, or (only when
  // not `guaranteed` and overflow_limit messages are already kept for that target) refused, in
  // which case t is left untouched.
  outcome post(unsigned target, shard_task&& t, bool guaranteed);
  // Moves kept messages into their rings, in order, and calls wake(target, ring_fd) once for every
  // target that got messages since the last flush and is asleep.
  template <class Wake>
  void flush(Wake&& wake);
  bool has_deferred() const noexcept { return deferred_count_ > 0; }

  // Runs up to max_per_ring messages from each incoming ring; returns how many ran.
  template <class F>
  std::size_t drain(F&& run, std::size_t max_per_ring);
  // Marks this shard asleep; false (and still awake) if a message arrived meanwhile.
  bool prepare_sleep() noexcept;
  void awake() noexcept { mesh_.peer(self_).sleeping.store(false, std::memory_order_relaxed); }

 private:
  mailbox_mesh& mesh_;
  unsigned self_;
  std::vector<std::deque<shard_task>> deferred_;
  std::vector<unsigned char> pushed_;  // per target: messages went in since the last flush
  std::size_t deferred_count_ = 0;
  std::size_t overflow_limit_;
};

template <class Wake>
void mailbox_port::flush(Wake&& wake) {
  for (unsigned t = 0; t < mesh_.shards(); ++t) {
    auto& kept = deferred_[t];
    auto& ring = mesh_.ring(self_, t);
    while (!kept.empty() && ring.try_push(kept.front())) {
      kept.pop_front();
      --deferred_count_;
      pushed_[t] = 1;
    }
  }
  // Pairs with prepare_sleep(): publish the pushes, then read the flag (Dekker-style), so either
  // the receiver sees the message before sleeping or we see it asleep and wake it.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (unsigned t = 0; t < mesh_.shards(); ++t) {
    if (!pushed_[t]) continue;
    pushed_[t] = 0;
    auto& p = mesh_.peer(t);
    if (p.sleeping.load(std::memory_order_relaxed) && p.sleeping.exchange(false, std::memory_order_acq_rel))
      wake(t, p.ring_fd.load(std::memory_order_acquire));
  }
}

template <class F>
std::size_t mailbox_port::drain(F&& run, std::size_t max_per_ring) {
  std::size_t n = 0;
  for (unsigned from = 0; from < mesh_.shards(); ++from) {
    if (from == self_) continue;
    n += mesh_.ring(from, self_).consume([&](shard_task&& t) { run(t); }, max_per_ring);
  }
  return n;
}

}  // namespace ringcast::reactor
