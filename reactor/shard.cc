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

#include "reactor/connection_internal.h"

namespace ringcast::reactor {

namespace {
thread_local shard* current_shard = nullptr;
constexpr std::uint16_t recv_group = 0;
constexpr std::size_t mailbox_batch = 256;
constexpr auto max_sleep = std::chrono::milliseconds(500);
constexpr auto deferred_retry = std::chrono::microseconds(50);
}  // namespace

shard::shard(unsigned id, int listen_fd, const shard_config& cfg, mailbox_mesh& mesh, shard_stats& stats)
    : id_(id),
      listen_fd_(listen_fd),
      cfg_(cfg),
      mesh_(mesh),
      stats_(stats),
      ring_(cfg.ring_entries),
      recv_buffers_(ring_.raw(), cfg.recv_buffers, cfg.recv_buffer_size, recv_group),
      port_(mesh, id, cfg.mailbox_overflow_limit),
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

bool shard::post(unsigned target, shard_task t) { return post_to(target, std::move(t), false); }

void shard::post_guaranteed(unsigned target, shard_task t) { (void)post_to(target, std::move(t), true); }

bool shard::post_to(unsigned target, shard_task&& t, bool guaranteed) {
  assert_owner();
  if (target == id_) {
    local_tasks_.push_back(std::move(t));
    return true;
  }
  switch (port_.post(target, std::move(t), guaranteed)) {
    case mailbox_port::outcome::queued:
      break;
    case mailbox_port::outcome::kept:
      stats_.bump(stats_.mailbox_deferred);
      break;
    case mailbox_port::outcome::refused:
      stats_.bump(stats_.mailbox_refused);
      return false;
  }
  stats_.bump(stats_.mailbox_sent);
  return true;
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
      // Posts from other threads that drain_mailbox missed (they came after it, with this wake-up)
      // run at the end of this iteration, so the shard does not go back to sleep on them.
      for (auto& t : mesh_.take_thread_posts(id_)) local_tasks_.push_back(std::move(t));
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

void shard::drain_mailbox() {
  port_.drain([this](shard_task& t) {
    stats_.bump(stats_.mailbox_received);
    t(*this);
  }, mailbox_batch);
  for (auto& t : mesh_.take_thread_posts(id_)) t(*this);
}

void shard::end_of_iteration() {
  // Our own tasks may queue sends.
  if (!local_tasks_.empty()) {
    auto tasks = std::move(local_tasks_);
    local_tasks_.clear();
    for (auto& t : tasks) t(*this);
  }

  // Before the mailbox flush and the writes: on_close handlers post (room departures) and send
  // (to other connections).
  run_closes();

  for (conn_id id : rearm_) {
    if (connection* c = find(id)) {
      c->recv_rearm_ = false;
      if (!c->shut_down_ && !c->handoff_ && !c->recv_armed_) arm_recv(*c);
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
    if (!c->active_send_ && !c->queue_.empty() && !c->shut_down_ && !c->write_shut_) submit_send(*c);
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
