// Cross-shard mailboxes between real shard threads, woken through IORING_OP_MSG_RING.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "reactor/server.h"

namespace ringcast::reactor {
namespace {

constexpr unsigned shards = 4;
constexpr std::uint64_t per_producer = 1'000'000;
constexpr std::uint64_t chunk = 5'000;

// Written only by shard 0's thread while the test runs; read after the server has stopped.
struct tally {
  std::vector<std::uint64_t> next = std::vector<std::uint64_t>(shards, 0);
  std::uint64_t out_of_order = 0;
  std::atomic<std::uint64_t> received{0};
};

class silent_app final : public shard_app {
 public:
  std::unique_ptr<connection_handler> on_accept(connection&) override { return nullptr; }
};

// Posts the next chunk of numbered messages to shard 0, then yields the loop so the receiver runs
// and the small rings are found full again and again.
void produce(shard& s, tally& t, std::uint64_t from) {
  const unsigned me = s.id();
  std::uint64_t to = std::min(from + chunk, per_producer);
  for (std::uint64_t seq = from; seq < to; ++seq) {
    s.post(0, [&t, me, seq](shard&) {
      if (t.next[me] != seq) ++t.out_of_order;
      t.next[me] = seq + 1;
      t.received.fetch_add(1, std::memory_order_relaxed);
    });
  }
  if (to < per_producer) s.post(me, [&t, to](shard& sh) { produce(sh, t, to); });
}

TEST(reactor_mailbox, producers_times_a_million_each_exactly_once_in_order) {
  tally t;
  server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.shards = shards;
  cfg.mailbox_capacity = 256;  // small, so senders keep messages while rings are full
  server srv(cfg, [&t](shard& s) {
    if (s.id() != 0) s.post(s.id(), [&t](shard& sh) { produce(sh, t, 0); });
    return std::make_unique<silent_app>();
  });
  srv.start();
  const std::uint64_t expected = per_producer * (shards - 1);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (t.received.load() < expected && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  srv.stop();
  srv.join();

  EXPECT_EQ(t.received.load(), expected);
  EXPECT_EQ(t.out_of_order, 0u);
  for (unsigned p = 1; p < shards; ++p) EXPECT_EQ(t.next[p], per_producer) << "producer " << p;
  EXPECT_GT(srv.total(&shard_stats::mailbox_deferred), 0u) << "rings were never full: test too weak";
  EXPECT_EQ(srv.total(&shard_stats::mailbox_received), expected);
}

// A shard with nothing to do sleeps up to half a second; a message from another shard must wake
// it at once (MSG_RING), so every hop below is far quicker than the sleep.
TEST(reactor_mailbox, sleeping_shard_is_woken_by_a_message) {
  using clock = std::chrono::steady_clock;
  constexpr int rounds = 30;
  std::atomic<int> delivered{0};
  std::atomic<std::int64_t> worst_us{0};
  server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.shards = 2;
  // Shard 1 sends one message every 20 ms from a timer; shard 0 has no timers and sleeps.
  struct ticker {
    shard* s = nullptr;
    int n = 0;
    std::atomic<int>* delivered;
    std::atomic<std::int64_t>* worst_us;
    void fire() {
      if (n++ >= rounds) return;
      auto sent = clock::now();
      s->post(0, [d = delivered, w = worst_us, sent](shard&) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - sent).count();
        if (us > w->load()) w->store(us);
        d->fetch_add(1);
      });
      s->timers().schedule_after(std::chrono::milliseconds(20), [this] { fire(); });
    }
  } tick{nullptr, 0, &delivered, &worst_us};
  server srv(cfg, [&](shard& s) {
    if (s.id() == 1) {
      tick.s = &s;
      s.timers().schedule_after(std::chrono::milliseconds(20), [&tick] { tick.fire(); });
    }
    return std::make_unique<silent_app>();
  });
  srv.start();
  auto deadline = clock::now() + std::chrono::seconds(30);
  while (delivered.load() < rounds && clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  srv.stop();
  srv.join();
  EXPECT_EQ(delivered.load(), rounds);
  EXPECT_LT(worst_us.load(), 100'000) << "a sleeping shard was not woken by the message";
}

}  // namespace
}  // namespace ringcast::reactor
