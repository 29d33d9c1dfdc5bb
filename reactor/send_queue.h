#pragma once
// The bytes a connection still has to write, as a list of (buffer, offset, length) segments.
// Shared broadcast frames are referenced, never copied; small private writes are coalesced into
// one private buffer so a burst of tiny frames costs one segment. Owned by one shard.
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "reactor/buffer.h"

namespace ringcast::reactor {

class send_queue {
 public:
  // Private buffers are allocated at least this large so later small writes can share them.
  static constexpr std::size_t private_chunk = 4096;

  void push_shared(buffer_ref buf, std::size_t offset, std::size_t len);
  void push_shared(const buffer_ref& buf) { push_shared(buf, 0, buf->size()); }
  void push_copy(std::span<const std::byte> bytes);

  // Fills up to iov.size() entries with the front of the queue; returns how many were filled.
  std::size_t gather(std::span<iovec> iov) const noexcept;
  // Drops n bytes from the front, after the kernel reported them written.
  void consume(std::size_t n) noexcept;
  void clear() noexcept;

  bool empty() const noexcept { return head_ == segments_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }
  std::size_t segments() const noexcept { return segments_.size() - head_; }

 private:
  struct segment {
    buffer_ref buf;
    std::uint32_t offset;
    std::uint32_t len;
    bool appendable;  // a private buffer whose tail is this segment's end
  };
  void compact() noexcept;

  std::vector<segment> segments_;
  std::size_t head_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace ringcast::reactor
