#include "reactor/shard.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace ringcast::reactor {

// An in-flight sendmsg: the kernel may read msghdr and iovecs until the completion, so they live
// here, pooled per shard, rather than in every connection (an idle connection needs none).
struct send_op {
  static constexpr std::size_t max_iov = 64;
  msghdr msg{};
  iovec iov[max_iov];
};

struct migration {
  unsigned target;
  std::string unconsumed;
  connection::arrival_fn arrive;
  int fd = -1;  // owned while in transit; closed if the message never arrives (shutdown)
  ~migration() {
    if (fd >= 0) ::close(fd);
  }
};

connection::~connection() { delete migration_; }

namespace {
thread_local shard* current_shard = nullptr;
constexpr std::uint16_t recv_group = 0;
constexpr std::size_t mailbox_batch = 256;
constexpr auto max_sleep = std::chrono::milliseconds(500);
constexpr auto deferred_retry = std::chrono::microseconds(50);

bool abortive(close_reason r) noexcept {
  return r == close_reason::slow_consumer || r == close_reason::io_error || r == close_reason::peer_closed;
}
close_reason reason_for_errno(int err) noexcept {
  return (err == ECONNRESET || err == EPIPE || err == ENOTCONN) ? close_reason::peer_closed : close_reason::io_error;
}
}  // namespace

shard::shard(unsigned id, int listen_fd, const shard_config& cfg, mailbox_mesh& mesh, shard_stats& stats)
    : id_(id),
      listen_fd_(listen_fd),
      cfg_(cfg),
      mesh_(mesh),
      stats_(stats),
      ring_(cfg.ring_entries),
      recv_buffers_(ring_.raw(), cfg.recv_buffers, cfg.recv_buffer_size, recv_group),
      port_(mesh, id),
      now_(clock::now()),
      timers_(now_) {
  // Constructed on its own thread (the ring is single-issuer), so it owns that thread from here.
  current_shard = this;
  mesh_.peer(id_).ring_fd.store(ring_.fd(), std::memory_order_release);
}

