#pragma once
// The per-shard timer wheel: heartbeats, ping/idle/connect timeouts, typing and presence expiry.
// Hundreds of thousands of timers live at once and most are cancelled or re-armed before they
// fire, so insert, cancel and re-arm are O(1) and a fired or cancelled timer costs no search.
//
// Ownership: one wheel per shard, created, used and destroyed on that shard's thread only. There
// is no locking.
//
// Time: the wheel never reads a clock. The owner passes the current time to advance(); a deadline
// is measured from the start time given to the constructor and rounded UP to a whole tick (1 ms),
// so a timer never fires before its deadline and at most one tick after it (plus the loop's own
// latency). advance(now) fires every timer whose rounded deadline is <= now.
//
// Order: timers fire in deadline order (exact deadline, not just its tick); equal deadlines fire in
// the order they were scheduled or last re-armed.
//
// Callbacks may schedule, cancel and re-arm any timer, including themselves and timers due in the
// same advance() call. A timer scheduled or re-armed during advance(now) for a deadline <= now fires
// in that same advance() call: right after the batch of timers that share the tick being processed,
// so before any timer due at a later tick. (Consequence: a callback that always schedules another
// already-due timer keeps advance() from returning.) Outside advance() such a timer fires at the
// start of the next advance().
//
// A timer is live from schedule until it is cancelled or its callback has returned. Inside its own
// callback it is still live: rearm(id, ...) there makes it fire again with the same callback (the
// periodic-timer idiom), and cancel(id) there returns true and only stops such a re-arm.
//
// Callbacks must not throw (the firing path is noexcept), must not destroy the wheel, and their
// destructors must not call into the wheel while the wheel itself is being destroyed.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "reactor/unique_function.h"

namespace ringcast::reactor {

// Handle to a scheduled timer. The generation makes a handle to a fired, cancelled or reused node
// harmless: cancel/rearm report false and live() is false. A default-constructed id is never live.
struct timer_id {
  std::uint32_t index = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t generation = 0;
  friend bool operator==(const timer_id&, const timer_id&) = default;
};

class timer_wheel {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;
  using duration = clock::duration;
  using callback = unique_function<void()>;

  static constexpr std::chrono::milliseconds tick{1};

  explicit timer_wheel(time_point start);
  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;

  // Pre-sizes the node slab so scheduling up to n live timers never reallocates. Start-up only.
  void reserve(std::size_t n);

  // Out of memory while growing the slab terminates, as everywhere on a shard's hot path.
  timer_id schedule_at(time_point deadline, callback cb) noexcept;
  // Relative to now(), saturating at the ends of time_point's range.
  timer_id schedule_after(duration delay, callback cb) noexcept;

  // False (and no effect) if the id is not live: fired, cancelled, stale or default.
  bool cancel(timer_id id) noexcept;
  // Moves a live timer to a new deadline, keeping its callback; counts as a new scheduling for the
  // order of equal deadlines. False (and no effect) if the id is not live.
  bool rearm(timer_id id, time_point new_deadline) noexcept;
  bool rearm_after(timer_id id, duration delay) noexcept;

  // Sets the wheel's time to now (time never goes back: an earlier now only fires what is already
  // due) and fires every due timer. Returns how many callbacks ran. A call from inside a callback
  // does nothing and returns 0.
  std::size_t advance(time_point now) noexcept;

  // How long the loop may sleep before a timer may be due: whole milliseconds, rounded down, so
  // now + result never passes the earliest (tick-rounded) deadline. It can be shorter than that
  // (a higher-level slot only knows its cascade point), never longer. nullopt: no timer pending.
  // Because of the rounding down it can be 0 while the next tick is still up to 1 ms away; a loop
  // that wants to avoid that spin should sleep until next_expiry() with a nanosecond timeout.
  std::optional<std::chrono::milliseconds> time_to_next(time_point now) const noexcept;
  // The earliest moment advance() may have work, with the same conservative rule; now() if a timer
  // is already due; nullopt if no timer is pending.
  std::optional<time_point> next_expiry() const noexcept;

  // Number of live timers (a timer whose callback is running counts until the callback returns).
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  bool live(timer_id id) const noexcept;
  time_point now() const noexcept { return now_; }

 private:
  // Six levels of 64 slots: level L slot width is 64^L ticks, so the wheel spans 2^36 ms (about
  // 795 days). 64 slots let one 64-bit word per level say which slots are occupied.
  static constexpr unsigned slot_bits = 6;
  static constexpr unsigned slots = 1u << slot_bits;
  static constexpr std::uint64_t slot_mask = slots - 1;
  static constexpr unsigned levels = 6;
  static constexpr std::uint16_t wheel_lists = levels * slots;
  static constexpr std::uint16_t expired_list = wheel_lists;  // due but not yet fired
  static constexpr std::uint16_t batch_list = wheel_lists + 1;  // being fired by advance()
  static constexpr std::uint16_t list_count = wheel_lists + 2;
  // Node states that are not list membership.
  static constexpr std::uint16_t running_tag = 0xfffd;  // callback executing, not re-armed
  static constexpr std::uint16_t dead_tag = 0xfffe;     // cancelled while its callback runs
  static constexpr std::uint16_t free_tag = 0xffff;
  static constexpr std::uint32_t no_index = std::numeric_limits<std::uint32_t>::max();

  struct node {
    std::uint64_t deadline_ns = 0;  // since start_, exact, for the order inside a tick
    std::uint64_t seq = 0;          // scheduling order, breaks deadline ties
    std::uint32_t prev = no_index;
    std::uint32_t next = no_index;  // also links the free list
    std::uint32_t generation = 1;
    std::uint16_t list = free_tag;
    callback fn;
  };

  struct due_entry {
    std::uint64_t deadline_ns;
    std::uint64_t seq;
    std::uint32_t index;
  };

  std::uint64_t offset_ns(time_point t) const noexcept;
  std::uint32_t allocate() noexcept;
  void release(std::uint32_t index) noexcept;
  void push(std::uint32_t index, std::uint16_t list) noexcept;
  void unlink(std::uint32_t index) noexcept;
  void insert(std::uint32_t index) noexcept;
  void place(std::uint32_t index, std::uint64_t due) noexcept;
  void cascade(std::uint64_t visited) noexcept;
  std::size_t fire_list(std::uint16_t list) noexcept;
  void fire(std::uint32_t index) noexcept;
  std::optional<std::uint64_t> next_event_tick() const noexcept;

  time_point start_;
  time_point now_;
  std::uint64_t now_tick_ = 0;  // every timer due at or before this tick has been handed out
  std::uint64_t next_seq_ = 0;
  std::size_t size_ = 0;
  std::uint32_t free_head_ = no_index;
  std::uint32_t running_ = no_index;
  bool advancing_ = false;
  std::array<std::uint64_t, levels> occupied_{};  // bit s of word L: level L slot s non-empty
  std::array<std::uint32_t, list_count> heads_;
  std::vector<node> nodes_;
  std::vector<due_entry> batch_;
};

}  // namespace ringcast::reactor
