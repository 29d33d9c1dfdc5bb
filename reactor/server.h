#pragma once
// Starts one shard per core, each with its own SO_REUSEPORT listener, and stops them.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "reactor/mailbox.h"
#include "reactor/shard.h"
#include "reactor/shard_stats.h"

namespace ringcast::reactor {

struct server_config {
  std::string address = "0.0.0.0";
  std::uint16_t port = 3000;   // 0 picks a free port, shared by every shard
  unsigned shards = 0;         // 0: one per online core
  bool pin_threads = true;     // shard i runs on core i % cores
  int backlog = 4096;
  std::size_t mailbox_capacity = 4096;  // messages per ordered pair of shards
  shard_config shard;
};

using app_factory = std::function<std::unique_ptr<shard_app>(shard&)>;

class server {
 public:
  // Binds every listener; throws std::runtime_error if it cannot.
  server(server_config cfg, app_factory factory);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Spawns the shard threads; returns once every shard runs its loop.
  void start();
  // Thread-safe and idempotent: every shard stops accepting, closes its connections and exits.
  void stop() noexcept;
  void join();

  std::uint16_t port() const noexcept { return port_; }
  unsigned shard_count() const noexcept { return unsigned(stats_.size()); }
  const shard_stats& stats(unsigned shard) const noexcept { return *stats_[shard]; }
  // Sum of one counter over all shards.
  std::uint64_t total(shard_stats::counter shard_stats::*field) const noexcept;
  std::uint64_t total_closed(close_reason why) const noexcept;
  // Thread-safe, for threads that are not shards (see mailbox_mesh::post_from_thread). Valid
  // from construction until this server is destroyed; stop such threads before that.
  void post_from_thread(unsigned shard, shard_task t) { mesh_->post_from_thread(shard, std::move(t)); }
  // The io_uring set-up mode shard 0 got (for the start-up log).
  std::string ring_mode() const { return ring_mode_; }

 private:
  server_config cfg_;
  app_factory factory_;
  std::uint16_t port_ = 0;
  std::vector<int> listen_fds_;
  std::vector<std::unique_ptr<shard_stats>> stats_;
  std::unique_ptr<mailbox_mesh> mesh_;
  std::vector<std::thread> threads_;
  std::string ring_mode_;
};

}  // namespace ringcast::reactor
