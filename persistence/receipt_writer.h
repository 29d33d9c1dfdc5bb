#pragma once
// The read and delivered marks of one shard's sockets, stored in batches, like messages: the
// first mark leaves at once; while its batch is in the database the next ones gather, and leave
// together, in one transaction (one advance_watermarks statement per kind), when it is answered.
// A mark's answer means committed. The marks that moved are reported once each, in the order
// PostgreSQL returns them, before the waiters of their batch are answered.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "persistence/pg_connection.h"
#include "persistence/watermarks.h"
#include "reactor/unique_function.h"

namespace ringcast::persistence {

class receipt_writer {
 public:
  using moved_fn = reactor::unique_function<void(watermark_kind, const watermark_change&)>;
  using done_fn = reactor::unique_function<void(bool stored)>;

  // `max_waiting`: marks accepted and not yet sent, past which submit() refuses. `batches`: where
  // to count the transactions sent too (e.g. the shard's metrics), or nullptr.
  receipt_writer(pg_connection& pg, std::size_t max_waiting, moved_fn moved,
                 std::atomic<std::uint64_t>* batches = nullptr);

  // Accepts the mark (done runs once, on this shard, with whether its batch committed), or
  // returns false without keeping it when the database is not reachable or max_waiting marks
  // wait already (the caller answers a retryable error). Several marks of one watermark in a
  // batch count as the highest.
  bool submit(watermark_kind kind, watermark_update update, done_fn done);

 private:
  struct item {
    watermark_kind kind;
    watermark_update update;
    done_fn done;
  };
  void send();
  void on_outcome(std::vector<item>& batch, bool with_read, bool with_delivered, pg_outcome& o);

  pg_connection& pg_;
  std::size_t max_waiting_;
  moved_fn moved_;
  std::vector<item> waiting_;
  bool in_flight_ = false;
  std::atomic<std::uint64_t>* batches_;
};

}  // namespace ringcast::persistence
