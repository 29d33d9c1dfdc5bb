#pragma once
// Counters of the broker layer, one set per shard (each written by its shard only, readable by
// any), and the Prometheus text rendering of them together with the reactor's counters.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "reactor/server.h"
#include "reactor/shard_stats.h"

namespace ringcast::broker {

struct broker_stats {
  using counter = reactor::shard_stats::counter;
  static void bump(counter& c, std::int64_t n = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + std::uint64_t(n), std::memory_order_relaxed);
  }
  counter eio_sessions{0};         // gauge
  counter eio_sessions_opened{0};
  counter eio_ping_timeouts{0};
  counter eio_upgrades{0};
  counter eio_parse_errors{0};
  counter sio_sockets{0};          // gauge
  counter sio_parse_errors{0};
  counter sio_connect_refused{0};  // CONNECT_ERROR sent (unknown namespace, ...)
  counter broadcasts{0};
  counter deliveries{0};           // frames handed to sockets by broadcasts
  counter broadcast_drops{0};      // broadcasts not sent to a shard whose mailbox overflow was full
  std::array<counter, 600> http_errors{};  // by status code
  std::array<counter, 16> ws_closes{};     // close codes 1000..1015 sent by us
};

// The counters of the shard calling (defined by the broker app that owns them).
broker_stats& stats_of(reactor::shard& s) noexcept;

class metrics_registry {
 public:
  explicit metrics_registry(unsigned shards) : shards_(shards), stats_(new broker_stats[shards]) {}
  broker_stats& shard(unsigned i) noexcept { return stats_[i]; }
  // The reactor counters to include; set before the shards start.
  void attach(const reactor::server* net) noexcept { net_ = net; }
  std::string render() const;

 private:
  unsigned shards_;
  std::unique_ptr<broker_stats[]> stats_;
  const reactor::server* net_ = nullptr;
};

}  // namespace ringcast::broker
