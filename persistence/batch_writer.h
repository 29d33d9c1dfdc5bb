#pragma once
// The group-commit writer of one shard: accepted writes wait in a bounded queue, leave as one
// transaction per batch (by size, by time, or at once when nothing is in flight), and each gets
// its own answer when the batch commits. While PostgreSQL is away the queue holds what was
// accepted (up to the backlog limit; past it submit() refuses, and the caller answers with a
// retryable error); batches that were in flight when the connection dropped are resent first,
// in order, which is safe because writes are idempotent. An answer means committed.
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "persistence/pg_connection.h"
#include "persistence/sequenced_batch.h"
#include "reactor/shard.h"

namespace ringcast::persistence {

struct persist_result {
  enum class status : std::uint8_t { ok, failed } state = status::ok;
  persist_answer answer;
  std::string error;
};

struct writer_stats {
  std::uint64_t batches = 0;
  std::uint64_t rows = 0;
  std::uint64_t resent_batches = 0;  // lost with the connection, sent again
  std::uint64_t refused = 0;         // backlog full
  std::size_t largest_batch = 0;
};

class batch_writer {
 public:
  struct options {
    std::size_t max_batch = 1024;
    std::chrono::microseconds max_wait{2000};
    std::size_t max_backlog = 50'000;
    std::size_t max_in_flight = 2;  // pipelined batches
  };
  using done_fn = reactor::unique_function<void(const persist_result&)>;

  batch_writer(reactor::shard& shard, pg_connection& pg, options opts);
  ~batch_writer();

  // Accepts the write (done runs once, on this shard, after commit or permanent failure), or
  // returns false without keeping it when the backlog is full.
  bool submit(persist_row row, done_fn done);
  // The connection's state changed (wired by whoever owns both).
  void on_connection(bool up);

  std::size_t backlog() const noexcept { return resend_.size() + queue_.size() + in_flight_rows_; }
  const writer_stats& stats() const noexcept { return stats_; }

 private:
  struct item {
    persist_row row;
    done_fn done;
    bool alone = false;  // resend in a batch of its own (its batch failed)
    unsigned attempts = 0;
  };
  void pump();
  void send_batch();
  void on_outcome(std::vector<item>& items, pg_outcome& o);

  reactor::shard& shard_;
  pg_connection& pg_;
  options opts_;
  std::deque<item> resend_;  // lost in flight: first out when the connection is back
  std::deque<item> queue_;
  std::size_t in_flight_rows_ = 0;
  std::size_t in_flight_batches_ = 0;
  reactor::timer_id wait_timer_{};
  bool timer_armed_ = false;
  writer_stats stats_;
};

}  // namespace ringcast::persistence
