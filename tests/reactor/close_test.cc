// Closing a connection: deferred to the end of the loop iteration (never inside send), the cap on
// the send queue, and the graceful close that reads until the peer's EOF instead of resetting.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "reactor/server.h"
#include "tests/support/tcp.h"
#include "tests/support/wait.h"

namespace ringcast::reactor {
namespace {

using namespace std::chrono_literals;

server_config small_cap_config(std::size_t cap) {
  server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.shards = 2;
  cfg.shard.send_queue_limit = cap;
  return cfg;
}

// Builds one handler type for every accepted connection, handing it the test's shared state.
template <class Handler, class State>
class one_kind_app final : public shard_app {
 public:
  explicit one_kind_app(State& st) : st_(st) {}
  std::unique_ptr<connection_handler> on_accept(connection&) override { return std::make_unique<Handler>(st_); }

 private:
  State& st_;
};

template <class Handler, class State>
app_factory factory_for(State& st) {
  return [&st](shard&) { return std::make_unique<one_kind_app<Handler, State>>(st); };
}

// ---- a send past the cap: the close is marked, its work runs later ----

constexpr std::size_t cap = 64 * 1024;

struct greedy_state {
  // Written on the shard thread before `closed` is signalled; read by the test after.
  send_status first = send_status::closed;
  send_status past_cap = send_status::ok;
  send_status after = send_status::ok;
  bool closing_right_after = false;
  bool on_close_inside_send = false;
  std::string companion_after_send;
  std::optional<close_reason> reason;
  int on_close_calls = 0;
  test::waitable_count closed;
};

class greedy final : public connection_handler {
 public:
  explicit greedy(greedy_state& st) : st_(st) {}
  void on_data(connection& c, std::span<const std::byte>) noexcept override {
    if (sent_) return;
    sent_ = true;
    const std::string chunk(cap * 3 / 4, 'g');
    in_send_ = true;
    st_.first = c.send(chunk);
    st_.past_cap = c.send(chunk);
    st_.closing_right_after = c.closing();
    st_.after = c.send("more");
    in_send_ = false;
    // What on_close frees is still in use after the refused send, as a room broadcast keeps using
    // its member list: a close run inside send would make this a use after free (ASan).
    st_.companion_after_send = *companion_;
  }
  void on_close(connection&, close_reason why) noexcept override {
    st_.on_close_inside_send = in_send_;
    st_.reason = why;
    ++st_.on_close_calls;
    companion_.reset();
    st_.closed.add();
  }

 private:
  greedy_state& st_;
  std::unique_ptr<std::string> companion_ = std::make_unique<std::string>("alive");
  bool in_send_ = false;
  bool sent_ = false;
};

TEST(reactor_close, send_past_the_cap_marks_closing_and_on_close_runs_later_as_slow_consumer) {
  greedy_state st;
  server srv(small_cap_config(cap), factory_for<greedy>(st));
  srv.start();
  int fd = test::connect_tcp(srv.port());
  test::set_recv_timeout(fd, 10000);
  ASSERT_TRUE(test::write_all(fd, "go", 2));
  ASSERT_TRUE(st.closed.wait_at_least(1, 10s)) << "on_close never ran";

  EXPECT_NE(st.first, send_status::closed) << "an empty queue takes the first message";
  EXPECT_EQ(st.past_cap, send_status::closed);
  EXPECT_TRUE(st.closing_right_after) << "closing() must be true as soon as the send is refused";
  EXPECT_EQ(st.after, send_status::closed) << "later sends are refused";
  EXPECT_FALSE(st.on_close_inside_send) << "on_close ran inside send";
  EXPECT_EQ(st.companion_after_send, "alive");
  ASSERT_TRUE(st.reason.has_value());
  EXPECT_EQ(*st.reason, close_reason::slow_consumer);
  EXPECT_EQ(st.on_close_calls, 1);

  // Abortive: the queued message was dropped, never written.
  char buf[4096];
  std::size_t got = 0;
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got += std::size_t(n);
  }
  EXPECT_EQ(got, 0u);
  ::close(fd);
  srv.stop();
  srv.join();
  EXPECT_EQ(srv.total_closed(close_reason::slow_consumer), 1u);
  EXPECT_EQ(srv.total(&shard_stats::queued_bytes), 0u);
  EXPECT_EQ(srv.total(&shard_stats::live_connections), 0u);
}

// ---- a message larger than the cap ----

struct big_state {
  send_status alone = send_status::closed;
  send_status big_again = send_status::closed;
  send_status behind_it = send_status::ok;
  std::optional<close_reason> reason;
  test::waitable_count closed;
};

constexpr std::size_t big_size = cap * 3;

class big_sender final : public connection_handler {
 public:
  explicit big_sender(big_state& st) : st_(st) {}
  void on_data(connection& c, std::span<const std::byte> d) noexcept override {
    const std::string big(big_size, 'b');
    for (std::byte b : d) {
      if (b == std::byte{'1'}) {
        st_.alone = c.send(big);
      } else if (b == std::byte{'2'}) {
        st_.big_again = c.send(big);
        st_.behind_it = c.send("tail");
      }
    }
  }
  void on_close(connection&, close_reason why) noexcept override {
    st_.reason = why;
    st_.closed.add();
  }

