#pragma once
// A bounded lock-free single-producer/single-consumer ring: the cross-shard mailbox. There is one
// ring per ordered pair of shards, so each ring has exactly one pushing thread and one popping
// thread for its whole life.
//
// Thread rules:
//   producer thread only: try_push
//   consumer thread only: try_pop, consume
//   either of the two:    empty_approx, size_approx, capacity
//   no other thread may call anything; construction and destruction must happen-before/after all
//   use (e.g. before the shard threads start and after they are joined).
//
// Waking: the ring gives no sleep/wake handshake. A consumer that wants to sleep must publish "I
// sleep" and then re-check empty_approx() with a seq_cst fence in between, and the producer must
// fence between try_push and reading that flag; otherwise a push and a sleep can cross.
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <limits>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace ringcast::reactor {

template <class T>
class spsc_ring {
  // Moves and destruction happen between index updates; a throw there would leave a slot half
  // published, so the hot paths rely on them being noexcept.
  static_assert(std::is_nothrow_move_constructible_v<T>, "spsc_ring<T> needs a noexcept move constructor");
  static_assert(std::is_nothrow_destructible_v<T>, "spsc_ring<T> needs a noexcept destructor");
  static_assert(std::atomic<std::size_t>::is_always_lock_free);

 public:
  // Capacity is min_capacity rounded up to a power of two (at least 1) so a slot is index & mask.
  // Throws std::length_error if that does not fit in memory arithmetic, std::bad_alloc on OOM.
  explicit spsc_ring(std::size_t min_capacity) {
    // bit_ceil is undefined past the top bit, and the byte size must not wrap.
    constexpr std::size_t top_bit = std::size_t{1} << (std::numeric_limits<std::size_t>::digits - 1);
    if (min_capacity > top_bit) throw std::length_error("spsc_ring: capacity too large");
    const std::size_t cap = std::bit_ceil(std::max<std::size_t>(min_capacity, 1));
    if (cap > std::numeric_limits<std::size_t>::max() / sizeof(T)) {
      throw std::length_error("spsc_ring: capacity too large");
    }
    slots_ = static_cast<T*>(::operator new(cap * sizeof(T), std::align_val_t{storage_align}));
    mask_ = cap - 1;
  }

  spsc_ring(const spsc_ring&) = delete;
  spsc_ring& operator=(const spsc_ring&) = delete;

  // Destroys whatever was pushed and never popped, so a mailbox torn down at shutdown leaks nothing.
  ~spsc_ring() {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    for (std::size_t i = head_.load(std::memory_order_relaxed); i != tail; ++i) slot(i)->~T();
    ::operator delete(slots_, std::align_val_t{storage_align});
  }

  // Producer only. On success moves from item; on a full ring returns false and leaves item
  // untouched, so the sender keeps it and retries: nothing is ever dropped.
  bool try_push(T& item) noexcept {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cache_ > mask_) {
      // Acquire pairs with the consumer's release of head_: its destruction of the slot we are
      // about to reuse must be finished before we construct into it.
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail - head_cache_ > mask_) return false;
    }
    ::new (static_cast<void*>(slot(tail))) T(std::move(item));
    // Release publishes the constructed item to the consumer's acquire of tail_.
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer only. Move-assigns the oldest item into out and returns true, or returns false if
  // the ring is empty (out untouched).
  bool try_pop(T& out) noexcept
    requires std::is_nothrow_move_assignable_v<T>
  {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cache_) return false;
    }
    T* item = slot(head);
    out = std::move(*item);
    item->~T();
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // Consumer only. Pops up to max items in FIFO order, calling f(T&&) on each, and publishes the
  // consumer index once for the whole batch so the producer's cache line is touched once. Returns
  // the number consumed. If f throws, the item it was given counts as consumed (it is destroyed),
  // the batch so far is published, and the exception propagates; later items stay in the ring.
  template <class F>
  std::size_t consume(F&& f, std::size_t max) noexcept(std::is_nothrow_invocable_v<F&, T&&>) {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (tail_cache_ - head < max) tail_cache_ = tail_.load(std::memory_order_acquire);
    const std::size_t n = std::min(tail_cache_ - head, max);
    if (n == 0) return 0;

    struct publish_on_exit {
      spsc_ring& ring;
      std::size_t next;
      ~publish_on_exit() { ring.head_.store(next, std::memory_order_release); }
    } publish{*this, head};
    struct destroy_on_exit {
      T* item;
      ~destroy_on_exit() { item->~T(); }
    };
    for (const std::size_t end = head + n; publish.next != end;) {
      destroy_on_exit current{slot(publish.next)};
      ++publish.next;
      f(std::move(*current.item));
    }
    return n;
  }

  // Either side. Exact for the caller's own direction: on the consumer, false means an item is
  // surely there; on the producer, true means the consumer has surely drained everything. The
  // other answer may already be stale. Relaxed loads suffice: nothing is dereferenced from them,
  // and a sleep/wake protocol supplies its own fences (see the header comment).
  bool empty_approx() const noexcept {
    return head_.load(std::memory_order_relaxed) == tail_.load(std::memory_order_relaxed);
  }

  // Either side. A snapshot of the queue depth for metrics; never above capacity() because each
  // side's own index bounds the other's stale one.
  std::size_t size_approx() const noexcept {
    return tail_.load(std::memory_order_relaxed) - head_.load(std::memory_order_relaxed);
  }

  std::size_t capacity() const noexcept { return mask_ + 1; }

 private:
  static constexpr std::size_t cache_line = 64;
  // The slot array gets its own lines too, so its ends never share a line with another allocation.
  static constexpr std::size_t storage_align = std::max(alignof(T), cache_line);

  T* slot(std::size_t index) const noexcept { return slots_ + (index & mask_); }

  // Written once at construction and then only read by both threads: a line that stays shared.
  alignas(cache_line) T* slots_ = nullptr;
  std::size_t mask_ = 0;

  // Producer's line. head_cache_ sits beside tail_ because the producer writes this line on every
  // push anyway; refreshing the cache only when the ring looks full keeps the consumer's line out
  // of the producer's cache on the common path.
  alignas(cache_line) std::atomic<std::size_t> tail_{0};
  std::size_t head_cache_ = 0;

  // Consumer's line, mirror image of the producer's.
  alignas(cache_line) std::atomic<std::size_t> head_{0};
  std::size_t tail_cache_ = 0;
};

}  // namespace ringcast::reactor
