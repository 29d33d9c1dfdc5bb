#include "broker/app/metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::broker {
namespace {

std::string series(const std::string& text, const std::string& name) {
  const auto at = text.find("\nringcast_" + name + ' ');
  if (at == std::string::npos) return "missing";
  const auto start = at + 1 + std::string("ringcast_").size() + name.size() + 1;
  return text.substr(start, text.find('\n', start) - start);
}

TEST(metrics, ack_latency_histogram_sums_shards_into_cumulative_buckets) {
  metrics_registry m(2);
  m.shard(0).inbox_ack_latency.observe(400);         // <= 0.5 ms
  m.shard(1).inbox_ack_latency.observe(500);         // on the bound: still <= 0.5 ms
  m.shard(1).inbox_ack_latency.observe(501);         // <= 1 ms
  m.shard(0).inbox_ack_latency.observe(19'000);      // <= 20 ms
  m.shard(0).inbox_ack_latency.observe(60'000'000);  // past the last bound: +Inf only
  const std::string text = m.render();
  EXPECT_NE(text.find("# TYPE ringcast_inbox_ack_latency_seconds histogram\n"), std::string::npos);
  EXPECT_EQ(series(text, "inbox_ack_latency_seconds_bucket{le=\"0.0005\"}"), "2");
  EXPECT_EQ(series(text, "inbox_ack_latency_seconds_bucket{le=\"0.001\"}"), "3");
  EXPECT_EQ(series(text, "inbox_ack_latency_seconds_bucket{le=\"0.01\"}"), "3");
  EXPECT_EQ(series(text, "inbox_ack_latency_seconds_bucket{le=\"0.02\"}"), "4");
  EXPECT_EQ(series(text, "inbox_ack_latency_seconds_bucket{le=\"10\"}"), "4");
  EXPECT_EQ(series(text, "inbox_ack_latency_seconds_bucket{le=\"+Inf\"}"), "5");
  EXPECT_EQ(series(text, "inbox_ack_latency_seconds_count"), "5");
  EXPECT_EQ(series(text, "inbox_ack_latency_seconds_sum"), "60.020401");
}

TEST(metrics, empty_histogram_renders_zeros) {
  metrics_registry m(1);
  const std::string text = m.render();
  EXPECT_EQ(series(text, "inbox_ack_latency_seconds_bucket{le=\"2.5\"}"), "0");
  EXPECT_EQ(series(text, "inbox_ack_latency_seconds_sum"), "0");
  EXPECT_EQ(series(text, "inbox_ack_latency_seconds_count"), "0");
}

}  // namespace
}  // namespace ringcast::broker
