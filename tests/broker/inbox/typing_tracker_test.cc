// The typing state of a conversation owner, on a timer wheel driven by a test clock.
#include "broker/inbox/typing_tracker.h"

#include <gtest/gtest.h>

#include <vector>

namespace ringcast::broker::inbox {
namespace {

using namespace std::chrono_literals;

struct event {
  std::string conversation;
  std::string user_id;
  bool typing;
  friend bool operator==(const event&, const event&) = default;
};

struct fixture {
  reactor::timer_wheel::time_point now{};
  reactor::timer_wheel wheel{now};
  std::vector<event> events;
  typing_tracker tracker{wheel, 5000ms, [this](const std::string& c, const typist& who, bool typing) {
                           events.push_back({c, who.user_id, typing});
                         }};
  void advance(std::chrono::milliseconds d) {
    now += d;
    wheel.advance(now);
  }
};

const typist alice{"customer", "alice", "Alice"};
const typist sam{"staff", "sam", ""};

TEST(typing_tracker, a_start_is_shown_until_ttl_after_the_last_start) {
  fixture f;
  f.tracker.start("c1", alice);
  f.advance(4000ms);
  f.tracker.start("c1", alice);  // renewed: shown again, expiry moves
  f.advance(4999ms);
  EXPECT_EQ(f.tracker.active(), 1u);
  f.advance(1ms);
  EXPECT_EQ(f.tracker.active(), 0u);
  EXPECT_EQ(f.events, (std::vector<event>{{"c1", "alice", true}, {"c1", "alice", true}, {"c1", "alice", false}}));
  f.advance(60s);
  EXPECT_EQ(f.events.size(), 3u) << "expired once";
}

TEST(typing_tracker, stop_is_reported_once_and_only_for_a_typist) {
  fixture f;
  f.tracker.stop("c1", "customer", "alice");
  EXPECT_TRUE(f.events.empty());
  f.tracker.start("c1", alice);
  f.tracker.stop("c1", "customer", "alice");
  f.tracker.stop("c1", "customer", "alice");
  f.advance(10s);
  EXPECT_EQ(f.events, (std::vector<event>{{"c1", "alice", true}, {"c1", "alice", false}}));
}

TEST(typing_tracker, people_and_conversations_are_separate) {
  fixture f;
  f.tracker.start("c1", alice);
  f.tracker.start("c1", sam);
  f.tracker.start("c2", alice);
  EXPECT_EQ(f.tracker.typing_in("c1").size(), 2u);
  EXPECT_EQ(f.tracker.typing_in("c2").size(), 1u);
  EXPECT_TRUE(f.tracker.typing_in("c3").empty());
  f.tracker.stop("c1", "customer", "alice");
  ASSERT_EQ(f.tracker.typing_in("c1").size(), 1u);
  EXPECT_EQ(f.tracker.typing_in("c1")[0].user_id, "sam");
  EXPECT_EQ(f.tracker.typing_in("c2").size(), 1u);
  f.advance(5s);
  EXPECT_EQ(f.tracker.active(), 0u);
}

}  // namespace
}  // namespace ringcast::broker::inbox
