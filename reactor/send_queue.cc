#include "reactor/send_queue.h"

#include <algorithm>

namespace ringcast::reactor {

void send_queue::push_shared(buffer_ref buf, std::size_t offset, std::size_t len) {
  if (len == 0) return;
  segments_.push_back({std::move(buf), static_cast<std::uint32_t>(offset),
                       static_cast<std::uint32_t>(len), false});
  bytes_ += len;
}

void send_queue::push_copy(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  if (!empty()) {
    segment& tail = segments_.back();
    // Appending past the bytes already gathered for the kernel is safe: the buffer never moves.
    if (tail.appendable && tail.buf->spare() >= bytes.size()) {
      tail.buf->append(bytes.data(), bytes.size());
      tail.len += static_cast<std::uint32_t>(bytes.size());
      bytes_ += bytes.size();
      return;
    }
  }
  buffer_ref buf(std::max(private_chunk, bytes.size()));
  buf->append(bytes.data(), bytes.size());
  segments_.push_back({std::move(buf), 0, static_cast<std::uint32_t>(bytes.size()), true});
  bytes_ += bytes.size();
}

std::size_t send_queue::gather(std::span<iovec> iov) const noexcept {
  std::size_t n = 0;
  for (std::size_t i = head_; i < segments_.size() && n < iov.size(); ++i, ++n) {
    const segment& s = segments_[i];
    iov[n].iov_base = const_cast<std::byte*>(s.buf->data() + s.offset);
    iov[n].iov_len = s.len;
  }
  return n;
}

void send_queue::consume(std::size_t n) noexcept {
  bytes_ -= std::min(n, bytes_);
  while (n > 0 && head_ < segments_.size()) {
    segment& s = segments_[head_];
    if (n < s.len) {
      s.offset += static_cast<std::uint32_t>(n);
      s.len -= static_cast<std::uint32_t>(n);
      return;
    }
    n -= s.len;
    s.buf = buffer_ref();
    ++head_;
  }
  compact();
}

void send_queue::clear() noexcept {
  segments_.clear();
  head_ = 0;
  bytes_ = 0;
}

void send_queue::compact() noexcept {
  if (head_ == segments_.size()) {
    segments_.clear();
    head_ = 0;
    // An idle connection keeps no queue memory.
    if (segments_.capacity() > 16) segments_.shrink_to_fit();
  } else if (head_ >= 32 && head_ * 2 >= segments_.size()) {
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

}  // namespace ringcast::reactor
