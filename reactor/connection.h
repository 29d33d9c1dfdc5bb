#pragma once
// A TCP connection as the application sees it. Lives on exactly one shard and is touched only by
// that shard's thread; other shards address it by conn_id through the mailbox.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "reactor/buffer.h"
#include "reactor/close_reason.h"
#include "reactor/send_queue.h"
#include "reactor/timer_wheel.h"
#include "reactor/unique_function.h"

namespace ringcast::reactor {

class shard;
class connection;

// Stable address of a connection across shards: a stale id (slot reused) never matches.
struct conn_id {
  std::uint32_t shard = 0;
  std::uint32_t index = 0;
  std::uint32_t generation = 0;
  friend bool operator==(const conn_id&, const conn_id&) = default;
};

// What a send did. Every send is one whole message: it is queued entirely or not at all.
enum class send_status : unsigned char {
  ok,            // queued; it leaves with this iteration's write
  backpressure,  // queued, but the queue is past half the cap: produce less for this peer until
                 // on_writable
  closed,        // not queued, and no later send will be: the connection is closing (possibly
                 // because this very send would have passed the cap). Stop producing for it; the
                 // handler's on_close comes at the end of the loop iteration, never inside send.
};

// Per-connection application logic. Called on the owning shard only.
class connection_handler {
 public:
  virtual ~connection_handler() = default;
  // The bytes are valid only during the call.
  virtual void on_data(connection& c, std::span<const std::byte> data) noexcept = 0;
  // Called once, at the end of the loop iteration in which the connection started closing (never
  // inside send or close, so callers up the stack may go on using what on_close frees). Sends
  // were refused and received bytes dropped from the moment it started closing.
  virtual void on_close(connection& c, close_reason why) noexcept = 0;
  // The send queue drained below its low-water mark after a send returned backpressure.
  virtual void on_writable(connection&) noexcept {}
  // The server is stopping; the handler may send a last message, then the connection closes.
  virtual void on_shutdown(connection&) noexcept {}
};

class connection {
 public:
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // A message that would take a non-empty queue past send_queue_limit closes the connection as a
  // slow consumer (returns closed); one larger than the cap still goes out when the queue is
  // empty, so that any message the application accepts can be delivered.
  send_status send(std::span<const std::byte> bytes) noexcept;
  send_status send(std::string_view text) noexcept {
    return send(std::as_bytes(std::span<const char>(text.data(), text.size())));
  }
  // Queues a reference to a shared buffer; the bytes are never copied.
  send_status send(const buffer_ref& buf) noexcept { return send(buf, 0, buf->size()); }
  send_status send(const buffer_ref& buf, std::size_t offset, std::size_t len) noexcept;

  // Hands this socket to shard `target`: reading stops, queued bytes are flushed, then the target
  // calls `arrive` to make the new handler and feeds it `unconsumed` plus anything received since.
  // The current handler gets no more calls. Used to bring a request to the shard owning its session.
  using arrival_fn = unique_function<std::unique_ptr<connection_handler>(connection&)>;
  void hand_off(unsigned target, std::string unconsumed, arrival_fn arrive);

  // Installs a new handler (e.g. HTTP -> WebSocket); the old one is destroyed after this iteration,
  // so it may call this from inside its own on_data.
  void replace_handler(std::unique_ptr<connection_handler> next);

  // Marks the connection closing (sends refused, received bytes dropped from now on); the handler's
  // on_close and the socket work run at the end of this loop iteration. Graceful for most reasons:
  // queued bytes are flushed (bounded by drain_timeout), then the write side is shut down and the
  // socket closed on the peer's EOF or after linger_timeout, reading and discarding meanwhile so
  // that the peer's unread bytes do not turn the close into a reset (RFC 6455 7.1.1). Abortive
  // (reset, queue dropped) for slow_consumer and io_error; peer_closed drops the queue.
  void close(close_reason why) noexcept;

  connection_handler* handler() const noexcept { return handler_.get(); }
  conn_id id() const noexcept { return id_; }
  shard& owner() const noexcept { return *shard_; }
  bool closing() const noexcept { return closing_; }
  std::size_t queued_bytes() const noexcept { return queue_.bytes(); }
  int fd() const noexcept { return fd_; }

 private:
  friend class shard;
  connection(shard& s, int fd, conn_id id) noexcept : shard_(&s), fd_(fd), id_(id) {}
  bool admit(std::size_t n) noexcept;
  send_status after_enqueue(std::size_t n) noexcept;

  shard* shard_;
  int fd_;
  conn_id id_;
  std::unique_ptr<connection_handler> handler_;
  send_queue queue_;
  struct send_op* active_send_ = nullptr;
  struct handoff* handoff_ = nullptr;  // set while the socket moves to another shard
  close_reason reason_ = close_reason::app_closed;
  bool recv_armed_ = false;
  bool recv_rearm_ = false;     // re-arm multishot recv at the end of this iteration
  bool dirty_ = false;          // in the shard's list of connections to flush this iteration
  bool closing_ = false;        // close requested: sends refused, received bytes dropped
  bool close_pending_ = false;  // in the shard's close list: on_close has not run yet
  bool write_shut_ = false;     // graceful close: queue flushed, FIN sent, lingering for the peer's EOF
  bool peer_eof_ = false;       // the peer's FIN arrived while closing
  bool want_writable_ = false;  // a send reported backpressure; tell the handler when it clears
  bool shut_down_ = false;      // shutdown(2) done; waiting for in-flight operations to finish
  bool reaped_ = false;
  timer_id close_timer_{};      // the drain or linger deadline of a graceful close
};

}  // namespace ringcast::reactor