 private:
  big_state& st_;
};

TEST(reactor_close, message_larger_than_the_cap_is_delivered_when_the_queue_is_empty) {
  big_state st;
  server srv(small_cap_config(cap), factory_for<big_sender>(st));
  srv.start();
  int fd = test::connect_tcp(srv.port());
  test::set_recv_timeout(fd, 10000);
  ASSERT_TRUE(test::write_all(fd, "1", 1));
  std::string back(big_size, '\0');
  ASSERT_TRUE(test::read_exact(fd, back.data(), back.size())) << "the oversized message never arrived";
  EXPECT_EQ(back, std::string(big_size, 'b'));
  EXPECT_EQ(st.alone, send_status::backpressure);

  // Behind a non-empty queue, the cap holds: the next message makes it a slow consumer.
  ASSERT_TRUE(test::write_all(fd, "2", 1));
  ASSERT_TRUE(st.closed.wait_at_least(1, 10s));
  EXPECT_NE(st.big_again, send_status::closed);
  EXPECT_EQ(st.behind_it, send_status::closed);
  ASSERT_TRUE(st.reason.has_value());
  EXPECT_EQ(*st.reason, close_reason::slow_consumer);
  ::close(fd);
  srv.stop();
  srv.join();
  EXPECT_EQ(srv.total_closed(close_reason::slow_consumer), 1u);
}

// ---- graceful close: flush, FIN, read and discard until the peer's EOF ----

struct farewell_state {
  std::atomic<int> on_data_calls{0};
  std::optional<close_reason> reason;
  test::waitable_count closed;
};

class farewell final : public connection_handler {
 public:
  explicit farewell(farewell_state& st) : st_(st) {}
  void on_data(connection& c, std::span<const std::byte>) noexcept override {
    st_.on_data_calls.fetch_add(1);
    c.send("bye");
    c.close(close_reason::app_closed);
  }
  void on_close(connection&, close_reason why) noexcept override {
    st_.reason = why;
    st_.closed.add();
  }

 private:
  farewell_state& st_;
};

// The peer is still sending when the server closes. Closing the socket with its bytes unread
// would reset the connection: the peer's writes fail and its unread "bye" may be destroyed (as a
// WebSocket close frame was, turning 1009 into 1006).
TEST(reactor_close, graceful_close_reads_until_the_peers_eof_instead_of_resetting) {
  farewell_state st;
  server srv(small_cap_config(std::size_t{4} << 20), factory_for<farewell>(st));
  srv.start();
  int fd = test::connect_tcp(srv.port());
  test::set_recv_timeout(fd, 10000);
  const std::string blob(2 << 20, 'z');
  std::atomic<bool> wrote_all{false};
  std::thread writer([&] {
    wrote_all = test::write_all(fd, blob.data(), blob.size());
    ::shutdown(fd, SHUT_WR);
  });
  std::string got;
  char buf[256];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, std::size_t(n));
  const int recv_errno = n < 0 ? errno : 0;
  writer.join();
  EXPECT_EQ(got, "bye");
  EXPECT_EQ(n, 0) << "the connection ended with an error (errno " << recv_errno << "), not a FIN";
  EXPECT_TRUE(wrote_all.load()) << "the server reset the connection while the client was still sending";
  ASSERT_TRUE(st.closed.wait_at_least(1, 10s));
  ::close(fd);
  srv.stop();
  srv.join();
  // Everything the client sent was read, and none of it after the close reached the handler.
  EXPECT_EQ(srv.total(&shard_stats::bytes_in), blob.size());
  EXPECT_EQ(st.on_data_calls.load(), 1);
  ASSERT_TRUE(st.reason.has_value());
  EXPECT_EQ(*st.reason, close_reason::app_closed);
  EXPECT_EQ(srv.total(&shard_stats::live_connections), 0u);
}

// A peer that never finishes does not hold a closing connection past the linger timeout.
TEST(reactor_close, linger_ends_after_its_timeout_when_the_peer_never_sends_eof) {
  farewell_state st;
  server_config cfg = small_cap_config(std::size_t{4} << 20);
  cfg.shard.linger_timeout = 200ms;
  server srv(cfg, factory_for<farewell>(st));
  srv.start();
  int fd = test::connect_tcp(srv.port());
  test::set_recv_timeout(fd, 10000);
  ASSERT_TRUE(test::write_all(fd, "hi", 2));
  std::string got(3, '\0');
  ASSERT_TRUE(test::read_exact(fd, got.data(), got.size()));
  EXPECT_EQ(got, "bye");
  char c;
  EXPECT_EQ(::recv(fd, &c, 1, 0), 0) << "FIN expected after the last byte";
  // The client keeps its side open; the server lets go after the linger timeout, so stopping it
  // completes even though this socket is never closed by the client.
  const auto t0 = std::chrono::steady_clock::now();
  srv.stop();
  srv.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(srv.total(&shard_stats::live_connections), 0u);
  EXPECT_EQ(srv.total_closed(close_reason::app_closed), 1u);
  ::close(fd);
}

}  // namespace
}  // namespace ringcast::reactor
