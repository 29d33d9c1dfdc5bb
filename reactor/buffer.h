#pragma once
// A reference-counted byte buffer. A broadcast frame is encoded once into one buffer and every
// recipient's send queue holds a reference to it, on any shard; the count is atomic for that reason.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string_view>
#include <utility>

namespace ringcast::reactor {

class buffer {
 public:
  // Capacity is fixed at creation so that bytes already handed to the kernel never move.
  static buffer* create(std::size_t capacity) {
    void* mem = ::operator new(sizeof(buffer) + capacity);
    return new (mem) buffer(static_cast<std::uint32_t>(capacity));
  }

  std::byte* data() noexcept { return reinterpret_cast<std::byte*>(this + 1); }
  const std::byte* data() const noexcept { return reinterpret_cast<const std::byte*>(this + 1); }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t spare() const noexcept { return capacity_ - size_; }
  std::span<const std::byte> bytes() const noexcept { return {data(), size_}; }
  std::string_view view() const noexcept { return {reinterpret_cast<const char*>(data()), size_}; }

  // Appends up to spare() bytes; only the single owner may append, before sharing.
  void append(const void* src, std::size_t n) noexcept {
    if (n == 0) return;  // src may be null for an empty view, which memcpy does not allow
    std::memcpy(data() + size_, src, n);
    size_ += static_cast<std::uint32_t>(n);
  }
  void resize(std::size_t n) noexcept { size_ = static_cast<std::uint32_t>(n); }

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      this->~buffer();
      ::operator delete(this);
    }
  }
  bool unique() const noexcept { return refs_.load(std::memory_order_acquire) == 1; }

 private:
  explicit buffer(std::uint32_t capacity) noexcept : capacity_(capacity) {}
  std::atomic<std::uint32_t> refs_{1};
  std::uint32_t capacity_;
  std::uint32_t size_ = 0;
};

// Owning handle to a buffer: copying shares it, destruction releases it.
class buffer_ref {
 public:
  buffer_ref() noexcept = default;
  explicit buffer_ref(std::size_t capacity) : p_(buffer::create(capacity)) {}
  static buffer_ref copy_of(std::span<const std::byte> bytes) {
    buffer_ref r(bytes.size());
    r->append(bytes.data(), bytes.size());
    return r;
  }
  static buffer_ref copy_of(std::string_view s) {
    return copy_of(std::as_bytes(std::span<const char>(s.data(), s.size())));
  }

  buffer_ref(const buffer_ref& o) noexcept : p_(o.p_) {
    if (p_) p_->add_ref();
  }
  buffer_ref(buffer_ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  buffer_ref& operator=(buffer_ref o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~buffer_ref() {
    if (p_) p_->release();
  }

  buffer* get() const noexcept { return p_; }
  buffer* operator->() const noexcept { return p_; }
  buffer& operator*() const noexcept { return *p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  buffer* p_ = nullptr;
};

}  // namespace ringcast::reactor
