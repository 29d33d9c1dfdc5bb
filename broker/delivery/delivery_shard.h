#pragma once
// Outbound delivery's part of one shard:
// - as a conversation's owner, it hands each committed delivery (a staff or AI message in a
//   channel conversation, inbox_shard's hook) to the delivery threads, and tells the staff
//   sockets what became of it: `message:status` to the staff feed and the conversation's room;
// - on any shard, it applies the providers' status callbacks (delivered, read, failed) parsed by
//   status_callbacks.h to the rows, and tells the staff sockets the same way.
// Callbacks capture `this` without a guard: the shard destroys its apps only after its loop has
// ended, so no database answer or thread post runs after this object is gone.
#include <functional>
#include <vector>

#include "broker/delivery/delivery_service.h"
#include "broker/delivery/status_callbacks.h"
#include "broker/inbox/inbox_shard.h"
#include "persistence/deliveries.h"
#include "reactor/shard.h"

namespace ringcast::broker::delivery {

class delivery_shard {
 public:
  delivery_shard(reactor::shard& shard, inbox::inbox_shard& inbox, delivery_service& service);
  ~delivery_shard();
  delivery_shard(const delivery_shard&) = delete;
  delivery_shard& operator=(const delivery_shard&) = delete;

  // A delivery's row changed (from the delivery threads, or a status callback): the staff hear.
  void changed(const persistence::delivery_change& c);

  // Applies status updates in one transaction and broadcasts the rows that moved. False: this
  // shard's database connection is down (nothing applied; answer the provider 503 so it retries).
  // `done` (optional) runs with how many rows moved, or -1 when the transaction failed.
  bool apply(std::vector<provider_status_update> updates, std::function<void(int moved)> done = {});

 private:
  reactor::shard& shard_;
  inbox::inbox_shard& inbox_;
  delivery_service& service_;
};

// The `message:status` payload of a delivery change (docs/events.md).
boost::json::object delivery_status_json(const persistence::delivery_change& c);

}  // namespace ringcast::broker::delivery
