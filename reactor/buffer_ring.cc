#include "reactor/buffer_ring.h"

#include <sys/mman.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace ringcast::reactor {

buffer_ring::buffer_ring(io_uring* ring, unsigned entries, unsigned buffer_size, std::uint16_t group)
    : ring_(ring), entries_(entries), buffer_size_(buffer_size), group_(group) {
  if (entries == 0 || (entries & (entries - 1)) != 0 || entries > 32768)
    throw std::invalid_argument("recv buffer count must be a power of two up to 32768");
  ring_bytes_ = entries * sizeof(io_uring_buf);
  pool_bytes_ = std::size_t{entries} * buffer_size;
  void* r = mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* p = mmap(nullptr, pool_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (r == MAP_FAILED || p == MAP_FAILED) throw std::runtime_error("mmap of the recv buffers failed");
  br_ = static_cast<io_uring_buf_ring*>(r);
  base_ = static_cast<std::byte*>(p);

  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(br_);
  reg.ring_entries = entries;
  reg.bgid = group;
  if (int err = io_uring_register_buf_ring(ring_, &reg, 0); err != 0)
    throw std::runtime_error(std::string("io_uring_register_buf_ring: ") + std::strerror(-err));

  io_uring_buf_ring_init(br_);
  const int mask = io_uring_buf_ring_mask(entries);
  for (unsigned bid = 0; bid < entries; ++bid)
    io_uring_buf_ring_add(br_, base_ + std::size_t{bid} * buffer_size, buffer_size, bid, mask, int(bid));
  io_uring_buf_ring_advance(br_, int(entries));
}

buffer_ring::~buffer_ring() {
  io_uring_unregister_buf_ring(ring_, group_);
  munmap(br_, ring_bytes_);
  munmap(base_, pool_bytes_);
}

void buffer_ring::recycle(unsigned bid) noexcept {
  io_uring_buf_ring_add(br_, base_ + std::size_t{bid} * buffer_size_, buffer_size_, bid,
                        io_uring_buf_ring_mask(entries_), 0);
  io_uring_buf_ring_advance(br_, 1);
}

}  // namespace ringcast::reactor
