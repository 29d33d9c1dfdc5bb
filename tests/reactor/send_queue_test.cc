#include "reactor/send_queue.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::reactor {
namespace {

std::span<const std::byte> bytes_of(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

std::string gathered(const send_queue& q) {
  iovec iov[64];
  std::string out;
  std::size_t n = q.gather(iov);
  for (std::size_t i = 0; i < n; ++i) out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  return out;
}

TEST(send_queue, small_copies_coalesce_into_one_segment) {
  send_queue q;
  q.push_copy(bytes_of("hello "));
  q.push_copy(bytes_of("world"));
  EXPECT_EQ(q.segments(), 1u);
  EXPECT_EQ(q.bytes(), 11u);
  EXPECT_EQ(gathered(q), "hello world");
}

TEST(send_queue, shared_buffers_are_referenced_not_copied) {
  buffer_ref frame = buffer_ref::copy_of(std::string_view("broadcast"));
  send_queue a, b;
  a.push_shared(frame);
  b.push_shared(frame);
  iovec ia[4], ib[4];
  ASSERT_EQ(a.gather(ia), 1u);
  ASSERT_EQ(b.gather(ib), 1u);
  EXPECT_EQ(ia[0].iov_base, ib[0].iov_base);
  EXPECT_EQ(ia[0].iov_base, static_cast<const void*>(frame->data()));
  EXPECT_FALSE(frame->unique());
  a.clear();
  b.clear();
  EXPECT_TRUE(frame->unique());
}

TEST(send_queue, partial_writes_resume_mid_segment_in_order) {
  send_queue q;
  q.push_copy(bytes_of("abc"));
  q.push_shared(buffer_ref::copy_of(std::string_view("defgh")));
  q.push_copy(bytes_of("ij"));
  EXPECT_EQ(gathered(q), "abcdefghij");
  q.consume(2);
  EXPECT_EQ(gathered(q), "cdefghij");
  q.consume(4);
  EXPECT_EQ(gathered(q), "ghij");
  EXPECT_EQ(q.bytes(), 4u);
  q.consume(4);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(send_queue, appending_after_gather_keeps_gathered_bytes_stable) {
  send_queue q;
  q.push_copy(bytes_of("first"));
  iovec iov[4];
  ASSERT_EQ(q.gather(iov), 1u);
  const void* before = iov[0].iov_base;
  q.push_copy(bytes_of("second"));
  EXPECT_EQ(std::string(static_cast<const char*>(before), 5), "first");
  q.consume(5);
  EXPECT_EQ(gathered(q), "second");
}

TEST(send_queue, large_copy_gets_its_own_buffer) {
  send_queue q;
  std::string big(3 * send_queue::private_chunk, 'x');
  q.push_copy(bytes_of("a"));
  q.push_copy(bytes_of(big));
  EXPECT_EQ(q.segments(), 2u);
  EXPECT_EQ(q.bytes(), big.size() + 1);
}

TEST(send_queue, gather_is_bounded_by_iovec_count) {
  send_queue q;
  buffer_ref frame = buffer_ref::copy_of(std::string_view("x"));
  for (int i = 0; i < 100; ++i) q.push_shared(frame);
  iovec iov[64];
  EXPECT_EQ(q.gather(iov), 64u);
  q.consume(64);
  EXPECT_EQ(q.gather(iov), 36u);
}

}  // namespace
}  // namespace ringcast::reactor
