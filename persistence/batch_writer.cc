#include "persistence/batch_writer.h"

namespace ringcast::persistence {
namespace {

constexpr unsigned max_transient_retries = 3;

bool transient(const std::string& sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "23505";
}

}  // namespace

std::vector<const persist_row*> batch_writer::rows_of(const std::vector<item>& items) {
  std::vector<const persist_row*> rows;
  rows.reserve(items.size());
  for (const auto& it : items) rows.push_back(&it.row);
  return rows;
}

batch_writer::batch_writer(reactor::shard& shard, pg_connection& pg, options opts, writer_stats* stats)
    : shard_(shard), pg_(pg), opts_(opts), stats_(stats ? stats : &own_stats_) {}

batch_writer::~batch_writer() { shard_.timers().cancel(wait_timer_); }

bool batch_writer::submit(persist_row row, done_fn done, bool urgent) {
  const std::size_t bytes = row_bytes(row);
  if (urgent) {
    // Ahead of every ordinary write, behind the urgent ones already waiting.
    backlog_bytes_ += bytes;
    queue_.insert(queue_.begin() + std::ptrdiff_t(urgent_waiting_), item{std::move(row), std::move(done)});
    ++urgent_waiting_;
    pump();
    publish_backlog();
    return true;
  }
  if (backlog() >= opts_.max_backlog) {
    ++stats_->refused;
    ++stats_->refused_rows;
    return false;
  }
  if (backlog_bytes_ + bytes > opts_.max_backlog_bytes) {
    ++stats_->refused;
    ++stats_->refused_bytes;
    return false;
  }
  backlog_bytes_ += bytes;
  queue_.push_back(item{std::move(row), std::move(done)});
  pump();
  publish_backlog();
  return true;
}

void batch_writer::on_connection(bool up) {
  if (up) pump();
}

bool batch_writer::can_send() const noexcept {
  // While a failed segment's batches are still reporting, nothing may go out: it would commit
  // ahead of their rows.
  return pg_.ready() && requeue_.empty() && in_flight_batches_ < opts_.max_in_flight;
}

void batch_writer::pump() {
  // Idle: go now, the lowest latency. Busy: let a batch grow while the commit in flight runs,
  // until it is full or the oldest write has waited max_wait.
  while (can_send() && (!resend_.empty() || !queue_.empty())) {
    const bool full = resend_.size() + queue_.size() >= opts_.max_batch;
    if (in_flight_batches_ == 0 || full || !resend_.empty()) {
      send_batch();
      continue;
    }
    if (!timer_armed_) {
      timer_armed_ = true;
      wait_timer_ = shard_.timers().schedule_after(opts_.max_wait, [this] {
        timer_armed_ = false;
        if (can_send() && !queue_.empty()) send_batch();
        pump();
      });
    }
    return;
  }
}

void batch_writer::send_batch() {
  std::vector<item> items;
  auto take = [&](std::deque<item>& from) {
    while (!from.empty() && items.size() < opts_.max_batch) {
      if (from.front().alone && !items.empty()) return;
      items.push_back(std::move(from.front()));
      from.pop_front();
      if (&from == &queue_ && urgent_waiting_ > 0) --urgent_waiting_;
      if (items.back().alone) return;
    }
  };
  take(resend_);
  if (resend_.empty() && (items.empty() || !items.back().alone)) take(queue_);
  if (items.empty()) return;

  ++in_flight_batches_;
  in_flight_rows_ += items.size();
  ++stats_->batches;
  stats_->rows += items.size();
  if (items.size() > stats_->largest_batch) stats_->largest_batch.set(items.size());
  pg_unit unit;
  unit.statements = sequenced_batch(rows_of(items), opts_.ai_deadline);
  unit.transaction = true;
  unit.done = [this, items = std::move(items)](pg_outcome& o) mutable { on_outcome(items, o); };
  pg_.submit(std::move(unit));
}

void batch_writer::answer(item& it, const persist_result& r) {
  backlog_bytes_ -= row_bytes(it.row);
  if (r.state == persist_result::status::conflict) ++stats_->conflicts;
  if (r.state == persist_result::status::failed) ++stats_->failed;
  it.done(r);
}

void batch_writer::on_outcome(std::vector<item>& items, pg_outcome& o) {
  --in_flight_batches_;
  in_flight_rows_ -= items.size();
  switch (o.state) {
    case pg_outcome::status::ok: {
      auto answers =
          o.results.empty() ? std::nullopt : parse_sequenced_batch(o.results.back().get(), rows_of(items));
      for (std::size_t i = 0; i < items.size(); ++i) {
        persist_result r;
        if (!answers) {
          r.state = persist_result::status::failed;
          r.error = "unexpected answer from the database";
        } else if ((*answers)[i].conflict) {
          r.state = persist_result::status::conflict;
          r.error = "clientId is already used by this sender in another conversation";
        } else {
          r.answer = std::move((*answers)[i]);
        }
        answer(items[i], r);
      }
      break;
    }
    case pg_outcome::status::lost:     // may or may not have committed: idempotent, so resend
    case pg_outcome::status::aborted:  // never ran: a batch ahead of it in the segment failed
      // Reported in submission order for every batch of the segment: appending keeps the order.
      ++stats_->resent_batches;
      for (auto& it : items) requeue_.push_back(std::move(it));
      break;
    case pg_outcome::status::failed:
      if (items.size() == 1 && transient(o.sqlstate) && items[0].attempts < max_transient_retries) {
        // A deadlock, a serialization failure, or another connection committing the same
        // client id at the same moment: the same write succeeds (or finds its row) next time.
        ++stats_->resent_batches;
        ++items[0].attempts;
        items[0].alone = true;
        requeue_.push_back(std::move(items[0]));
      } else if (items.size() == 1) {
        persist_result r;
        r.state = persist_result::status::failed;
        r.error = o.error;
        answer(items[0], r);
      } else {
        // One row spoiled the batch: try each alone so the others still commit.
        ++stats_->resent_batches;
        for (auto& it : items) {
          it.alone = true;
          requeue_.push_back(std::move(it));
        }
      }
      break;
  }
  if (in_flight_batches_ == 0 && !requeue_.empty()) {
    // The whole segment has reported. Its rows were sent before anything still waiting in
    // resend_ or queue_ (batches are taken from their fronts), so they go first.
    resend_.insert(resend_.begin(), std::make_move_iterator(requeue_.begin()), std::make_move_iterator(requeue_.end()));
    requeue_.clear();
  }
  pump();
  publish_backlog();
}

void batch_writer::publish_backlog() noexcept {
  stats_->backlog_rows.set(backlog());
  stats_->backlog_bytes.set(backlog_bytes_);
}

}  // namespace ringcast::persistence
