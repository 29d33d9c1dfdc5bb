#pragma once
// Counters a shard updates and any thread may read (metrics, tests). Relaxed atomics: each counter
// has one writer, readers only need eventually-consistent totals.
#include <array>
#include <atomic>
#include <cstdint>

#include "reactor/close_reason.h"

namespace ringcast::reactor {

struct shard_stats {
  using counter = std::atomic<std::uint64_t>;
  counter accepted{0};
  counter live_connections{0};
  counter bytes_in{0};
  counter bytes_out{0};
  counter send_calls{0};          // sendmsg submissions: at most one per connection per iteration
  counter partial_sends{0};       // writes that left queued bytes behind (short, or past max iov)
  counter recv_buffer_exhausted{0};  // ENOBUFS from the provided-buffer ring
  counter accept_errors{0};
  counter queued_bytes{0};        // bytes waiting in all send queues of this shard
  counter max_connection_queue{0};  // the largest single send queue seen, in bytes
  counter mailbox_sent{0};
  counter mailbox_received{0};
  counter mailbox_deferred{0};    // messages kept by the sender because the ring was full
  counter mailbox_refused{0};     // messages refused: the overflow for their target was full
  counter loop_iterations{0};
  counter handed_off{0};         // connections handed to another shard
  std::array<counter, close_reason_count> closed{};

  void bump(counter& c, std::uint64_t n = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void drop(counter& c, std::uint64_t n = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  static std::uint64_t read(const counter& c) noexcept { return c.load(std::memory_order_relaxed); }
};

}  // namespace ringcast::reactor
