#pragma once
// One PostgreSQL connection driven by a shard's io_uring: libpq in non-blocking pipeline mode,
// its socket watched with poll requests, so a shard never blocks on the database. Work is sent
// as units (one or more statements, optionally wrapped in BEGIN/COMMIT, each followed by a flush
// request so its results come back at once); their outcomes come back in order. When the
// connection drops, every unit in flight is reported `lost` (it may or may not have committed)
// and the connection comes back with backoff.
//
// Units in flight together share one pipeline sync point: the Sync is sent only when the last of
// them has answered. In pipeline mode an error makes the server skip everything up to the next
// Sync, so when a unit fails, every unit sent after it while it was in flight is reported
// `aborted` (it never ran). A caller that resends the failed unit and the aborted ones in order
// keeps its submission order across failures. After such a failure the connection ends the
// aborted transaction block (ROLLBACK) before anything else runs.
// Owned by one shard.
#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "persistence/queries.h"
#include "reactor/shard.h"
#include "reactor/unique_function.h"

namespace ringcast::persistence {

struct pg_result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using pg_result = std::unique_ptr<PGresult, pg_result_deleter>;

// Blocking, for threads that are not shards (start-up, the AI workers): one statement of
// queries.h and its result (check it with PQresultStatus).
pg_result run_blocking(PGconn* conn, const query& q);

struct pg_statement {
  std::string sql;
  std::vector<std::optional<std::string>> params;  // text format; nullopt is SQL NULL
};

struct pg_outcome {
  // aborted: a unit sent earlier in the same pipeline segment failed; this one did not run.
  enum class status : std::uint8_t { ok, failed, aborted, lost } state = status::ok;
  std::vector<pg_result> results;  // one per statement, BEGIN/COMMIT excluded, when ok
  std::string error;               // the server's message, when failed
  std::string sqlstate;            // its SQLSTATE code, when failed (e.g. "40P01")
};

struct pg_unit {
  std::vector<pg_statement> statements;
  // false: no BEGIN/COMMIT; the statements run in the pipeline's implicit transaction, which ends
  // at the next sync point or is taken into the next unit's BEGIN (for reads only).
  bool transaction = true;
  reactor::unique_function<void(pg_outcome&)> done;
};

class pg_connection {
 public:
  struct options {
    std::string conninfo;
    std::chrono::milliseconds min_backoff{50};
    std::chrono::milliseconds max_backoff{2000};
  };

  // `on_state(true)` when the connection is up (again), `on_state(false)` when it dropped.
  pg_connection(reactor::shard& shard, options opts, reactor::unique_function<void(bool up)> on_state);
  ~pg_connection();
  pg_connection(const pg_connection&) = delete;
  pg_connection& operator=(const pg_connection&) = delete;

  void start();
  bool ready() const noexcept { return state_ == state::ready; }
  // Sends the unit now; only while ready() (the caller queues otherwise).
  void submit(pg_unit unit);
  std::size_t in_flight() const noexcept { return in_flight_.size(); }
  const std::string& last_error() const noexcept { return last_error_; }

 private:
  enum class state : std::uint8_t { idle, connecting, ready, backoff };
  struct flight {
    pg_unit unit;
    pg_outcome outcome;
    std::size_t expected = 0;  // results libpq yields for the unit (BEGIN and COMMIT included)
    std::size_t seen = 0;
  };

  void connect();
  void continue_connect();
  void on_connected();
  void watch(unsigned events);
  void on_readable();
  void flush_output();
  void drop(const char* why);
  void collect(PGresult* r);
  bool send_statement(const char* sql, const pg_statement* st);
  bool prepare(const pg_statement& st);
  void sync_when_idle();

  reactor::shard& shard_;
  options opts_;
  reactor::unique_function<void(bool)> on_state_;
  PGconn* conn_ = nullptr;
  state state_ = state::idle;
  std::uint64_t poll_id_ = 0;
  bool polling_ = false;
  unsigned polled_events_ = 0;
  bool want_write_ = false;
  std::chrono::milliseconds backoff_;
  reactor::timer_id retry_timer_{};
  std::deque<flight> in_flight_;
  std::size_t syncs_pending_ = 0;  // Syncs sent whose PGRES_PIPELINE_SYNC has not been read
  bool unsynced_ = false;          // units sent since the last Sync
  bool rollback_needed_ = false;   // a statement failed inside BEGIN..COMMIT in this segment
  std::string last_error_;
  // Statements prepared on this connection (by their SQL text): each is parsed once per
  // connection instead of once per use, and PostgreSQL keeps a generic plan when it is as good
  // as a custom one (a statement that needs a plan per use says so itself: see
  // sequenced_batch.cc). Cleared with the connection.
  std::unordered_map<std::string, std::string> prepared_;
  std::uint64_t next_prepared_ = 0;
};

}  // namespace ringcast::persistence
