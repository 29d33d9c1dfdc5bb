// A peer that stops reading must not grow server memory past the send-queue cap: it is closed as a
// slow consumer while other connections keep flowing.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "reactor/tcp_echo_app.h"
#include "reactor/server.h"
#include "tests/support/tcp.h"
#include "tests/support/wait.h"

namespace ringcast::reactor {
namespace {

TEST(reactor_backpressure, non_reading_peer_is_closed_as_slow_consumer_others_flow) {
  constexpr std::size_t cap = 256 * 1024;
  server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.shards = 2;
  cfg.shard.send_queue_limit = cap;
  server srv(cfg, reactor::make_tcp_echo_app);
  srv.start();

  // Well-behaved clients do echo round trips the whole time.
  std::atomic<bool> stop{false};
  test::waitable_count round_trips;
  std::atomic<int> failures{0};
  std::vector<std::thread> good;
  for (int i = 0; i < 8; ++i) {
    good.emplace_back([&, i] {
      int fd = test::connect_tcp(srv.port());
      test::set_recv_timeout(fd, 5000);
      std::string msg = "client " + std::to_string(i) + " says hello";
      std::string back(msg.size(), '\0');
      while (!stop.load()) {
        if (!test::write_all(fd, msg.data(), msg.size()) || !test::read_exact(fd, back.data(), back.size()) ||
            back != msg) {
          failures.fetch_add(1);
          break;
        }
        round_trips.add();
      }
      ::close(fd);
    });
  }

  EXPECT_TRUE(round_trips.wait_at_least(200, std::chrono::seconds(10)));
  const std::uint64_t trips_before = round_trips.value();

  // The slow client writes as fast as it can and never reads.
  int slow = test::connect_tcp(srv.port(), true);
  int small = 4096;
  ::setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  std::string chunk(64 * 1024, 's');
  bool closed_by_server = false;
  std::uint64_t pushed = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{slow, POLLOUT, 0};
    ::poll(&p, 1, 100);
    if (p.revents & (POLLERR | POLLHUP)) {
      closed_by_server = true;
      break;
    }
    ssize_t n = ::send(slow, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      closed_by_server = true;
      break;
    }
    if (n > 0) pushed += std::uint64_t(n);
  }
  const std::uint64_t trips_when_closed = round_trips.value();
  round_trips.wait_at_least(trips_when_closed + 200, std::chrono::seconds(10));
  stop = true;
  for (auto& t : good) t.join();
  ::close(slow);

  EXPECT_TRUE(closed_by_server) << "pushed " << pushed << " bytes without being cut off";
  EXPECT_EQ(srv.total_closed(close_reason::slow_consumer), 1u);
  // The cap is checked before queueing, so no queue ever held more. Each shard keeps its own
  // largest queue: the largest of them, not their sum (the other shard's echo clients add theirs).
  std::uint64_t largest_queue = 0;
  for (unsigned i = 0; i < srv.shard_count(); ++i)
    largest_queue = std::max(largest_queue, shard_stats::read(srv.stats(i).max_connection_queue));
  EXPECT_LE(largest_queue, cap);
  EXPECT_GT(largest_queue, cap / 2) << "the queue never filled: test too weak";
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(trips_when_closed, trips_before);
  EXPECT_GE(round_trips.value(), trips_when_closed + 200) << "other connections stopped flowing";
  EXPECT_GT(pushed, cap) << "the slow client was cut off before it could have filled the queue";
  srv.stop();
  srv.join();
  EXPECT_EQ(srv.total(&shard_stats::queued_bytes), 0u);
}

}  // namespace
}  // namespace ringcast::reactor
