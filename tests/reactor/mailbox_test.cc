// Cross-shard mailboxes between real shard threads, woken through IORING_OP_MSG_RING.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "reactor/server.h"
#include "tests/support/wait.h"

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
  test::waitable_count all_received;  // signalled once, by the last message
};

class silent_app final : public shard_app {
 public:
  std::unique_ptr<connection_handler> on_accept(connection&) override { return nullptr; }
};

// Posts the next chunk of numbered messages to shard 0, then yields the loop so the receiver runs
// and the small rings are found full again and again. A refused message (the receiver is that far
// behind) is posted again, with everything after it, on a later iteration.
void produce(shard& s, tally& t, std::uint64_t from) {
  const unsigned me = s.id();
  std::uint64_t to = std::min(from + chunk, per_producer);
  for (std::uint64_t seq = from; seq < to; ++seq) {
    const bool queued = s.post(0, [&t, me, seq](shard&) {
      if (t.next[me] != seq) ++t.out_of_order;
      t.next[me] = seq + 1;
      if (t.received.fetch_add(1, std::memory_order_relaxed) + 1 == per_producer * (shards - 1)) t.all_received.add();
    });
    if (!queued) {
      to = seq;
      break;
    }
  }
  if (to < per_producer) s.post_guaranteed(me, [&t, to](shard& sh) { produce(sh, t, to); });
}

TEST(reactor_mailbox, producers_times_a_million_each_exactly_once_in_order) {
  tally t;
  server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.shards = shards;
  cfg.mailbox_capacity = 256;  // small, so senders keep messages while rings are full
  cfg.shard.mailbox_overflow_limit = 20'000;  // and refusals happen too
  server srv(cfg, [&t](shard& s) {
    if (s.id() != 0) s.post_guaranteed(s.id(), [&t](shard& sh) { produce(sh, t, 0); });
    return std::make_unique<silent_app>();
  });
  srv.start();
  const std::uint64_t expected = per_producer * (shards - 1);
  EXPECT_TRUE(t.all_received.wait_at_least(1, std::chrono::seconds(120)));
  srv.stop();
  srv.join();

  EXPECT_EQ(t.received.load(), expected);
  EXPECT_EQ(t.out_of_order, 0u);
  for (unsigned p = 1; p < shards; ++p) EXPECT_EQ(t.next[p], per_producer) << "producer " << p;
  EXPECT_GT(srv.total(&shard_stats::mailbox_deferred), 0u) << "rings were never full: test too weak";
  EXPECT_EQ(srv.total(&shard_stats::mailbox_received), expected);
  EXPECT_EQ(srv.total(&shard_stats::mailbox_sent), expected + 0u) << "refused messages are not sent";
}

