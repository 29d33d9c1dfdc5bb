// TCP echo through the real reactor: real sockets, real shard threads, 2+ shards.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "reactor/tcp_echo_app.h"
#include "reactor/server.h"
#include "tests/support/tcp.h"
#include "tests/support/wait.h"

namespace ringcast::reactor {
namespace {

server_config test_config(unsigned shards) {
  server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.shards = shards;
  cfg.shard.recv_buffers = 256;  // small pool: ENOBUFS and re-arming get exercised under load
  cfg.shard.recv_buffer_size = 4096;
  return cfg;
}

// The echo application, also signalling every on_close, so a test can wait for the closes.
class counted_echo final : public connection_handler {
 public:
  explicit counted_echo(test::waitable_count& closes) : closes_(closes) {}
  void on_data(connection& c, std::span<const std::byte> data) noexcept override { c.send(data); }
  void on_close(connection&, close_reason) noexcept override { closes_.add(); }

 private:
  test::waitable_count& closes_;
};

class counted_echo_app final : public shard_app {
 public:
  explicit counted_echo_app(test::waitable_count& closes) : closes_(closes) {}
  std::unique_ptr<connection_handler> on_accept(connection&) override { return std::make_unique<counted_echo>(closes_); }

 private:
  test::waitable_count& closes_;
};

struct echo_client {
  int fd = -1;
  std::string payload;
  std::size_t sent = 0;
  std::string received;
};

// 1,200 connections over 2 shards, each sending 1-48 KiB in random-sized pieces interleaved with
// all the others, every byte checked on the way back.
TEST(reactor_echo, thousand_connections_byte_exact_at_random_splits) {
  test::waitable_count closes;
  server srv(test_config(2), [&closes](shard&) { return std::make_unique<counted_echo_app>(closes); });
  srv.start();

  std::mt19937 rng(12345);
  constexpr int clients = 1200;
  std::vector<echo_client> cs(clients);
  for (auto& c : cs) {
    c.fd = test::connect_tcp(srv.port(), true);
    std::uniform_int_distribution<int> len(1, 48 * 1024), byte(0, 255);
    c.payload.resize(std::size_t(len(rng)));
    for (auto& ch : c.payload) ch = char(byte(rng));
  }

  std::vector<pollfd> pfds(clients);
  std::size_t done = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (done < cs.size() && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < clients; ++i) {
      pfds[i].fd = cs[i].fd;
      pfds[i].events = POLLIN | (cs[i].sent < cs[i].payload.size() ? POLLOUT : 0);
      pfds[i].revents = 0;
    }
    ASSERT_GE(::poll(pfds.data(), pfds.size(), 1000), 0);
    for (int i = 0; i < clients; ++i) {
      auto& c = cs[i];
      if ((pfds[i].revents & POLLOUT) && c.sent < c.payload.size()) {
        std::uniform_int_distribution<std::size_t> piece(1, 3000);
        std::size_t n = std::min(piece(rng), c.payload.size() - c.sent);
        ssize_t w = ::send(c.fd, c.payload.data() + c.sent, n, MSG_NOSIGNAL);
        if (w > 0) c.sent += std::size_t(w);
      }
      if (pfds[i].revents & POLLIN) {
        char buf[16384];
        ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
        ASSERT_GT(r, 0) << "connection " << i << " closed early";
        bool was_done = c.received.size() == c.payload.size();
        c.received.append(buf, std::size_t(r));
        ASSERT_LE(c.received.size(), c.payload.size());
        if (!was_done && c.received.size() == c.payload.size()) ++done;
      }
    }
  }
  ASSERT_EQ(done, cs.size()) << "not every echo completed in time";
  for (int i = 0; i < clients; ++i) ASSERT_EQ(cs[i].received, cs[i].payload) << "connection " << i;

  // SO_REUSEPORT spreads connections over both shards; each must have served some.
  EXPECT_GT(shard_stats::read(srv.stats(0).accepted), 0u);
  EXPECT_GT(shard_stats::read(srv.stats(1).accepted), 0u);
  EXPECT_EQ(srv.total(&shard_stats::accepted), std::uint64_t(clients));

