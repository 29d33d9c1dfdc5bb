#pragma once
// Outbound delivery for the whole process: the queue of deliveries and the delivery threads,
// shared by every shard. A delivery thread takes a due delivery, claims its row in PostgreSQL
// (pending -> sending, with its own blocking connection), calls the provider, and records the
// outcome: sent (with the provider's message id), pending again after a backoff (and queued for
// that time), or failed. Sent and failed go to the conversation's owner shard, which tells the
// staff sockets (delivery_shard). Nothing here runs on an I/O shard.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "broker/delivery/delivery_queue.h"
#include "broker/delivery/delivery_settings.h"
#include "broker/delivery/providers.h"
#include "persistence/deliveries.h"
#include "reactor/mailbox.h"
#include "reactor/per_shard.h"

namespace ringcast::broker::delivery {

class delivery_shard;

// Deliveries by provider and outcome, for /metrics.
enum class provider_kind : std::uint8_t { twilio, whatsapp, instagram, smtp, none, count };
enum class attempt_kind : std::uint8_t { sent, retried, failed, count };
provider_kind provider_kind_of(std::string_view name) noexcept;
const char* to_string(provider_kind p) noexcept;
const char* to_string(attempt_kind a) noexcept;

struct delivery_figures {
  std::atomic<std::uint64_t> attempts{0};   // provider calls
  std::atomic<std::uint64_t> in_flight{0};  // gauge: provider calls now
  std::atomic<std::uint64_t> not_stored{0}; // outcomes that could not be recorded
  std::array<std::array<std::atomic<std::uint64_t>, std::size_t(attempt_kind::count)>,
             std::size_t(provider_kind::count)>
      outcomes{};
};

class delivery_service {
 public:
  using post_fn = std::function<void(unsigned shard, reactor::shard_task)>;
  using clock = delivery_queue::clock;

  delivery_service(delivery_settings settings, std::string database_url, unsigned shards);
  ~delivery_service();
  delivery_service(const delivery_service&) = delete;
  delivery_service& operator=(const delivery_service&) = delete;

  // Deliveries a restart found pending (read before the shards start); queued by start().
  void set_open(std::vector<persistence::open_delivery> open) { open_ = std::move(open); }
  // Starts the threads; `post` must stay valid until stop() returns.
  void start(post_fn post);
  // Closes the queue (what waits stays pending in PostgreSQL) and joins the threads, each after
  // recording its current attempt. Idempotent.
  void stop();

  // Any thread: the committed delivery `id` (pending) goes out at `due`. False: the queue is full
  // or stopped; the row stays pending and the next start takes it up.
  bool submit(std::int64_t id, std::string conversation, clock::time_point due = clock::time_point::min());

  // Each shard's part registers itself (on its own thread, before the shard runs).
  void attach(const reactor::shard& s, delivery_shard* part) { parts_.set(s, part); }

  const delivery_settings& settings() const noexcept { return settings_; }
  const delivery_figures& figures() const noexcept { return figures_; }
  std::size_t queue_depth() const { return queue_.depth(); }

 private:
  void run();
  void work_on(const delivery_queue::entry& e);
  // Stores an attempt's outcome (a few tries: the database may blip); the change to broadcast.
  persistence::delivery_change record(const persistence::claimed_delivery& d, const persistence::attempt_outcome& o);
  void notify(persistence::delivery_change change);

  delivery_settings settings_;
  std::string database_url_;
  unsigned shards_;
  delivery_queue queue_;
  delivery_figures figures_;
  reactor::per_shard<delivery_shard> parts_;
  std::vector<persistence::open_delivery> open_;
  post_fn post_;
  std::vector<std::thread> threads_;
};

}  // namespace ringcast::broker::delivery
