#include "persistence/pg_connection.h"

#include <poll.h>

#include <algorithm>
#include <string_view>

namespace ringcast::persistence {
namespace {

// An error that ends the session rather than the statement (an administrator's shutdown, a
// crash, a broken connection libpq reports itself without a SQLSTATE): the unit did not commit,
// but it did not fail either; it is as lost as the units behind it.
bool ends_the_session(const PGresult* r) {
  const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
  const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  if (!code) return true;
  const std::string_view state(code);
  return (severity && (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC")) ||
         state.substr(0, 2) == "08" || state.substr(0, 3) == "57P";
}

}  // namespace

pg_connection::pg_connection(reactor::shard& shard, options opts, reactor::unique_function<void(bool)> on_state)
    : shard_(shard), opts_(std::move(opts)), on_state_(std::move(on_state)), backoff_(opts_.min_backoff) {}

pg_result run_blocking(PGconn* conn, const query& q) {
  const auto values = q.params.pointers();
  return pg_result(PQexecParams(conn, q.sql, q.params.count(), nullptr, values.empty() ? nullptr : values.data(),
                                nullptr, nullptr, 0));
}

pg_connection::~pg_connection() {
  if (polling_) shard_.cancel_poll(poll_id_);
  shard_.timers().cancel(retry_timer_);
  if (conn_) PQfinish(conn_);
}

void pg_connection::start() {
  if (state_ == state::idle) connect();
}

void pg_connection::connect() {
  if (conn_) PQfinish(conn_);
  conn_ = PQconnectStart(opts_.conninfo.c_str());
  if (!conn_ || PQstatus(conn_) == CONNECTION_BAD) {
    drop(conn_ ? PQerrorMessage(conn_) : "out of memory");
    return;
  }
  PQsetnonblocking(conn_, 1);
  state_ = state::connecting;
  continue_connect();
}

void pg_connection::continue_connect() {
  // PQconnectPoll says which readiness it needs next; the socket may change between attempts.
  switch (PQconnectPoll(conn_)) {
    case PGRES_POLLING_READING:
      watch(POLLIN);
      return;
    case PGRES_POLLING_WRITING:
      watch(POLLOUT);
      return;
    case PGRES_POLLING_OK:
      on_connected();
      return;
    default:
      drop(PQerrorMessage(conn_));
      return;
  }
}

void pg_connection::on_connected() {
  if (PQenterPipelineMode(conn_) != 1) {
    drop(PQerrorMessage(conn_));
    return;
  }
  state_ = state::ready;
  backoff_ = opts_.min_backoff;
  last_error_.clear();
  watch(POLLIN);
  if (on_state_) on_state_(true);
}

void pg_connection::watch(unsigned events) {
  if (polling_) {
    if (polled_events_ == events) return;
    shard_.cancel_poll(poll_id_);
  }
  polling_ = true;
  polled_events_ = events;
  poll_id_ = shard_.poll_fd(PQsocket(conn_), events, [this](int res) {
    polling_ = false;
    if (res < 0) {
      drop("poll failed");
      return;
    }
    if (state_ == state::connecting) {
      continue_connect();
      return;
    }
    if (res & (POLLOUT)) flush_output();
    if (state_ == state::ready) on_readable();
    if (state_ == state::ready) watch(want_write_ ? (POLLIN | POLLOUT) : POLLIN);
  });
}

bool pg_connection::send_statement(const char* sql, const pg_statement* st) {
  std::vector<const char*> values;
  if (st) {
    values.reserve(st->params.size());
    for (const auto& p : st->params) values.push_back(p ? p->c_str() : nullptr);
    if (auto it = prepared_.find(st->sql); it != prepared_.end())
      return PQsendQueryPrepared(conn_, it->second.c_str(), int(values.size()), values.empty() ? nullptr : values.data(),
                                 nullptr, nullptr, 0) == 1;
  }
  return PQsendQueryParams(conn_, sql, int(values.size()), nullptr, values.empty() ? nullptr : values.data(), nullptr,
                           nullptr, 0) == 1;
}

bool pg_connection::prepare(const pg_statement& st) {
  // The statements are the persistence layer's fixed texts; the bound only guards against a
  // caller that builds SQL per call.
  constexpr std::size_t max_prepared = 256;
  // Statements without parameters (SET, ...) run as they are.
  if (st.params.empty() || prepared_.count(st.sql) || prepared_.size() >= max_prepared) return true;
  std::string name = "ringcast_" + std::to_string(next_prepared_++);
  if (PQsendPrepare(conn_, name.c_str(), st.sql.c_str(), int(st.params.size()), nullptr) != 1) return false;
  prepared_.emplace(st.sql, std::move(name));
  // Its result is not the caller's: a unit of its own, before the one that uses it. A failed
  // prepare (a bad statement) is forgotten, so the statement's own error reaches its caller.
  pg_unit unit;
  unit.transaction = false;
  unit.done = [this, sql = st.sql](pg_outcome& o) {
    if (o.state != pg_outcome::status::ok) prepared_.erase(sql);
  };
  in_flight_.push_back(flight{std::move(unit), {}, 1, 0});
  return true;
}

void pg_connection::submit(pg_unit unit) {
  bool ok = true;
  for (const auto& st : unit.statements) ok = ok && prepare(st);
  ok = ok && (!unit.transaction || send_statement("BEGIN", nullptr));
  for (const auto& st : unit.statements) ok = ok && send_statement(st.sql.c_str(), &st);
  ok = ok && (!unit.transaction || send_statement("COMMIT", nullptr));
  // No Sync here: the results come back on the flush request, and the Sync waits until the
  // pipeline is idle so that a failure aborts the units queued behind this one (see the header).
  ok = ok && PQsendFlushRequest(conn_) == 1;
  const std::size_t expected = unit.statements.size() + (unit.transaction ? 2 : 0);
  in_flight_.push_back(flight{std::move(unit), {}, expected, 0});
  unsynced_ = true;
  if (!ok) {
    drop(PQerrorMessage(conn_));
    return;
  }
  flush_output();
  if (state_ == state::ready) watch(want_write_ ? (POLLIN | POLLOUT) : POLLIN);
}

void pg_connection::sync_when_idle() {
  if (!unsynced_ || !in_flight_.empty() || state_ != state::ready) return;
  bool ok = PQpipelineSync(conn_) == 1;
  ++syncs_pending_;
  unsynced_ = false;
  if (ok && rollback_needed_) {
    // The failed transaction block outlives the Sync ("current transaction is aborted" for
    // whatever comes next) until a ROLLBACK ends it; it runs before any unit sent from now on.
    rollback_needed_ = false;
    ok = send_statement("ROLLBACK", nullptr) && PQpipelineSync(conn_) == 1;
    pg_unit cleanup;
    cleanup.transaction = false;
    in_flight_.push_back(flight{std::move(cleanup), {}, 1, 0});
    ++syncs_pending_;
  }
  if (!ok) {
    drop(PQerrorMessage(conn_));
    return;
  }
  flush_output();
  if (state_ == state::ready) watch(want_write_ ? (POLLIN | POLLOUT) : POLLIN);
}

void pg_connection::flush_output() {
  const int r = PQflush(conn_);
  if (r < 0) drop(PQerrorMessage(conn_));
  want_write_ = r == 1;
}

void pg_connection::on_readable() {
  if (PQconsumeInput(conn_) != 1) {
    drop(PQerrorMessage(conn_));
    return;
  }
  // In pipeline mode PQgetResult yields each statement's result, then NULL, and a SYNC result
  // at each sync point; an idle pipeline yields NULL forever, so stop when nothing is awaited.
  while ((!in_flight_.empty() || syncs_pending_ > 0) && state_ == state::ready && PQisBusy(conn_) == 0) {
    PGresult* r = PQgetResult(conn_);
    if (!r) continue;
    collect(r);
  }
  // A callback may have dropped the connection already (conn_ is gone then).
  if (state_ == state::ready && PQstatus(conn_) == CONNECTION_BAD) drop(PQerrorMessage(conn_));
}

void pg_connection::collect(PGresult* raw) {
  pg_result r(raw);
  const ExecStatusType status = PQresultStatus(r.get());
  if (status == PGRES_PIPELINE_SYNC || in_flight_.empty()) {
    if (status == PGRES_PIPELINE_SYNC && syncs_pending_ > 0) --syncs_pending_;
    return;
  }
  flight& f = in_flight_.front();
  ++f.seen;
  switch (status) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
      f.outcome.results.push_back(std::move(r));
      break;
    case PGRES_PIPELINE_ABORTED:
      if (f.outcome.state == pg_outcome::status::ok) f.outcome.state = pg_outcome::status::aborted;
      break;
    default:
      if (f.outcome.state == pg_outcome::status::ok && ends_the_session(r.get())) {
        f.outcome.state = pg_outcome::status::lost;
        f.outcome.error = PQresultErrorMessage(r.get());
      } else if (f.outcome.state == pg_outcome::status::ok) {
        f.outcome.state = pg_outcome::status::failed;
        f.outcome.error = PQresultErrorMessage(r.get());
        if (const char* code = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE)) f.outcome.sqlstate = code;
        // Only BEGIN ran before this: the block stays open, aborted, past the Sync.
        if (f.unit.transaction) rollback_needed_ = true;
      }
      break;
  }
  if (f.seen < f.expected) return;
  flight done = std::move(in_flight_.front());
  in_flight_.pop_front();
  if (done.outcome.state == pg_outcome::status::ok && done.unit.transaction) {
    // BEGIN and COMMIT are not the caller's results.
    auto& rs = done.outcome.results;
    if (rs.size() >= 2) {
      rs.erase(rs.begin());
      rs.pop_back();
    }
  }
  // Before the callback, which may submit the next unit: that one belongs after the Sync.
  sync_when_idle();
  if (done.unit.done) done.unit.done(done.outcome);
}

void pg_connection::drop(const char* why) {
  const bool was_ready = state_ == state::ready;
  last_error_ = why ? why : "";
  if (polling_) {
    shard_.cancel_poll(poll_id_);
    polling_ = false;
  }
  if (conn_) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  state_ = state::backoff;
  want_write_ = false;
  syncs_pending_ = 0;
  unsynced_ = false;
  rollback_needed_ = false;
  prepared_.clear();
  // Whatever was in flight may or may not have committed: the caller decides (writes are
  // idempotent, so it resends).
  auto lost = std::move(in_flight_);
  in_flight_.clear();
  for (auto& f : lost) {
    f.outcome.state = pg_outcome::status::lost;
    f.outcome.results.clear();
    if (f.unit.done) f.unit.done(f.outcome);
  }
  if (was_ready && on_state_) on_state_(false);
  retry_timer_ = shard_.timers().schedule_after(backoff_, [this] { connect(); });
  backoff_ = std::min(backoff_ * 2, opts_.max_backoff);
}

}  // namespace ringcast::persistence
