#pragma once
// Waiting for something another thread does, with a deadline, without sleeping as a barrier: the
// thread that makes the condition true notifies, the test thread wakes at once.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace ringcast::test {

class waitable_count {
 public:
  void add(std::uint64_t n = 1) {
    {
      std::lock_guard<std::mutex> l(m_);
      value_ += n;
    }
    cv_.notify_all();
  }
  std::uint64_t value() {
    std::lock_guard<std::mutex> l(m_);
    return value_;
  }
  // True once the count reached `target`; false if the timeout passed first.
  bool wait_at_least(std::uint64_t target, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(m_);
    return cv_.wait_for(l, timeout, [&] { return value_ >= target; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::uint64_t value_ = 0;
};

}  // namespace ringcast::test
