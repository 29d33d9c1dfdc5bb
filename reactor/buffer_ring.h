#pragma once
// A provided-buffer ring: the kernel picks a free buffer for each multishot recv completion, and the
// shard hands it back as soon as the data was consumed. Owned by one shard.
#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace ringcast::reactor {

class buffer_ring {
 public:
  // entries must be a power of two. Throws on failure (start-up only).
  buffer_ring(io_uring* ring, unsigned entries, unsigned buffer_size, std::uint16_t group);
  ~buffer_ring();
  buffer_ring(const buffer_ring&) = delete;
  buffer_ring& operator=(const buffer_ring&) = delete;

  std::span<const std::byte> data(unsigned bid, std::size_t len) const noexcept {
    return {base_ + std::size_t{bid} * buffer_size_, len};
  }
  void recycle(unsigned bid) noexcept;
  std::uint16_t group() const noexcept { return group_; }

 private:
  io_uring* ring_;
  io_uring_buf_ring* br_ = nullptr;
  std::byte* base_ = nullptr;
  std::size_t ring_bytes_ = 0;
  std::size_t pool_bytes_ = 0;
  unsigned entries_;
  unsigned buffer_size_;
  std::uint16_t group_;
};

}  // namespace ringcast::reactor
