#pragma once
// One shard: a thread pinned to a core with its own io_uring, listening socket (SO_REUSEPORT,
// multishot accept), provided-buffer ring (multishot recv), timer wheel and connections.
// Everything here is touched only by the shard's own thread; other threads reach it through the
// mailbox mesh (messages, stop requests, wake-ups).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reactor/buffer_ring.h"
#include "reactor/connection.h"
#include "reactor/mailbox.h"
#include "reactor/shard_stats.h"
#include "reactor/timer_wheel.h"
#include "reactor/uring.h"

namespace ringcast::reactor {

struct shard_config {
  unsigned ring_entries = 4096;
  unsigned recv_buffers = 2048;       // power of two; shared by all connections of the shard
  unsigned recv_buffer_size = 8192;
  std::size_t send_queue_limit = std::size_t{4} << 20;  // bytes queued per connection before slow_consumer
  std::chrono::milliseconds drain_timeout{2000};        // graceful close gives up flushing after this
  // After a graceful close flushed and sent FIN: how long to keep reading and discarding while
  // waiting for the peer's EOF. Closing earlier, with the peer's bytes unread, sends a reset that
  // can destroy the last message (a WebSocket close frame) before the peer reads it.
  std::chrono::milliseconds linger_timeout{1000};
  // Cross-shard messages kept per target shard while its ring is full; past this, post() refuses.
  std::size_t mailbox_overflow_limit = 100'000;
};

// The application's per-shard part: creates a handler for each accepted connection.
class shard_app {
 public:
  virtual ~shard_app() = default;
  // Returning nullptr closes the connection at once.
  virtual std::unique_ptr<connection_handler> on_accept(connection& c) = 0;
  // The server is stopping: called once, before every connection gets on_shutdown and closes.
  virtual void on_stop() noexcept {}
  // While stopping, true keeps the loop running after the last connection has closed: work the
  // app accepted is still finishing (a database writer draining). The app bounds how long.
  virtual bool busy() const noexcept { return false; }
};

class shard {
 public:
  using clock = std::chrono::steady_clock;

  shard(unsigned id, int listen_fd, const shard_config& cfg, mailbox_mesh& mesh, shard_stats& stats);
  ~shard();
  shard(const shard&) = delete;
  shard& operator=(const shard&) = delete;

  void set_app(std::unique_ptr<shard_app> app) { app_ = std::move(app); }
  // The event loop; returns once a stop was requested and every connection has closed.
  void run();

  unsigned id() const noexcept { return id_; }
  unsigned count() const noexcept { return mesh_.shards(); }
  timer_wheel& timers() noexcept { return timers_; }
  clock::time_point now() const noexcept { return now_; }
  shard_stats& stats() noexcept { return stats_; }
  shard_app& app() noexcept { return *app_; }
  bool stopping() const noexcept { return stopping_; }
  const char* ring_mode() const noexcept { return ring_.mode(); }

  // Runs t on shard `target` (this one included, on a later loop iteration). False: refused, t
  // was not queued, because `target` is behind by mailbox_overflow_limit messages already; the
  // caller drops or degrades (a broadcast counts a lost delivery), it never waits.
  [[nodiscard]] bool post(unsigned target, shard_task t);
  // Like post, but never refused: for messages whose loss would break an invariant (a socket in
  // transit, room membership, an answer to a write already committed). Their volume must be
  // bounded by something else (connections, rooms, the writer's backlog).
  void post_guaranteed(unsigned target, shard_task t);
  // Waits once for `events` (POLLIN, POLLOUT, ...) on an fd this shard does not own as a
  // connection (a database socket); `ready` gets the poll result (revents, or -errno).
  // Returns an id for cancel_poll. Call again after each callback to keep watching.
  using poll_callback = unique_function<void(int result)>;
  std::uint64_t poll_fd(int fd, unsigned events, poll_callback ready);
  // The callback will not run; returns false if it already ran or was cancelled.
  bool cancel_poll(std::uint64_t id) noexcept;

  // The live (possibly closing) connection with this id, or nullptr if it is gone.
  connection* find(conn_id id) noexcept;
  // The shard whose thread is calling, or nullptr off-shard; for owner-shard assertions.
  static shard* current() noexcept;
  // Debug builds: stops the program when called off this shard's thread (touching a shard's
  // objects from another thread is always a bug: they have no locks).
  void assert_owner() const noexcept {
#ifndef NDEBUG
    if (current() != this) owner_violation();
#endif
  }

 private:
  friend class connection;

  [[noreturn]] void owner_violation() const noexcept;
  bool post_to(unsigned target, shard_task&& t, bool guaranteed);
  void on_cqe(const io_uring_cqe& cqe);
  void arm_accept();
  void arm_wake_read();
  void arm_recv(connection& c);
  void on_new_socket(int fd);
  connection& adopt(int fd);
  void start(connection& c, std::string_view unconsumed);
  void arrive(int fd, std::string unconsumed, connection::arrival_fn fn);
  void finish_handoff(connection& c);
  void drain_mailbox();
  void on_accept_done(int res, unsigned flags);
  void on_recv_done(connection& c, int res, unsigned flags);
  void on_send_done(connection& c, int res);
  void mark_dirty(connection& c) noexcept;
  void submit_send(connection& c);
  void begin_close(connection& c, close_reason why) noexcept;
  void run_closes() noexcept;
  void finish_close(connection& c) noexcept;
  void half_close(connection& c) noexcept;
  void drop_queue(connection& c) noexcept;
  void shut_now(connection& c, bool reset) noexcept;
  void maybe_finish(connection& c);
  void end_of_iteration();
  void begin_stop();
  bool finished() const noexcept;
  void on_poll_done(std::uint32_t index, std::uint32_t generation, int res);
  void wait_for_events();
  connection* slot(std::uint32_t index, std::uint32_t generation) noexcept;

  unsigned id_;
  int listen_fd_;
  shard_config cfg_;
  mailbox_mesh& mesh_;
  shard_stats& stats_;
  uring ring_;
  buffer_ring recv_buffers_;
  mailbox_port port_;
  clock::time_point now_;
  timer_wheel timers_;
  std::unique_ptr<shard_app> app_;

  std::vector<std::unique_ptr<connection>> slots_;
  std::vector<std::uint32_t> generations_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<conn_id> dirty_;
  std::vector<conn_id> rearm_;
  std::vector<conn_id> closes_;       // closing connections whose on_close has not run yet
  std::vector<conn_id> close_batch_;
  std::vector<std::uint32_t> reap_;
  std::vector<shard_task> local_tasks_;
  std::vector<std::unique_ptr<connection_handler>> retired_handlers_;
  std::vector<std::unique_ptr<struct send_op>> send_pool_;
  struct poll_slot {
    poll_callback ready;
    std::uint32_t generation = 0;
  };
  std::vector<poll_slot> polls_;
  std::vector<std::uint32_t> free_polls_;

  std::uint64_t wake_value_ = 0;
  bool wake_armed_ = false;
  bool accept_armed_ = false;
  bool stopping_ = false;
};

}  // namespace ringcast::reactor
