#include "reactor/timer_wheel.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <utility>

// How the wheel places timers (the classic hierarchical scheme with cascading):
// a timer due at tick e, inserted when the wheel stands at tick n < e, goes to the lowest level L
// whose reach covers e - n (level 0 for e - n < 64, level L for 64^L <= e - n < 64^(L+1)), in slot
// (e >> 6L) & 63. That slot is next visited exactly when the wheel reaches the start of e's
// 64^L-tick block, which is never after e; there the timer is placed again, now one level lower or
// more. Level 0 slots therefore hold only timers due at exactly the tick they are visited.
// advance() jumps straight to the next tick that visits an occupied slot, so idle time is free.

namespace ringcast::reactor {
namespace {

constexpr std::uint64_t ns_per_tick = std::chrono::nanoseconds(timer_wheel::tick).count();

constexpr std::uint64_t ceil_ticks(std::uint64_t ns) noexcept {
  return ns / ns_per_tick + (ns % ns_per_tick != 0 ? 1 : 0);
}

}  // namespace

timer_wheel::timer_wheel(time_point start) : start_(start), now_(start) { heads_.fill(no_index); }

void timer_wheel::reserve(std::size_t n) { nodes_.reserve(n); }

std::uint64_t timer_wheel::offset_ns(time_point t) const noexcept {
  if (t <= start_) return 0;
  // Unsigned subtraction cannot overflow where the signed one could (start far negative).
  return static_cast<std::uint64_t>(t.time_since_epoch().count()) -
         static_cast<std::uint64_t>(start_.time_since_epoch().count());
}

std::uint32_t timer_wheel::allocate() noexcept {
  if (free_head_ != no_index) {
    const std::uint32_t index = free_head_;
    free_head_ = nodes_[index].next;
    return index;
  }
  assert(nodes_.size() < no_index);
  nodes_.emplace_back();
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

void timer_wheel::release(std::uint32_t index) noexcept {
  node& n = nodes_[index];
  n.list = free_tag;
  // Generation 0 is what a default timer_id carries, so it is never handed out.
  if (++n.generation == 0) n.generation = 1;
  n.prev = no_index;
  n.next = free_head_;
  free_head_ = index;
}

void timer_wheel::push(std::uint32_t index, std::uint16_t list) noexcept {
  node& n = nodes_[index];
  n.list = list;
  n.prev = no_index;
  n.next = heads_[list];
  if (n.next != no_index) nodes_[n.next].prev = index;
  heads_[list] = index;
  if (list < wheel_lists) occupied_[list >> slot_bits] |= std::uint64_t{1} << (list & slot_mask);
}

void timer_wheel::unlink(std::uint32_t index) noexcept {
  node& n = nodes_[index];
  assert(n.list < list_count);
  if (n.prev != no_index) {
    nodes_[n.prev].next = n.next;
  } else {
    heads_[n.list] = n.next;
    if (n.next == no_index && n.list < wheel_lists) {
      occupied_[n.list >> slot_bits] &= ~(std::uint64_t{1} << (n.list & slot_mask));
    }
  }
  if (n.next != no_index) nodes_[n.next].prev = n.prev;
  n.prev = n.next = no_index;
}

void timer_wheel::insert(std::uint32_t index) noexcept {
  const std::uint64_t due = ceil_ticks(nodes_[index].deadline_ns);
  if (due <= now_tick_) {
    push(index, expired_list);
  } else {
    place(index, due);
  }
}

void timer_wheel::place(std::uint32_t index, std::uint64_t due) noexcept {
  assert(due >= now_tick_);
  constexpr std::uint64_t span = std::uint64_t{1} << (slot_bits * levels);
  const std::uint64_t delta = due - now_tick_;
  unsigned level = 0;
  if (delta >= span) {
    // Past the top level's reach: park it in the top-level slot visited last; from there it is
    // placed again against its real deadline, as many times as it takes.
    due = now_tick_ + span - 1;
    level = levels - 1;
  } else if (delta >= slots) {
    level = static_cast<unsigned>(std::bit_width(delta) - 1) / slot_bits;
  }
  const auto slot = static_cast<std::uint16_t>((due >> (level * slot_bits)) & slot_mask);
  push(index, static_cast<std::uint16_t>(level * slots + slot));
}

void timer_wheel::cascade(std::uint64_t visited) noexcept {
  // Order between levels does not matter: `visited` is aligned to every level visited here, so a timer
  // placed again lands in a slot visited later, or in this tick's level-0 slot, fired after this.
  for (unsigned level = levels - 1; level >= 1; --level) {
    const unsigned shift = level * slot_bits;
    if ((visited & ((std::uint64_t{1} << shift) - 1)) != 0) continue;
    const auto slot = static_cast<std::uint16_t>((visited >> shift) & slot_mask);
    if ((occupied_[level] & (std::uint64_t{1} << slot)) == 0) continue;
    const auto list = static_cast<std::uint16_t>(level * slots + slot);
    std::uint32_t index = heads_[list];
    heads_[list] = no_index;
    occupied_[level] &= ~(std::uint64_t{1} << slot);
    while (index != no_index) {
      const std::uint32_t next = nodes_[index].next;
      place(index, ceil_ticks(nodes_[index].deadline_ns));
      index = next;
    }
  }
}

std::optional<std::uint64_t> timer_wheel::next_event_tick() const noexcept {
  std::optional<std::uint64_t> best;
  for (unsigned level = 0; level < levels; ++level) {
    const std::uint64_t bits = occupied_[level];
    if (bits == 0) continue;
    const unsigned shift = level * slot_bits;
    // Blocks up to and including the current one have been visited; look from the next one on.
    const std::uint64_t first = (now_tick_ >> shift) + 1;
    const auto skip = static_cast<unsigned>(
        std::countr_zero(std::rotr(bits, static_cast<int>(first & slot_mask))));
    const std::uint64_t visit = (first + skip) << shift;
    if (!best || visit < *best) best = visit;
  }
  return best;
}

timer_id timer_wheel::schedule_at(time_point deadline, callback cb) noexcept {
  const std::uint32_t index = allocate();
  node& n = nodes_[index];
  n.deadline_ns = offset_ns(deadline);
  n.seq = next_seq_++;
  n.fn = std::move(cb);
  insert(index);
  ++size_;
  return {index, n.generation};
}

namespace {

timer_wheel::time_point add_saturated(timer_wheel::time_point t, timer_wheel::duration d) noexcept {
  using rep = timer_wheel::duration::rep;
  rep sum;
  if (__builtin_add_overflow(t.time_since_epoch().count(), d.count(), &sum)) {
    return d.count() > 0 ? timer_wheel::time_point::max() : timer_wheel::time_point::min();
  }
  return timer_wheel::time_point(timer_wheel::duration(sum));
}

}  // namespace

timer_id timer_wheel::schedule_after(duration delay, callback cb) noexcept {
  return schedule_at(add_saturated(now_, delay), std::move(cb));
}

bool timer_wheel::live(timer_id id) const noexcept {
  if (id.index >= nodes_.size()) return false;
  const node& n = nodes_[id.index];
  return n.generation == id.generation && n.list != free_tag && n.list != dead_tag;
}

bool timer_wheel::cancel(timer_id id) noexcept {
  if (!live(id)) return false;
  node& n = nodes_[id.index];
  --size_;
  if (n.list < list_count) unlink(id.index);
  if (id.index == running_) {
    // Its callback object is executing; fire() releases the node when it returns.
    n.list = dead_tag;
    return true;
  }
  // Destroyed after release so a destructor that calls back into the wheel sees it consistent.
  callback doomed = std::move(n.fn);
  release(id.index);
  return true;
}

bool timer_wheel::rearm(timer_id id, time_point new_deadline) noexcept {
  if (!live(id)) return false;
  node& n = nodes_[id.index];
  if (n.list < list_count) unlink(id.index);
  n.deadline_ns = offset_ns(new_deadline);
  n.seq = next_seq_++;
  insert(id.index);
  return true;
}

bool timer_wheel::rearm_after(timer_id id, duration delay) noexcept {
  return rearm(id, add_saturated(now_, delay));
}

void timer_wheel::fire(std::uint32_t index) noexcept {
  unlink(index);
  callback fn = std::move(nodes_[index].fn);
  nodes_[index].list = running_tag;
  running_ = index;
  if (fn) fn();
  running_ = no_index;
  // The callback may have grown the slab; look the node up again.
  node& n = nodes_[index];
  if (n.list == running_tag) {
    --size_;
    release(index);
  } else if (n.list == dead_tag) {
    release(index);
  } else {
    n.fn = std::move(fn);  // re-armed from its own callback: keep it
  }
}

std::size_t timer_wheel::fire_list(std::uint16_t list) noexcept {
  batch_.clear();
  std::uint32_t head = heads_[list];
  for (std::uint32_t index = head; index != no_index; index = nodes_[index].next) {
    node& n = nodes_[index];
    n.list = batch_list;
    batch_.push_back({n.deadline_ns, n.seq, index});
  }
  heads_[list] = no_index;
  if (list < wheel_lists) occupied_[list >> slot_bits] &= ~(std::uint64_t{1} << (list & slot_mask));
  heads_[batch_list] = head;
  if (batch_.size() > 1) {
    std::sort(batch_.begin(), batch_.end(), [](const due_entry& a, const due_entry& b) {
      return a.deadline_ns != b.deadline_ns ? a.deadline_ns < b.deadline_ns : a.seq < b.seq;
    });
  }
  std::size_t fired = 0;
  for (const due_entry& entry : batch_) {
    // An earlier callback may have cancelled or re-armed this one; then it is no longer here.
    if (nodes_[entry.index].list != batch_list) continue;
    fire(entry.index);
    ++fired;
  }
  return fired;
}

std::size_t timer_wheel::advance(time_point now) noexcept {
  if (advancing_) return 0;
  advancing_ = true;
  now_ = std::max(now_, now);
  const std::uint64_t target = offset_ns(now_) / ns_per_tick;
  std::size_t fired = 0;
  while (heads_[expired_list] != no_index) fired += fire_list(expired_list);
  for (;;) {
    const std::optional<std::uint64_t> next = next_event_tick();
    if (!next || *next > target) break;
    now_tick_ = *next;
    cascade(now_tick_);
    const auto slot0 = static_cast<std::uint16_t>(now_tick_ & slot_mask);
    if (heads_[slot0] != no_index) fired += fire_list(slot0);
    // Callbacks of this tick may have scheduled timers that are already due.
    while (heads_[expired_list] != no_index) fired += fire_list(expired_list);
  }
  now_tick_ = std::max(now_tick_, target);
  advancing_ = false;
  return fired;
}

std::optional<timer_wheel::time_point> timer_wheel::next_expiry() const noexcept {
  if (heads_[expired_list] != no_index) return now_;
  const std::optional<std::uint64_t> next = next_event_tick();
  if (!next) return std::nullopt;
  // Unsigned, like offset_ns; saturate where a deadline near the end of time was rounded past it.
  const auto start_ns = static_cast<std::uint64_t>(start_.time_since_epoch().count());
  const std::uint64_t headroom =
      static_cast<std::uint64_t>(time_point::max().time_since_epoch().count()) - start_ns;
  if (*next > headroom / ns_per_tick) return time_point::max();
  return time_point(duration(static_cast<duration::rep>(start_ns + *next * ns_per_tick)));
}

std::optional<std::chrono::milliseconds> timer_wheel::time_to_next(time_point now) const noexcept {
  if (heads_[expired_list] != no_index) return std::chrono::milliseconds(0);
  const std::optional<std::uint64_t> next = next_event_tick();
  if (!next) return std::nullopt;
  // floor(next - now) in whole ticks is next - ceil(now), which cannot overflow.
  const std::uint64_t now_ceil = ceil_ticks(offset_ns(now));
  const std::uint64_t wait = *next > now_ceil ? *next - now_ceil : 0;
  return std::chrono::milliseconds(static_cast<std::int64_t>(wait));
}

}  // namespace ringcast::reactor
