#include "reactor/uring.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ringcast::reactor {

uring::uring(unsigned entries) {
  struct attempt {
    unsigned flags;
    const char* name;
  };
  static constexpr attempt attempts[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "single_issuer+defer_taskrun"},
      {IORING_SETUP_COOP_TASKRUN, "coop_taskrun"},
      {0, "plain"},
  };
  int err = 0;
  for (const attempt& a : attempts) {
    io_uring_params p{};
    // A deep completion queue: every connection's multishot recv may post while we are busy.
    p.flags = a.flags | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
    p.cq_entries = entries * 4;
    err = io_uring_queue_init_params(entries, &ring_, &p);
    if (err == 0) {
      mode_ = a.name;
      return;
    }
    if (err != -EINVAL) break;
  }
  throw std::runtime_error(std::string("io_uring_queue_init: ") + std::strerror(-err));
}

uring::~uring() { io_uring_queue_exit(&ring_); }

io_uring_sqe* uring::sqe() noexcept {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  while (s == nullptr) {
    io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void uring::submit_and_wait(std::chrono::microseconds timeout) noexcept {
  __kernel_timespec ts{};
  ts.tv_sec = timeout.count() / 1000000;
  ts.tv_nsec = (timeout.count() % 1000000) * 1000;
  io_uring_cqe* cqe = nullptr;
  io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
}

void uring::submit_nowait() noexcept {
  io_uring_submit(&ring_);
  // With DEFER_TASKRUN, completions are only posted when we ask for events.
  io_uring_get_events(&ring_);
}

}  // namespace ringcast::reactor
