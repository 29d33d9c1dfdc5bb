// A connection handed to another shard keeps its bytes in order: what was read but not consumed,
// what arrives while the socket moves, and everything after.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reactor/server.h"
#include "tests/support/tcp.h"

namespace ringcast::reactor {
namespace {

// Echoes every byte prefixed by nothing, but first answers "@<shard id>\n" on arrival.
class tagged_echo final : public connection_handler {
 public:
  explicit tagged_echo(connection& c) { c.send("@" + std::to_string(c.owner().id()) + "\n"); }
  void on_data(connection& c, std::span<const std::byte> d) noexcept override { c.send(d); }
  void on_close(connection&, close_reason) noexcept override {}
};

// Reads until the first '\n', which names the target shard, then moves there with the rest.
class router final : public connection_handler {
 public:
  void on_data(connection& c, std::span<const std::byte> d) noexcept override {
    line_.append(reinterpret_cast<const char*>(d.data()), d.size());
    auto nl = line_.find('\n');
    if (nl == std::string::npos) return;
    unsigned target = unsigned(std::stoul(line_.substr(0, nl)));
    c.hand_off(target, line_.substr(nl + 1), [](connection& moved) -> std::unique_ptr<connection_handler> {
      return std::make_unique<tagged_echo>(moved);
    });
  }
  void on_close(connection&, close_reason) noexcept override {}

 private:
  std::string line_;
};

class router_app final : public shard_app {
 public:
  std::unique_ptr<connection_handler> on_accept(connection&) override { return std::make_unique<router>(); }
};

TEST(reactor_handoff, connections_move_to_the_named_shard_with_their_bytes_in_order) {
  server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.shards = 3;
  server srv(cfg, [](shard&) { return std::make_unique<router_app>(); });
  srv.start();

  constexpr int clients = 90;
  std::vector<int> fds;
  for (int i = 0; i < clients; ++i) {
    int fd = test::connect_tcp(srv.port());
    test::set_recv_timeout(fd, 10000);
    // The route line and the first payload in one write: the payload must travel with the socket.
    std::string first = std::to_string(i % 3) + "\nbefore-" + std::to_string(i) + ";";
    ASSERT_TRUE(test::write_all(fd, first.data(), first.size()));
    fds.push_back(fd);
  }
  for (int i = 0; i < clients; ++i) {
    std::string after = "after-" + std::to_string(i) + ";";
    ASSERT_TRUE(test::write_all(fds[i], after.data(), after.size()));
  }
  for (int i = 0; i < clients; ++i) {
    std::string expect = "@" + std::to_string(i % 3) + "\nbefore-" + std::to_string(i) + ";after-" +
                         std::to_string(i) + ";";
    std::string got(expect.size(), '\0');
    ASSERT_TRUE(test::read_exact(fds[i], got.data(), got.size())) << "client " << i;
    EXPECT_EQ(got, expect);
    ::close(fds[i]);
  }
  // Only connections that landed on another shard than the one they named had to move.
  EXPECT_GT(srv.total(&shard_stats::handed_off), 0u);
  EXPECT_LT(srv.total(&shard_stats::handed_off), std::uint64_t(clients));
  srv.stop();
  srv.join();
}

}  // namespace
}  // namespace ringcast::reactor