// A shard with nothing to do sleeps up to half a second; a message from another shard must wake
// it at once (MSG_RING), so every hop below is far quicker than the sleep.
TEST(reactor_mailbox, sleeping_shard_is_woken_by_a_message) {
  using clock = std::chrono::steady_clock;
  constexpr int rounds = 30;
  test::waitable_count delivered;
  std::atomic<std::int64_t> worst_us{0};
  server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.shards = 2;
  // Shard 1 sends one message every 20 ms from a timer; shard 0 has no timers and sleeps.
  struct ticker {
    shard* s = nullptr;
    int n = 0;
    test::waitable_count* delivered;
    std::atomic<std::int64_t>* worst_us;
    void fire() {
      if (n++ >= rounds) return;
      auto sent = clock::now();
      s->post_guaranteed(0, [d = delivered, w = worst_us, sent](shard&) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - sent).count();
        if (us > w->load()) w->store(us);
        d->add();
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
  EXPECT_TRUE(delivered.wait_at_least(rounds, std::chrono::seconds(30)));
  srv.stop();
  srv.join();
  EXPECT_EQ(delivered.value(), std::uint64_t(rounds));
  EXPECT_LT(worst_us.load(), 100'000) << "a sleeping shard was not woken by the message";
}

// Threads that are not shards (the AI workers) hand results to a shard with post_from_thread:
// every task runs once, on that shard's thread, in each thread's order, and a sleeping shard is
// woken by it (each round trip below is far quicker than the shard's half-second sleep).
TEST(reactor_mailbox, posts_from_other_threads_run_once_on_the_shard_in_order_and_wake_it) {
  using clock = std::chrono::steady_clock;
  constexpr unsigned threads = 3;
  constexpr std::uint64_t per_thread = 100'000;
  constexpr int paced = 30;
  server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.shards = 2;
  std::vector<std::uint64_t> next(threads, 0);  // touched by shard 1's thread only
  std::atomic<std::uint64_t> out_of_order{0}, wrong_shard{0}, worst_us{0};
  test::waitable_count ran;
  server srv(cfg, [](shard&) { return std::make_unique<silent_app>(); });
  srv.start();
  std::vector<std::thread> producers;
  for (unsigned p = 0; p < threads; ++p)
    producers.emplace_back([&, p] {
      for (std::uint64_t seq = 0; seq < per_thread; ++seq)
        srv.post_from_thread(1, [&, p, seq](shard& s) {
          if (s.id() != 1 || shard::current() != &s) wrong_shard.fetch_add(1);
          if (next[p] != seq) out_of_order.fetch_add(1);
          next[p] = seq + 1;
          ran.add();
        });
    });
  for (auto& t : producers) t.join();
  EXPECT_TRUE(ran.wait_at_least(threads * per_thread, std::chrono::seconds(60)));
  // Paced: one post at a time into an idle shard, each waited for before the next.
  for (int i = 0; i < paced; ++i) {
    const auto before = ran.value();
    const auto sent = clock::now();
    srv.post_from_thread(1, [&, sent](shard&) {
      const auto us = std::uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - sent).count());
      if (us > worst_us.load()) worst_us.store(us);
      ran.add();
    });
    ASSERT_TRUE(ran.wait_at_least(before + 1, std::chrono::seconds(10)));
  }
  srv.stop();
  srv.join();
  EXPECT_EQ(ran.value(), threads * per_thread + paced);
  EXPECT_EQ(out_of_order.load(), 0u);
  EXPECT_EQ(wrong_shard.load(), 0u);
  EXPECT_LT(worst_us.load(), 100'000u) << "a sleeping shard was not woken by a post from another thread";
}

// A receiver that does not drain its ring: its senders keep at most mailbox_overflow_limit
// messages for it, refuse the rest (post returns false, counted), and still keep every guaranteed
// message. Once it drains, exactly what was accepted arrives, in order.
TEST(reactor_mailbox, overflow_past_its_limit_refuses_ordinary_posts_and_keeps_guaranteed_ones) {
  constexpr std::size_t ring = 8;
  constexpr std::size_t limit = 16;
  constexpr std::uint64_t ordinary = 100;
  constexpr std::uint64_t guaranteed = 5;
  struct state {
    test::waitable_count receiver_blocked;
    test::waitable_count producer_done;
    test::waitable_count received;
    std::vector<std::uint64_t> order;  // shard 0 only
    std::uint64_t refused_by_post = 0;  // shard 1 only, read after producer_done
    bool receiver_timed_out = false;
  } st;
  server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.shards = 2;
  cfg.mailbox_capacity = ring;
  cfg.shard.mailbox_overflow_limit = limit;
  server srv(cfg, [&st](shard& s) {
    if (s.id() == 0) {
      // Holds shard 0's loop until the producer is done, so nothing drains its ring meanwhile.
      s.post_guaranteed(0, [&st](shard&) {
        st.receiver_blocked.add();
        st.receiver_timed_out = !st.producer_done.wait_at_least(1, std::chrono::seconds(30));
      });
    } else {
      s.post_guaranteed(1, [&st](shard& sh) {
        if (!st.receiver_blocked.wait_at_least(1, std::chrono::seconds(30))) return;
        auto deliver = [&st](std::uint64_t seq) {
          return [&st, seq](shard&) {
            st.order.push_back(seq);
            st.received.add();
          };
        };
        for (std::uint64_t seq = 0; seq < ordinary; ++seq)
          if (!sh.post(0, deliver(seq))) ++st.refused_by_post;
        for (std::uint64_t seq = ordinary; seq < ordinary + guaranteed; ++seq) sh.post_guaranteed(0, deliver(seq));
        st.producer_done.add();
      });
    }
    return std::make_unique<silent_app>();
  });
  srv.start();
  const std::uint64_t accepted = ring + limit + guaranteed;
  ASSERT_TRUE(st.received.wait_at_least(accepted, std::chrono::seconds(30)));
  srv.stop();
  srv.join();
  EXPECT_FALSE(st.receiver_timed_out);
  EXPECT_EQ(st.refused_by_post, ordinary - ring - limit);
  EXPECT_EQ(srv.stats(1).mailbox_refused.load(), ordinary - ring - limit);
  EXPECT_EQ(srv.stats(1).mailbox_sent.load(), accepted + 0u);
  ASSERT_EQ(st.order.size(), accepted);
  for (std::uint64_t i = 0; i < ring + limit; ++i) EXPECT_EQ(st.order[i], i);
  for (std::uint64_t i = 0; i < guaranteed; ++i) EXPECT_EQ(st.order[ring + limit + i], ordinary + i);
}

}  // namespace
}  // namespace ringcast::reactor
