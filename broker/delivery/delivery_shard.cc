#include "broker/delivery/delivery_shard.h"

#include "broker/inbox/payloads.h"
#include "broker/inbox/room_names.h"
#include "broker/socketio/sio_server.h"
#include "reactor/log.h"

namespace ringcast::broker::delivery {

boost::json::object delivery_status_json(const persistence::delivery_change& c) {
  boost::json::object o{{"conversationId", c.conversation},
                        {"seq", c.seq},
                        {"messageId", c.message_id},
                        {"status", c.status},
                        {"channel", c.channel},
                        {"attempts", c.attempts},
                        {"at", inbox::iso_time_now()}};
  if (c.provider) o["provider"] = *c.provider;
  if (c.provider_message_id) o["providerMessageId"] = *c.provider_message_id;
  if (c.status == "failed") o["reason"] = c.error.value_or("unknown");
  return o;
}

delivery_shard::delivery_shard(reactor::shard& shard, inbox::inbox_shard& inbox, delivery_service& service)
    : shard_(shard), inbox_(inbox), service_(service) {
  service_.attach(shard_, this);
  inbox_.set_delivery_hook([this](std::int64_t delivery, const std::string& conversation) {
    service_.submit(delivery, conversation);
  });
}

delivery_shard::~delivery_shard() {
  inbox_.set_delivery_hook({});
  service_.attach(shard_, nullptr);
}

void delivery_shard::changed(const persistence::delivery_change& c) {
  auto msg = inbox::event_message(inbox_.sio(), "message:status", delivery_status_json(c));
  msg->rooms = {std::string(inbox::staff_feed_room), inbox::conversation_room(c.conversation)};
  inbox_.sio().rooms().broadcast(std::move(msg));
}

bool delivery_shard::apply(std::vector<provider_status_update> updates, std::function<void(int)> done) {
  auto* pg = inbox_.database();
  if (!pg || !pg->ready()) return false;
  if (updates.empty()) {
    if (done) done(0);
    return true;
  }
  persistence::pg_unit unit;
  unit.transaction = true;
  for (const auto& u : updates) {
    persistence::query q = status_query(u);
    unit.statements.push_back({q.sql, std::move(q.params.values)});
  }
  unit.done = [this, done = std::move(done)](persistence::pg_outcome& o) {
    if (o.state != persistence::pg_outcome::status::ok) {
      reactor::log(reactor::log_level::warn, "applying provider status callbacks failed: %s", o.error.c_str());
      if (done) done(-1);
      return;
    }
    int moved = 0;
    for (const auto& r : o.results) {
      auto rows = persistence::parse_delivery_changes(r.get());
      if (!rows) continue;
      for (const auto& c : *rows) {
        ++moved;
        changed(c);
      }
    }
    if (done) done(moved);
  };
  pg->submit(std::move(unit));
  return true;
}

}  // namespace ringcast::broker::delivery
