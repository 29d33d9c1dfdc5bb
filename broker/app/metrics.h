#pragma once
// The broker counters of every shard and their Prometheus text rendering, together with the
// reactor's counters.
#include <memory>
#include <string>

#include "broker/ai/ai_service.h"
#include "broker/delivery/delivery_service.h"
#include "broker/stats/broker_stats.h"
#include "persistence/batch_writer.h"
#include "reactor/server.h"

namespace ringcast::broker {

class metrics_registry {
 public:
  explicit metrics_registry(unsigned shards)
      : shards_(shards), stats_(new broker_stats[shards]), writers_(new persistence::writer_stats[shards]) {}
  broker_stats& shard(unsigned i) noexcept { return stats_[i]; }
  // Shard i's group-commit writer figures (zero without a database).
  persistence::writer_stats& writer(unsigned i) noexcept { return writers_[i]; }
  // The reactor counters to include; set before the shards start.
  void attach(const reactor::server* net) noexcept { net_ = net; }
  // The AI service whose queue and workers to show (none: not shown).
  void attach(const ai::ai_service* ai) noexcept { ai_ = ai; }
  // The outbound delivery service to show (none: not shown).
  void attach(const delivery::delivery_service* d) noexcept { delivery_ = d; }
  std::string render() const;

 private:
  unsigned shards_;
  std::unique_ptr<broker_stats[]> stats_;
  std::unique_ptr<persistence::writer_stats[]> writers_;
  const reactor::server* net_ = nullptr;
  const ai::ai_service* ai_ = nullptr;
  const delivery::delivery_service* delivery_ = nullptr;
};

}  // namespace ringcast::broker
