// A connection's life on its shard: adoption, reads, the send queue, hand-off to another shard,
// and closing. The loop that drives it is in shard.cc.
#include "reactor/connection.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <utility>

#include "reactor/connection_internal.h"
#include "reactor/log.h"
#include "reactor/shard.h"

namespace ringcast::reactor {

connection::~connection() { delete handoff_; }

namespace {
bool abortive(close_reason r) noexcept {
  return r == close_reason::slow_consumer || r == close_reason::io_error || r == close_reason::peer_closed;
}
close_reason reason_for_errno(int err) noexcept {
  return (err == ECONNRESET || err == EPIPE || err == ENOTCONN) ? close_reason::peer_closed : close_reason::io_error;
}
}  // namespace

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
  } else if (!unconsumed.empty()) {
    c.handler_->on_data(c, std::as_bytes(std::span<const char>(unconsumed)));
  }
  // Armed even when closing: a graceful close reads (and drops) until the peer's EOF.
  if (!c.shut_down_ && !c.handoff_) arm_recv(c);
}

void connection::hand_off(unsigned target, std::string unconsumed, arrival_fn arrive) {
  shard_->assert_owner();
  if (closing_ || handoff_) return;
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
  handoff_ = new handoff{target, std::move(unconsumed), std::move(arrive)};
  if (recv_armed_) {
    io_uring_sqe* s = shard_->ring_.sqe();
    io_uring_prep_cancel64(s, pack_user_data(op_kind::recv, id_.index, id_.generation), 0);
    io_uring_sqe_set_data64(s, pack_user_data(op_kind::cancel, 0, 0));
  }
  shard_->finish_handoff(*this);
}

void connection::replace_handler(std::unique_ptr<connection_handler> next) {
  shard_->retired_handlers_.push_back(std::move(handler_));
  handler_ = std::move(next);
}