shard::~shard() {
  current_shard = this;
  // The application goes first: its parts still cancel timers and polls of this shard.
  app_.reset();
  mesh_.peer(id_).ring_fd.store(-1, std::memory_order_release);
  for (auto& c : slots_)
    if (c && c->fd_ >= 0) ::close(c->fd_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

shard* shard::current() noexcept { return current_shard; }

void shard::owner_violation() const noexcept {
  std::fprintf(stderr, "ringcast: shard %u touched from another thread\n", id_);
  std::abort();
}

void shard::post(unsigned target, shard_task t) {
  assert_owner();
  if (target == id_) {
    local_tasks_.push_back(std::move(t));
    return;
  }
  stats_.bump(stats_.mailbox_sent);
  if (!port_.post(target, std::move(t))) stats_.bump(stats_.mailbox_deferred);
}

connection* shard::slot(std::uint32_t index, std::uint32_t generation) noexcept {
  if (index >= slots_.size() || generations_[index] != generation) return nullptr;
  return slots_[index].get();
}

connection* shard::find(conn_id id) noexcept {
  if (id.shard != id_) return nullptr;
  connection* c = slot(id.index, id.generation);
  return (c && !c->reaped_) ? c : nullptr;
}

void shard::run() {
  current_shard = this;
  arm_wake_read();
  arm_accept();
  while (!finished()) {
    wait_for_events();
    now_ = clock::now();
    // First, so that "after d" (schedule_after) counts from now, not from before the sleep.
    timers_.advance(now_);
    // Messages first: anything another shard posted before its own socket writes is seen here
    // before the completions those writes may have caused (a room join before a publish).
    drain_mailbox();
    io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(ring_.raw(), head, cqe) {
      on_cqe(*cqe);
      ++seen;
    }
    io_uring_cq_advance(ring_.raw(), seen);
    if (!stopping_ && mesh_.peer(id_).stop_requested.load(std::memory_order_acquire)) begin_stop();
    end_of_iteration();
  }
  current_shard = nullptr;
}

bool shard::finished() const noexcept {
  return stopping_ && stats_.read(stats_.live_connections) == 0 && !accept_armed_ && reap_.empty() &&
         !(app_ && app_->busy());
}

void shard::wait_for_events() {
  stats_.bump(stats_.loop_iterations);
  if (!local_tasks_.empty() || !rearm_.empty()) {
    ring_.submit_nowait();
    return;
  }
  if (port_.has_deferred()) {
    // A full ring empties as its receiver runs; retry soon rather than spin.
    ring_.submit_and_wait(deferred_retry);
    return;
  }
  clock::duration timeout = max_sleep;
  if (auto next = timers_.next_expiry()) timeout = std::clamp<clock::duration>(*next - clock::now(), clock::duration::zero(), max_sleep);
  if (port_.prepare_sleep()) {
    ring_.submit_and_wait(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
    port_.awake();
  } else {
    ring_.submit_nowait();
  }
}

void shard::on_cqe(const io_uring_cqe& cqe) {
  const std::uint64_t ud = cqe.user_data;
  switch (user_data_op(ud)) {
    case op_kind::accept:
      on_accept_done(cqe.res, cqe.flags);
      break;
    case op_kind::recv:
      if (connection* c = slot(user_data_index(ud), user_data_generation(ud))) on_recv_done(*c, cqe.res, cqe.flags);
      break;
    case op_kind::send:
      if (connection* c = slot(user_data_index(ud), user_data_generation(ud))) on_send_done(*c, cqe.res);
      break;
    case op_kind::wake_read:
      wake_armed_ = false;
      if (!stopping_ || !finished()) arm_wake_read();
      break;
    case op_kind::poll:
      on_poll_done(user_data_index(ud), user_data_generation(ud), cqe.res);
      break;
    case op_kind::msg_ring_sent:
    case op_kind::msg_ring_wake:
    case op_kind::cancel:
    case op_kind::none:
      break;
  }
}

std::uint64_t shard::poll_fd(int fd, unsigned events, poll_callback ready) {
  assert_owner();
  std::uint32_t index;
  if (!free_polls_.empty()) {
    index = free_polls_.back();
    free_polls_.pop_back();
  } else {
    index = std::uint32_t(polls_.size());
    polls_.emplace_back();
  }
  poll_slot& p = polls_[index];
  p.ready = std::move(ready);
  const std::uint64_t ud = pack_user_data(op_kind::poll, index, p.generation);
  io_uring_sqe* s = ring_.sqe();
  io_uring_prep_poll_add(s, fd, events);
  io_uring_sqe_set_data64(s, ud);
  return ud;
}

bool shard::cancel_poll(std::uint64_t id) noexcept {
  const std::uint32_t index = user_data_index(id);
  if (index >= polls_.size() || polls_[index].generation != user_data_generation(id) || !polls_[index].ready)
    return false;
  // The completion (cancelled or not) still arrives and frees the slot; only the callback goes.
  polls_[index].ready = nullptr;
  io_uring_sqe* s = ring_.sqe();
  io_uring_prep_poll_remove(s, id);
  io_uring_sqe_set_data64(s, pack_user_data(op_kind::cancel, 0, 0));
  return true;
}

void shard::on_poll_done(std::uint32_t index, std::uint32_t generation, int res) {
  if (index >= polls_.size() || polls_[index].generation != generation) return;
  poll_slot& p = polls_[index];
  poll_callback cb = std::move(p.ready);
  p.ready = nullptr;
  p.generation = (p.generation + 1) & 0xffffff;
  free_polls_.push_back(index);
  if (cb) cb(res);
}

void shard::arm_wake_read() {
  io_uring_sqe* s = ring_.sqe();
  io_uring_prep_read(s, mesh_.peer(id_).wake_fd, &wake_value_, sizeof wake_value_, 0);
  io_uring_sqe_set_data64(s, pack_user_data(op_kind::wake_read, 0, 0));
  wake_armed_ = true;
}

void shard::arm_accept() {
  if (stopping_ || listen_fd_ < 0) return;
  io_uring_sqe* s = ring_.sqe();
  io_uring_prep_multishot_accept(s, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, pack_user_data(op_kind::accept, 0, 0));
  accept_armed_ = true;
}

void shard::on_accept_done(int res, unsigned flags) {
  if (!(flags & IORING_CQE_F_MORE)) accept_armed_ = false;
  if (res >= 0) {
    if (stopping_) ::close(res);
    else on_new_socket(res);
  } else if (res != -ECANCELED) {
    stats_.bump(stats_.accept_errors);
  }
  if (!accept_armed_ && !stopping_) {
    if (res == -EMFILE || res == -ENFILE || res == -ENOBUFS || res == -ENOMEM) {
      // Out of descriptors or memory: accepting again at once would spin; wait for closes.
      timers_.schedule_after(std::chrono::milliseconds(20), [this] {
        if (!accept_armed_) arm_accept();
      });
    } else {
      arm_accept();
    }
  }
}

void shard::on_new_socket(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  stats_.bump(stats_.accepted);
  connection& c = adopt(fd);
  c.handler_ = app_->on_accept(c);
  start(c, {});
}

connection& shard::adopt(int fd) {
  std::uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    generations_.push_back(0);
  }
  slots_[index].reset(new connection(*this, fd, conn_id{id_, index, generations_[index]}));
  stats_.bump(stats_.live_connections);
  return *slots_[index];
}

void shard::start(connection& c, std::string_view unconsumed) {
  if (!c.handler_) {
    c.closing_ = true;
    c.reason_ = close_reason::app_closed;
    stats_.bump(stats_.closed[std::size_t(close_reason::app_closed)]);
    shut_now(c, false);
    maybe_finish(c);
    return;
  }
  if (stopping_) {
    c.close(close_reason::shutdown);
    return;
  }
  if (!unconsumed.empty()) c.handler_->on_data(c, std::as_bytes(std::span<const char>(unconsumed)));
  if (!c.closing_ && !c.migration_) arm_recv(c);
}

void connection::migrate(unsigned target, std::string unconsumed, arrival_fn arrive) {
  shard_->assert_owner();
  if (closing_ || migration_) return;
  if (target == shard_->id()) {
    // Already home: swap the handler in place, no socket hand-over.
    replace_handler(arrive(*this));
    if (!handler_) {
      close(close_reason::app_closed);
    } else if (!unconsumed.empty()) {
      handler_->on_data(*this, std::as_bytes(std::span<const char>(unconsumed)));
    }
    return;
  }
  migration_ = new migration{target, std::move(unconsumed), std::move(arrive)};
  if (recv_armed_) {
    io_uring_sqe* s = shard_->ring_.sqe();
    io_uring_prep_cancel64(s, pack_user_data(op_kind::recv, id_.index, id_.generation), 0);
    io_uring_sqe_set_data64(s, pack_user_data(op_kind::cancel, 0, 0));
  }
  shard_->finish_migration(*this);
}

void connection::replace_handler(std::unique_ptr<connection_handler> next) {
  shard_->retired_handlers_.push_back(std::move(handler_));
  handler_ = std::move(next);
}

void shard::finish_migration(connection& c) {
  // The socket may move only when no operation of ours references it any more.
  if (c.recv_armed_ || c.active_send_ || !c.queue_.empty() || c.reaped_) return;
  std::unique_ptr<migration> m(c.migration_);
  c.migration_ = nullptr;
  m->fd = c.fd_;
  c.fd_ = -1;
  c.reaped_ = true;
  c.closing_ = true;
  retired_handlers_.push_back(std::move(c.handler_));
  reap_.push_back(c.id_.index);
  stats_.drop(stats_.live_connections);
  stats_.bump(stats_.migrated_out);
  const unsigned target = m->target;
  post(target, [m = std::move(m)](shard& to) mutable {
    to.arrive(std::exchange(m->fd, -1), std::move(m->unconsumed), std::move(m->arrive));
  });
}

void shard::arrive(int fd, std::string unconsumed, connection::arrival_fn fn) {
  connection& c = adopt(fd);
  c.handler_ = fn(c);
  start(c, unconsumed);
}

void shard::arm_recv(connection& c) {
  io_uring_sqe* s = ring_.sqe();
  io_uring_prep_recv_multishot(s, c.fd_, nullptr, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = recv_buffers_.group();
  io_uring_sqe_set_data64(s, pack_user_data(op_kind::recv, c.id_.index, c.id_.generation));
  c.recv_armed_ = true;
}

void shard::on_recv_done(connection& c, int res, unsigned flags) {
  const bool more = flags & IORING_CQE_F_MORE;
  if (!more) c.recv_armed_ = false;
  if (res > 0) {
    const unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;
    stats_.bump(stats_.bytes_in, std::uint64_t(res));
    auto data = recv_buffers_.data(bid, std::size_t(res));
    if (c.migration_) {
      c.migration_->unconsumed.append(reinterpret_cast<const char*>(data.data()), data.size());
    } else if (!c.closing_) {
      c.handler_->on_data(c, data);
    }
    recv_buffers_.recycle(bid);
    if (!more && !c.closing_ && !c.migration_ && !c.recv_rearm_) {
      c.recv_rearm_ = true;
      rearm_.push_back(c.id_);
    }
  } else if (res == 0 && !c.migration_) {
    begin_close(c, close_reason::peer_closed);
  } else if (res == -ENOBUFS) {
    // Every provided buffer was in use; they are recycled by now, so arm again this iteration.
    stats_.bump(stats_.recv_buffer_exhausted);
    if (!c.closing_ && !c.recv_rearm_) {
      c.recv_rearm_ = true;
      rearm_.push_back(c.id_);
    }
  } else if (res != -ECANCELED && res != 0) {
    begin_close(c, reason_for_errno(-res));
  }
  if (c.migration_) finish_migration(c);
  maybe_finish(c);
}

send_status connection::send(std::span<const std::byte> bytes) {
  shard_->assert_owner();
  if (closing_) return send_status::closed;
  if (queue_.bytes() + bytes.size() > shard_->cfg_.send_queue_limit) {
    close(close_reason::slow_consumer);
    return send_status::closed;
  }
  queue_.push_copy(bytes);
  return after_enqueue(bytes.size());
}

send_status connection::send(const buffer_ref& buf, std::size_t offset, std::size_t len) {
  shard_->assert_owner();
  if (closing_) return send_status::closed;
  if (queue_.bytes() + len > shard_->cfg_.send_queue_limit) {
    close(close_reason::slow_consumer);
    return send_status::closed;
  }
  queue_.push_shared(buf, offset, len);
  return after_enqueue(len);
}

send_status connection::after_enqueue(std::size_t n) noexcept {
  shard_stats& st = shard_->stats_;
  st.bump(st.queued_bytes, n);
  if (queue_.bytes() > shard_stats::read(st.max_connection_queue))
    st.max_connection_queue.store(queue_.bytes(), std::memory_order_relaxed);
  shard_->mark_dirty(*this);
  if (queue_.bytes() > shard_->cfg_.send_queue_limit / 2) {
    want_writable_ = true;
    return send_status::backpressure;
  }
  return send_status::ok;
}

void connection::close(close_reason why) noexcept {
  shard_->assert_owner();
  shard_->begin_close(*this, why);
}

void shard::mark_dirty(connection& c) {
  if (c.dirty_) return;
  c.dirty_ = true;
  dirty_.push_back(c.id_);
}

void shard::submit_send(connection& c) {
  std::unique_ptr<send_op> op;
  if (send_pool_.empty()) {
    op = std::make_unique<send_op>();
  } else {
    op = std::move(send_pool_.back());
    send_pool_.pop_back();
  }
  const std::size_t n = c.queue_.gather(op->iov);
  io_uring_sqe* s = ring_.sqe();
  if (n == 1) {
    io_uring_prep_send(s, c.fd_, op->iov[0].iov_base, op->iov[0].iov_len, MSG_NOSIGNAL);
  } else {
    op->msg = msghdr{};
    op->msg.msg_iov = op->iov;
    op->msg.msg_iovlen = n;
    io_uring_prep_sendmsg(s, c.fd_, &op->msg, MSG_NOSIGNAL);
  }
  io_uring_sqe_set_data64(s, pack_user_data(op_kind::send, c.id_.index, c.id_.generation));
  c.active_send_ = op.release();
  stats_.bump(stats_.send_calls);
}

void shard::on_send_done(connection& c, int res) {
  send_pool_.emplace_back(c.active_send_);
  c.active_send_ = nullptr;
  if (res >= 0) {
    c.queue_.consume(std::size_t(res));
    stats_.drop(stats_.queued_bytes, std::uint64_t(res));
    stats_.bump(stats_.bytes_out, std::uint64_t(res));
    if (!c.queue_.empty() && !c.shut_down_) mark_dirty(c);
    if (c.migration_) {
      finish_migration(c);
    } else if (c.closing_) {
      if (c.queue_.empty() && !c.shut_down_) shut_now(c, false);
    } else if (c.want_writable_ && c.queue_.bytes() <= cfg_.send_queue_limit / 4) {
      c.want_writable_ = false;
      c.handler_->on_writable(c);
    }
  } else {
    begin_close(c, reason_for_errno(-res));
    if (!c.shut_down_) shut_now(c, true);
  }
  maybe_finish(c);
}

void shard::begin_close(connection& c, close_reason why) {
  if (c.closing_) return;
  if (c.migration_) {
    delete c.migration_;
    c.migration_ = nullptr;
  }
  c.closing_ = true;
  c.reason_ = why;
  stats_.bump(stats_.closed[std::size_t(why)]);
  if (c.handler_) c.handler_->on_close(c, why);
  if (abortive(why) || c.queue_.empty()) {
    shut_now(c, why == close_reason::slow_consumer);
  } else {
    // Graceful: stop reading, let the queue drain, but never wait on a peer forever.
    if (c.recv_armed_) {
      io_uring_sqe* s = ring_.sqe();
      io_uring_prep_cancel64(s, pack_user_data(op_kind::recv, c.id_.index, c.id_.generation), 0);
      io_uring_sqe_set_data64(s, pack_user_data(op_kind::cancel, 0, 0));
    }
    timers_.schedule_after(cfg_.drain_timeout, [this, id = c.id_] {
      if (connection* d = find(id); d && !d->shut_down_) {
        shut_now(*d, true);
        maybe_finish(*d);
      }
    });
  }
}

void shard::shut_now(connection& c, bool reset) {
  if (reset) {
    // Drop what the kernel still holds for this peer too: a slow consumer must not pin memory.
    linger l{1, 0};
    ::setsockopt(c.fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  stats_.drop(stats_.queued_bytes, c.queue_.bytes());
  c.queue_.clear();
  ::shutdown(c.fd_, SHUT_RDWR);
  c.shut_down_ = true;
  if (c.recv_armed_) {
    io_uring_sqe* s = ring_.sqe();
    io_uring_prep_cancel64(s, pack_user_data(op_kind::recv, c.id_.index, c.id_.generation), 0);
    io_uring_sqe_set_data64(s, pack_user_data(op_kind::cancel, 0, 0));
  }
}

void shard::maybe_finish(connection& c) {
  if (!c.closing_ || !c.shut_down_ || c.recv_armed_ || c.active_send_ || c.reaped_) return;
  // No operation references the connection any more; free it after this iteration, so handlers
  // further down the same completion batch still see a valid object.
  c.reaped_ = true;
  ::close(c.fd_);
  c.fd_ = -1;
  reap_.push_back(c.id_.index);
  stats_.drop(stats_.live_connections);
}

void shard::drain_mailbox() {
  port_.drain([this](shard_task& t) {
    stats_.bump(stats_.mailbox_received);
    t(*this);
  }, mailbox_batch);
}

void shard::end_of_iteration() {
  // Our own tasks may queue sends.
  if (!local_tasks_.empty()) {
    auto tasks = std::move(local_tasks_);
    local_tasks_.clear();
    for (auto& t : tasks) t(*this);
  }

  for (conn_id id : rearm_) {
    if (connection* c = find(id)) {
      c->recv_rearm_ = false;
      if (!c->closing_ && !c->recv_armed_) arm_recv(*c);
    }
  }
  rearm_.clear();

  // Cross-shard messages leave before our socket writes, so a peer that reacts to one of those
  // writes by talking to another shard finds the message already there.
  port_.flush([this](unsigned, int target_fd) {
    if (target_fd < 0) return;
    io_uring_sqe* s = ring_.sqe();
    io_uring_prep_msg_ring(s, target_fd, 0, pack_user_data(op_kind::msg_ring_wake, 0, 0), 0);
    io_uring_sqe_set_data64(s, pack_user_data(op_kind::msg_ring_sent, 0, 0));
  });

  // One write per connection per iteration, gathering everything queued since the last one.
  for (conn_id id : dirty_) {
    connection* c = find(id);
    if (!c) continue;
    c->dirty_ = false;
    if (!c->active_send_ && !c->queue_.empty() && !c->shut_down_) submit_send(*c);
  }
  dirty_.clear();

  retired_handlers_.clear();
  for (std::uint32_t index : reap_) {
    slots_[index].reset();
    generations_[index] = (generations_[index] + 1) & 0xffffff;
    free_slots_.push_back(index);
  }
  reap_.clear();
}

void shard::begin_stop() {
  stopping_ = true;
  if (accept_armed_) {
    io_uring_sqe* s = ring_.sqe();
    io_uring_prep_cancel64(s, pack_user_data(op_kind::accept, 0, 0), 0);
    io_uring_sqe_set_data64(s, pack_user_data(op_kind::cancel, 0, 0));
  }
  if (app_) app_->on_stop();
  for (auto& slot : slots_) {
    connection* c = slot.get();
    if (!c || c->closing_) continue;
    if (c->handler_) c->handler_->on_shutdown(*c);
    c->close(close_reason::shutdown);
  }
}

}  // namespace ringcast::reactor
