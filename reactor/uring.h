#pragma once
// A thin owner of one io_uring: setup with the best flags the kernel accepts, and SQE allocation
// that submits when the submission queue is full instead of failing.
#include <liburing.h>

#include <chrono>
#include <cstdint>

namespace ringcast::reactor {

// What a completion belongs to, packed into the 64-bit user_data: [op:8][generation:24][index:32].
enum class op_kind : std::uint8_t { none, accept, recv, send, wake_read, msg_ring_sent, msg_ring_wake, cancel, poll };

constexpr std::uint64_t pack_user_data(op_kind op, std::uint32_t index, std::uint32_t generation) noexcept {
  return (std::uint64_t(op) << 56) | (std::uint64_t(generation & 0xffffff) << 32) | index;
}
constexpr op_kind user_data_op(std::uint64_t ud) noexcept { return op_kind(ud >> 56); }
constexpr std::uint32_t user_data_index(std::uint64_t ud) noexcept { return std::uint32_t(ud); }
constexpr std::uint32_t user_data_generation(std::uint64_t ud) noexcept { return std::uint32_t(ud >> 32) & 0xffffff; }

class uring {
 public:
  // Tries SINGLE_ISSUER|DEFER_TASKRUN, then COOP_TASKRUN, then no flags. Throws on failure.
  // Must run on the thread that will submit: the kernel binds a single-issuer ring to it.
  explicit uring(unsigned entries);
  ~uring();
  uring(const uring&) = delete;
  uring& operator=(const uring&) = delete;

  io_uring_sqe* sqe() noexcept;
  // Submits what is queued and waits for at least one completion or the timeout.
  void submit_and_wait(std::chrono::microseconds timeout) noexcept;
  // Submits and collects completions without waiting.
  void submit_nowait() noexcept;

  io_uring* raw() noexcept { return &ring_; }
  int fd() const noexcept { return ring_.ring_fd; }
  const char* mode() const noexcept { return mode_; }

 private:
  io_uring ring_{};
  const char* mode_ = "plain";
};

}  // namespace ringcast::reactor
