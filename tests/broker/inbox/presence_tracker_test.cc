// Presence per identity on a timer wheel driven by a test clock: tabs and reloads do not flap.
#include "broker/inbox/presence_tracker.h"

#include <gtest/gtest.h>

#include <vector>

namespace ringcast::broker::inbox {
namespace {

using namespace std::chrono_literals;

struct fixture {
  reactor::timer_wheel::time_point now{};
  reactor::timer_wheel wheel{now};
  std::vector<std::pair<std::string, presence_status>> events;
  presence_tracker tracker{wheel, 300s, 10s,
                           [this](const std::string&, const std::string& id, presence_status s,
                                  presence_tracker::wall_clock::time_point) { events.emplace_back(id, s); }};
  void advance(std::chrono::milliseconds d) {
    now += d;
    wheel.advance(now);
  }
};

using P = presence_status;

TEST(presence_tracker, first_socket_online_last_socket_offline_after_grace) {
  fixture f;
  f.tracker.connected("staff", "sam");
  f.tracker.connected("staff", "sam");  // a second tab
  f.tracker.disconnected("staff", "sam");
  f.advance(60s);
  EXPECT_EQ(f.tracker.status_of("staff", "sam"), P::online) << "one tab is still open";
  f.tracker.disconnected("staff", "sam");
  f.advance(9999ms);
  EXPECT_EQ(f.tracker.status_of("staff", "sam"), P::online) << "within the grace period";
  f.advance(1ms);
  EXPECT_EQ(f.tracker.status_of("staff", "sam"), P::offline);
  EXPECT_EQ(f.events, (std::vector<std::pair<std::string, P>>{{"sam", P::online}, {"sam", P::offline}}));
  EXPECT_EQ(f.tracker.tracked(), 0u);
}

TEST(presence_tracker, a_reload_within_the_grace_period_does_not_flap) {
  fixture f;
  f.tracker.connected("customer", "c");
  f.tracker.disconnected("customer", "c");
  f.advance(2s);
  f.tracker.connected("customer", "c");
  f.advance(60s);
  EXPECT_EQ(f.events, (std::vector<std::pair<std::string, P>>{{"c", P::online}}));
}

TEST(presence_tracker, away_after_inactivity_and_back_online_with_activity) {
  fixture f;
  f.tracker.connected("staff", "sam");
  f.advance(299s);
  f.tracker.activity("staff", "sam");
  f.advance(299s);
  EXPECT_EQ(f.tracker.status_of("staff", "sam"), P::online);
  f.advance(1s);
  EXPECT_EQ(f.tracker.status_of("staff", "sam"), P::away);
  f.tracker.activity("staff", "sam");
  EXPECT_EQ(f.tracker.status_of("staff", "sam"), P::online);
  EXPECT_EQ(f.events, (std::vector<std::pair<std::string, P>>{{"sam", P::online}, {"sam", P::away}, {"sam", P::online}}));
}

TEST(presence_tracker, an_explicit_away_holds_through_activity_until_set_online) {
  fixture f;
  f.tracker.connected("staff", "sam");
  f.tracker.set("staff", "sam", P::away);
  f.tracker.set("staff", "sam", P::away);
  f.tracker.activity("staff", "sam");
  EXPECT_EQ(f.tracker.status_of("staff", "sam"), P::away);
  f.tracker.set("staff", "sam", P::online);
  EXPECT_EQ(f.events, (std::vector<std::pair<std::string, P>>{{"sam", P::online}, {"sam", P::away}, {"sam", P::online}}));
}

TEST(presence_tracker, unknown_and_disconnected_identities_are_offline_and_ignored) {
  fixture f;
  f.tracker.activity("staff", "nobody");
  f.tracker.set("staff", "nobody", P::away);
  f.tracker.disconnected("staff", "nobody");
  EXPECT_EQ(f.tracker.status_of("staff", "nobody"), P::offline);
  EXPECT_TRUE(f.events.empty());
  EXPECT_EQ(f.tracker.tracked(), 0u);
}

}  // namespace
}  // namespace ringcast::broker::inbox