void shard::finish_handoff(connection& c) {
  // The socket may move only when no operation of ours references it any more.
  if (c.recv_armed_ || c.active_send_ || !c.queue_.empty() || c.reaped_) return;
  std::unique_ptr<handoff> m(c.handoff_);
  c.handoff_ = nullptr;
  m->fd = c.fd_;
  c.fd_ = -1;
  c.reaped_ = true;
  c.closing_ = true;
  retired_handlers_.push_back(std::move(c.handler_));
  reap_.push_back(c.id_.index);
  stats_.drop(stats_.live_connections);
  stats_.bump(stats_.handed_off);
  const unsigned target = m->target;
  // A socket in transit cannot be dropped: it is a live client.
  post_guaranteed(target, [m = std::move(m)](shard& to) mutable {
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
    // A closing connection still reads, so the peer's bytes do not sit unread when the socket
    // closes (that would reset it), but nobody gets them any more.
    if (c.handoff_) {
      c.handoff_->unconsumed.append(reinterpret_cast<const char*>(data.data()), data.size());
    } else if (!c.closing_) {
      c.handler_->on_data(c, data);
    }
    recv_buffers_.recycle(bid);
    if (!more && !c.shut_down_ && !c.handoff_ && !c.recv_rearm_) {
      c.recv_rearm_ = true;
      rearm_.push_back(c.id_);
    }
  } else if (res == 0) {
    // A socket in hand-off sees its EOF again on the target shard.
    if (!c.handoff_) {
      if (!c.closing_) {
        begin_close(c, close_reason::peer_closed);
      } else {
        c.peer_eof_ = true;
        // Lingering: the peer's EOF is what we were waiting for. Still flushing: finish first.
        if (c.write_shut_ && !c.shut_down_) shut_now(c, false);
      }
    }
  } else if (res == -ENOBUFS) {
    // Every provided buffer was in use; they are recycled by now, so arm again this iteration.
    stats_.bump(stats_.recv_buffer_exhausted);
    if (!c.shut_down_ && !c.handoff_ && !c.recv_rearm_) {
      c.recv_rearm_ = true;
      rearm_.push_back(c.id_);
    }
  } else if (res != -ECANCELED) {
    if (!c.closing_) {
      begin_close(c, reason_for_errno(-res));
    } else if (!c.shut_down_ && !c.close_pending_) {
      shut_now(c, false);
    } else {
      c.peer_eof_ = true;
    }
  }
  if (c.handoff_) finish_handoff(c);
  maybe_finish(c);
}

bool connection::admit(std::size_t n) noexcept {
  if (closing_) return false;
  // An empty queue takes any message, so one larger than the cap (but within what the application
  // accepts) can still be delivered; the cap bounds what piles up behind a peer that does not read.
  if (!queue_.empty() && queue_.bytes() + n > shard_->cfg_.send_queue_limit) {
    static log_rate rate(1);
    std::uint64_t held_back = 0;
    if (rate.allow(held_back))
      log(log_level::warn, "a slow consumer passed --send-queue-limit with %zu bytes queued; closed (%llu more since)",
          queue_.bytes(), static_cast<unsigned long long>(held_back));
    shard_->begin_close(*this, close_reason::slow_consumer);
    return false;
  }
  return true;
}

send_status connection::send(std::span<const std::byte> bytes) noexcept {
  shard_->assert_owner();
  if (!admit(bytes.size())) return send_status::closed;
  queue_.push_copy(bytes);
  return after_enqueue(bytes.size());
}

send_status connection::send(const buffer_ref& buf, std::size_t offset, std::size_t len) noexcept {
  shard_->assert_owner();
  if (!admit(len)) return send_status::closed;
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

void shard::mark_dirty(connection& c) noexcept {
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
  op->len = 0;
  for (std::size_t i = 0; i < n; ++i) op->len += op->iov[i].iov_len;
  op->whole_queue = n == c.queue_.segments();
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
  if (res >= 0 && (std::size_t(res) < c.active_send_->len || !c.active_send_->whole_queue)) stats_.bump(stats_.partial_sends);
  send_pool_.emplace_back(c.active_send_);
  c.active_send_ = nullptr;
  if (res >= 0) {
    c.queue_.consume(std::size_t(res));
    stats_.drop(stats_.queued_bytes, std::uint64_t(res));
    stats_.bump(stats_.bytes_out, std::uint64_t(res));
    if (c.shut_down_) {
      drop_queue(c);
    } else if (!c.queue_.empty()) {
      mark_dirty(c);
    }
    if (c.handoff_) {
      finish_handoff(c);
    } else if (c.closing_) {
      // The last queued byte is out: a graceful close goes on to FIN (once on_close has run).
      if (c.queue_.empty() && !c.close_pending_ && !c.write_shut_ && !c.shut_down_) half_close(c);
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

void shard::begin_close(connection& c, close_reason why) noexcept {
  if (c.closing_) return;
  if (c.handoff_) {
    delete c.handoff_;
    c.handoff_ = nullptr;
  }
  c.closing_ = true;
  c.close_pending_ = true;
  c.reason_ = why;
  stats_.bump(stats_.closed[std::size_t(why)]);
  // Nothing else happens here: the caller may be deep inside a handler (a broadcast loop sending
  // to this connection) that the close work would free. run_closes does it at the iteration's end.
  closes_.push_back(c.id_);
}

void shard::run_closes() noexcept {
  // An on_close may close other connections (a session ending its transports): keep going until
  // a round adds none.
  while (!closes_.empty()) {
    close_batch_.swap(closes_);
    for (conn_id id : close_batch_)
      if (connection* c = slot(id.index, id.generation)) finish_close(*c);
    close_batch_.clear();
  }
}

void shard::finish_close(connection& c) noexcept {
  if (!c.close_pending_) return;
  c.close_pending_ = false;
  if (c.handler_) c.handler_->on_close(c, c.reason_);
  if (c.shut_down_) {
    // A failed send already shut it.
  } else if (abortive(c.reason_)) {
    shut_now(c, c.reason_ != close_reason::peer_closed);
  } else if (c.queue_.empty()) {
    half_close(c);
  } else {
    // Flushing first, but never waiting on a peer that does not read forever.
    c.close_timer_ = timers_.schedule_after(cfg_.drain_timeout, [this, id = c.id_] {
      if (connection* d = find(id); d && !d->shut_down_) {
        shut_now(*d, true);
        maybe_finish(*d);
      }
    });
  }
  maybe_finish(c);
}

void shard::half_close(connection& c) noexcept {
  timers_.cancel(c.close_timer_);
  if (c.peer_eof_ || (!c.recv_armed_ && !c.recv_rearm_)) {
    // The peer already finished, or nothing is reading that could see it finish.
    shut_now(c, false);
    return;
  }
  ::shutdown(c.fd_, SHUT_WR);
  c.write_shut_ = true;
  c.close_timer_ = timers_.schedule_after(cfg_.linger_timeout, [this, id = c.id_] {
    if (connection* d = find(id); d && !d->shut_down_) {
      shut_now(*d, false);
      maybe_finish(*d);
    }
  });
}

void shard::drop_queue(connection& c) noexcept {
  stats_.drop(stats_.queued_bytes, c.queue_.bytes());
  c.queue_.clear();
}

void shard::shut_now(connection& c, bool reset) noexcept {
  timers_.cancel(c.close_timer_);
  if (reset) {
    // Drop what the kernel still holds for this peer too: a slow consumer must not pin memory.
    linger l{1, 0};
    ::setsockopt(c.fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  // The kernel may still read the bytes of an in-flight send; they go when it completes.
  if (!c.active_send_) drop_queue(c);
  ::shutdown(c.fd_, SHUT_RDWR);
  c.shut_down_ = true;
  if (c.recv_armed_) {
    io_uring_sqe* s = ring_.sqe();
    io_uring_prep_cancel64(s, pack_user_data(op_kind::recv, c.id_.index, c.id_.generation), 0);
    io_uring_sqe_set_data64(s, pack_user_data(op_kind::cancel, 0, 0));
  }
}

void shard::maybe_finish(connection& c) {
  if (!c.closing_ || c.close_pending_ || !c.shut_down_ || c.recv_armed_ || c.active_send_ || c.reaped_) return;
  // No operation references the connection any more; free it after this iteration, so handlers
  // further down the same completion batch still see a valid object.
  c.reaped_ = true;
  ::close(c.fd_);
  c.fd_ = -1;
  reap_.push_back(c.id_.index);
  stats_.drop(stats_.live_connections);
}

}  // namespace ringcast::reactor