  for (auto& c : cs) ::close(c.fd);
  EXPECT_TRUE(closes.wait_at_least(clients, std::chrono::seconds(10))) << "not every close reached its handler";
  EXPECT_EQ(srv.total_closed(close_reason::peer_closed), std::uint64_t(clients));
  srv.stop();
  srv.join();
  EXPECT_EQ(srv.total(&shard_stats::live_connections), 0u);
  EXPECT_EQ(srv.total(&shard_stats::queued_bytes), 0u);
  EXPECT_EQ(srv.total_closed(close_reason::shutdown), 0u);
}

// Echoes line by line: one send per message, so only gathering can make writes fewer than messages.
// Counts the loop iterations in which it sent (a shard thread writes, the test reads after join).
class line_echo final : public connection_handler {
 public:
  struct tally {
    std::uint64_t sends = 0;
    std::uint64_t iterations_with_sends = 0;
    std::uint64_t last_iteration = ~std::uint64_t{0};
  };
  explicit line_echo(tally& t) : t_(t) {}
  void on_data(connection& c, std::span<const std::byte> data) noexcept override {
    partial_.append(reinterpret_cast<const char*>(data.data()), data.size());
    std::size_t start = 0, nl;
    while ((nl = partial_.find('\n', start)) != std::string::npos) {
      c.send(std::string_view(partial_).substr(start, nl + 1 - start));
      ++t_.sends;
      const std::uint64_t it = shard_stats::read(c.owner().stats().loop_iterations);
      if (it != t_.last_iteration) {
        t_.last_iteration = it;
        ++t_.iterations_with_sends;
      }
      start = nl + 1;
    }
    partial_.erase(0, start);
  }
  void on_close(connection&, close_reason) noexcept override {}

 private:
  tally& t_;
  std::string partial_;
};

// Many small writes answered within one loop iteration leave as one send, not one per write: a
// connection is written at most once per iteration, plus once more for each write that left bytes
// behind (short, or more segments than one sendmsg takes).
TEST(reactor_echo, pipelined_small_messages_are_gathered) {
  line_echo::tally t;
  class app final : public shard_app {
   public:
    explicit app(line_echo::tally& t) : t_(t) {}
    std::unique_ptr<connection_handler> on_accept(connection&) override { return std::make_unique<line_echo>(t_); }

   private:
    line_echo::tally& t_;
  };
  server srv(test_config(1), [&t](shard&) { return std::make_unique<app>(t); });
  srv.start();
  int fd = test::connect_tcp(srv.port());
  test::set_recv_timeout(fd, 10000);
  std::string all;
  for (int i = 0; i < 2000; ++i) all += "message " + std::to_string(i) + "\n";
  ASSERT_TRUE(test::write_all(fd, all.data(), all.size()));
  std::string back(all.size(), '\0');
  ASSERT_TRUE(test::read_exact(fd, back.data(), back.size()));
  EXPECT_EQ(back, all);
  ::close(fd);
  srv.stop();
  srv.join();
  EXPECT_EQ(t.sends, 2000u);
  EXPECT_LE(srv.total(&shard_stats::send_calls), t.iterations_with_sends + srv.total(&shard_stats::partial_sends));
  // Otherwise the bound above would not tell gathering from one write per send.
  EXPECT_LT(4 * t.iterations_with_sends, t.sends) << "messages were not pipelined: test too weak";
}

TEST(reactor_echo, stop_closes_idle_connections_with_shutdown_reason) {
  server srv(test_config(2), reactor::make_tcp_echo_app);
  srv.start();
  std::vector<int> fds;
  for (int i = 0; i < 50; ++i) fds.push_back(test::connect_tcp(srv.port()));
  // Make sure every connection was accepted before stopping.
  for (int fd : fds) {
    ASSERT_TRUE(test::write_all(fd, "x", 1));
    char c;
    test::set_recv_timeout(fd, 5000);
    ASSERT_TRUE(test::read_exact(fd, &c, 1));
  }
  srv.stop();
  srv.join();
  EXPECT_EQ(srv.total_closed(close_reason::shutdown), 50u);
  for (int fd : fds) {
    char c;
    EXPECT_EQ(::recv(fd, &c, 1, 0), 0) << "the server should have sent FIN";
    ::close(fd);
  }
}

}  // namespace
}  // namespace ringcast::reactor
