#pragma once
// The group-commit writer of one shard: accepted writes wait in a bounded queue, leave as one
// transaction per batch (by size, by time, or at once when nothing is in flight), and each gets
// its own answer when the batch commits. While PostgreSQL is away the queue holds what was
// accepted (up to the backlog limits, in rows and in bytes; past them submit() refuses, and the
// caller answers with a retryable error). An answer means committed.
//
// Order: rows are numbered in submission order per conversation, failures included. Batches in
// flight together share one pipeline segment (pg_connection.h): when one fails or the connection
// drops, it and every batch behind it come back, and all of them are sent again in their order
// before anything newer, which is safe because writes are idempotent.
#include <atomic>
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
  // conflict: the sender's client id is already used in another conversation; nothing stored.
  enum class status : std::uint8_t { ok, failed, conflict } state = status::ok;
  persist_answer answer;
  std::string error;
};

// A figure written by the owning shard only and read by any thread (/metrics): a relaxed atomic
// that can be copied as a snapshot and read as a number.
class writer_figure {
 public:
  writer_figure(std::uint64_t v = 0) noexcept : v_(v) {}
  writer_figure(const writer_figure& o) noexcept : v_(o.get()) {}
  writer_figure& operator=(const writer_figure& o) noexcept {
    set(o.get());
    return *this;
  }
  std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }
  operator std::uint64_t() const noexcept { return get(); }
  void set(std::uint64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
  writer_figure& operator+=(std::uint64_t n) noexcept {
    set(get() + n);
    return *this;
  }
  writer_figure& operator++() noexcept { return *this += 1; }

 private:
  std::atomic<std::uint64_t> v_;
};

struct writer_stats {
  writer_figure batches;
  writer_figure rows;
  writer_figure resent_batches;  // failed, aborted behind a failure, or lost with the connection: sent again
  writer_figure refused;         // submit() said no, for either reason below
  writer_figure refused_rows;    // backlog full by rows
  writer_figure refused_bytes;   // backlog full by bytes
  writer_figure conflicts;       // client id reused in another conversation
  writer_figure failed;          // answered with a permanent failure
  writer_figure largest_batch;
  writer_figure backlog_rows;    // gauge: accepted, not answered yet
  writer_figure backlog_bytes;   // gauge: their row bytes
};

class batch_writer {
 public:
  struct options {
    std::size_t max_batch = 1024;
    std::chrono::microseconds max_wait{2000};
    std::size_t max_backlog = 50'000;
    // 50,000 rows of the largest content (64 KiB) would be 3 GiB a shard: the bytes bound is what
    // keeps memory in check when messages are large.
    std::size_t max_backlog_bytes = std::size_t{64} << 20;
    std::size_t max_in_flight = 2;  // pipelined batches
    // The deadline_at of the AI jobs created with customer messages (sequenced_batch).
    std::chrono::milliseconds ai_deadline{5500};
  };
  using done_fn = reactor::unique_function<void(const persist_result&)>;

  // `stats`: where to keep the figures (e.g. the shard's metrics); nullptr keeps them here.
  batch_writer(reactor::shard& shard, pg_connection& pg, options opts, writer_stats* stats = nullptr);
  ~batch_writer();

  // Accepts the write (done runs once, on this shard, after commit or permanent failure), or
  // returns false without keeping it when the backlog is full.
  // `urgent` (an AI reply racing its deadline): goes ahead of the ordinary writes waiting, and is
  // never refused; such writes are bounded by their producer (one per AI job).
  bool submit(persist_row row, done_fn done, bool urgent = false);
  // The connection's state changed (wired by whoever owns both).
  void on_connection(bool up);

  std::size_t backlog() const noexcept {
    return requeue_.size() + resend_.size() + queue_.size() + in_flight_rows_;
  }
  std::size_t backlog_bytes() const noexcept { return backlog_bytes_; }
  // Every accepted write has been answered.
  bool idle() const noexcept { return backlog() == 0; }
  const writer_stats& stats() const noexcept { return *stats_; }

  // What a row counts against max_backlog_bytes: its text.
  static std::size_t row_bytes(const persist_row& r) noexcept {
    return r.conversation.size() + r.sender_type.size() + r.sender_id.size() + r.client_message_id.size() +
           r.content.size() + (r.sender_name ? r.sender_name->size() : 0) +
           (r.attachments_json ? r.attachments_json->size() : 0);
  }

 private:
  struct item {
    persist_row row;
    done_fn done;
    bool alone = false;  // resend in a batch of its own (its batch failed)
    unsigned attempts = 0;
  };
  static std::vector<const persist_row*> rows_of(const std::vector<item>& items);
  bool can_send() const noexcept;
  void pump();
  void send_batch();
  void on_outcome(std::vector<item>& items, pg_outcome& o);
  void answer(item& it, const persist_result& r);
  void publish_backlog() noexcept;

  reactor::shard& shard_;
  pg_connection& pg_;
  options opts_;
  writer_stats own_stats_;
  writer_stats* stats_;
  // Rows of the batches of a failed (or lost) pipeline segment, in their order, collected until
  // every batch of that segment has reported; then they go back before everything else.
  std::deque<item> requeue_;
  std::deque<item> resend_;  // came back from the database: first out
  std::deque<item> queue_;
  std::size_t urgent_waiting_ = 0;  // urgent writes at the front of queue_
  std::size_t in_flight_rows_ = 0;
  std::size_t in_flight_batches_ = 0;
  std::size_t backlog_bytes_ = 0;
  reactor::timer_id wait_timer_{};
  bool timer_armed_ = false;
};

}  // namespace ringcast::persistence
