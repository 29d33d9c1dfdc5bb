#include "persistence/receipt_writer.h"

#include <utility>

namespace ringcast::persistence {

receipt_writer::receipt_writer(pg_connection& pg, std::size_t max_waiting, moved_fn moved,
                               std::atomic<std::uint64_t>* batches)
    : pg_(pg), max_waiting_(max_waiting), moved_(std::move(moved)), batches_(batches) {}

bool receipt_writer::submit(watermark_kind kind, watermark_update update, done_fn done) {
  if (!pg_.ready() || waiting_.size() >= max_waiting_) return false;
  waiting_.push_back(item{kind, std::move(update), std::move(done)});
  if (!in_flight_) send();
  return true;
}

void receipt_writer::send() {
  std::vector<item> batch;
  batch.swap(waiting_);
  if (batch.empty()) return;
  if (!pg_.ready()) {
    for (auto& it : batch) it.done(false);
    return;
  }
  std::vector<watermark_update> read, delivered;
  for (const auto& it : batch) (it.kind == watermark_kind::read ? read : delivered).push_back(it.update);
  pg_unit unit;
  unit.transaction = !read.empty() && !delivered.empty();
  for (auto kind : {watermark_kind::read, watermark_kind::delivered}) {
    const auto& updates = kind == watermark_kind::read ? read : delivered;
    if (updates.empty()) continue;
    query q = advance_watermarks(kind, updates);
    unit.statements.push_back({q.sql, std::move(q.params.values)});
  }
  in_flight_ = true;
  if (batches_) batches_->store(batches_->load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  unit.done = [this, batch = std::move(batch), with_read = !read.empty(),
               with_delivered = !delivered.empty()](pg_outcome& o) mutable {
    on_outcome(batch, with_read, with_delivered, o);
  };
  pg_.submit(std::move(unit));
}

void receipt_writer::on_outcome(std::vector<item>& batch, bool with_read, bool with_delivered, pg_outcome& o) {
  // Still in flight while the callbacks run: what they submit waits for the next batch.
  bool stored = o.state == pg_outcome::status::ok && o.results.size() == std::size_t(with_read) + with_delivered;
  if (stored) {
    std::size_t next = 0;
    for (auto kind : {watermark_kind::read, watermark_kind::delivered}) {
      if (!(kind == watermark_kind::read ? with_read : with_delivered)) continue;
      auto moved = parse_watermark_changes(o.results[next++].get());
      if (!moved) {
        stored = false;  // committed, but not understood: the waiters may retry (marks only move forward)
        continue;
      }
      for (const auto& m : *moved) moved_(kind, m);
    }
  }
  for (auto& it : batch) it.done(stored);
  in_flight_ = false;
  send();
}

}  // namespace ringcast::persistence
