// When a delivery is tried again: 429, 5xx and no answer are retried with a doubling backoff up
// to the attempt budget; any other 4xx (and an SMTP 5xx) is final at once.
#include <gtest/gtest.h>

#include "broker/delivery/delivery_policy.h"

namespace ringcast::broker::delivery {
namespace {

using namespace std::chrono_literals;

TEST(delivery_policy, http_statuses) {
  EXPECT_EQ(verdict_of_http(200), send_verdict::sent);
  EXPECT_EQ(verdict_of_http(201), send_verdict::sent);
  EXPECT_EQ(verdict_of_http(0), send_verdict::retryable);  // no answer at all
  EXPECT_EQ(verdict_of_http(429), send_verdict::retryable);
  EXPECT_EQ(verdict_of_http(500), send_verdict::retryable);
  EXPECT_EQ(verdict_of_http(503), send_verdict::retryable);
  EXPECT_EQ(verdict_of_http(400), send_verdict::final);
  EXPECT_EQ(verdict_of_http(401), send_verdict::final);
  EXPECT_EQ(verdict_of_http(404), send_verdict::final);
  EXPECT_EQ(verdict_of_http(408), send_verdict::final);
  EXPECT_EQ(verdict_of_http(302), send_verdict::final);
}

TEST(delivery_policy, smtp_reply_codes) {
  EXPECT_EQ(verdict_of_smtp(0), send_verdict::retryable);
  EXPECT_EQ(verdict_of_smtp(421), send_verdict::retryable);
  EXPECT_EQ(verdict_of_smtp(451), send_verdict::retryable);
  EXPECT_EQ(verdict_of_smtp(550), send_verdict::final);
  EXPECT_EQ(verdict_of_smtp(554), send_verdict::final);
}

TEST(delivery_policy, backoff_doubles_up_to_the_cap_within_the_budget) {
  delivery_policy p{5, 100ms, 300ms};
  EXPECT_EQ(p.retry_after(send_verdict::retryable, 1), 100ms);
  EXPECT_EQ(p.retry_after(send_verdict::retryable, 2), 200ms);
  EXPECT_EQ(p.retry_after(send_verdict::retryable, 3), 300ms);  // capped
  EXPECT_EQ(p.retry_after(send_verdict::retryable, 4), 300ms);
  EXPECT_EQ(p.retry_after(send_verdict::retryable, 5), 0ms);    // the budget is spent
  EXPECT_EQ(p.retry_after(send_verdict::retryable, 50), 0ms);
}

TEST(delivery_policy, final_and_sent_are_never_retried) {
  delivery_policy p;
  EXPECT_EQ(p.retry_after(send_verdict::final, 1), 0ms);
  EXPECT_EQ(p.retry_after(send_verdict::sent, 1), 0ms);
}

TEST(delivery_policy, long_budgets_do_not_overflow) {
  delivery_policy p{100, 1000ms, 300'000ms};
  EXPECT_EQ(p.retry_after(send_verdict::retryable, 99), 300'000ms);
}

}  // namespace
}  // namespace ringcast::broker::delivery
