#pragma once
// The broker on one shard: the HTTP front (routes), Engine.IO servers, Socket.IO and the chosen
// application profile. One instance per shard; every piece of it is touched by that shard only.
#include <chrono>
#include <memory>
#include <string>

#include "broker/ai/ai_service.h"
#include "broker/ai/ai_shard.h"
#include "broker/app/metrics.h"
#include "broker/channels/channel_config.h"
#include "broker/channels/webhook_router.h"
#include "broker/delivery/delivery_service.h"
#include "broker/delivery/delivery_shard.h"
#include "broker/delivery/status_routes.h"
#include "broker/engineio/eio_server.h"
#include "broker/http/http_connection.h"
#include "broker/inbox/inbox_namespace.h"
#include "broker/rest/rest_api.h"
#include "broker/socketio/sio_server.h"
#include "persistence/batch_writer.h"
#include "persistence/pg_connection.h"
#include "protocol/http_parser.h"
#include "reactor/shard.h"

namespace ringcast::broker {

class broker_app;
using broker_apps = reactor::per_shard<broker_app>;

// How the shards' broker parts find each other: one slot per shard in each directory, filled by
// each shard's broker_app as it is made. Shared by every shard.
struct broker_wiring {
  explicit broker_wiring(unsigned shards) : http(shards), rooms(shards), sio(shards), apps(shards), inbox(shards) {}
  http_services http;
  room_registries rooms;
  sio_servers sio;
  broker_apps apps;
  inbox::inbox_shards inbox;
};

struct app_config {
  std::string profile = "inbox";  // inbox | conformance | bench
  eio_config eio;
  sio_config sio;
  protocol::http_limits http;
  // Shared by all shards: /metrics shows the whole server, and shards reach each other through
  // the wiring. Both are made by whoever starts the shards.
  std::shared_ptr<metrics_registry> metrics;
  std::shared_ptr<broker_wiring> wiring;
  // Empty: no database (persisting events answer "unavailable"). Each shard opens one connection.
  std::string database_url;
  persistence::batch_writer::options writer;
  inbox::inbox_config inbox;
  // The channel providers' secrets: the webhooks under /webhooks/ (inbox profile).
  channels::channel_config channels;
  rest::rest_config rest;  // the inbox's REST API
  // The inbox's AI auto-responder (null: off). Started and stopped by whoever starts the shards.
  std::shared_ptr<ai::ai_service> ai;
  // Outbound delivery to channel customers (null: off). Started and stopped like the AI.
  std::shared_ptr<delivery::delivery_service> delivery;
  // On stop, how long a shard keeps running to commit the writes it accepted.
  std::chrono::milliseconds db_drain_timeout{5000};
  // --dev-login: the key POST /dev/token signs staff tokens with (null: off, the route is a 404).
  std::shared_ptr<const inbox::jwt_config> dev_login;
};

class broker_app final : public reactor::shard_app, public http_service {
 public:
  broker_app(reactor::shard& shard, const app_config& cfg);
  ~broker_app() override;

  std::unique_ptr<reactor::connection_handler> on_accept(reactor::connection& c) override;
  http_outcome handle(http_connection& hc, const protocol::http_request& req, std::string_view raw,
                      std::string_view rest) override;
  void on_held_closed(http_connection& hc) noexcept override;
  void on_stop() noexcept override;
  bool busy() const noexcept override;

  sio_server& sio() noexcept { return sio_; }
  broker_stats& stats() noexcept override { return *stats_; }
  const broker_wiring& wiring() const noexcept { return *cfg_.wiring; }
  // This shard's group-commit writer, or nullptr without a database.
  persistence::batch_writer* writer() noexcept { return writer_.get(); }
  persistence::pg_connection* database() noexcept { return pg_.get(); }
  eio_server& socketio_engine() noexcept { return sio_engine_; }
  // The channel webhooks (inbox profile; nullptr otherwise): status callbacks add routes and hooks.
  channels::webhook_router* webhooks() noexcept { return webhooks_.get(); }

 private:
  reactor::shard& shard_;
  app_config cfg_;
  broker_stats* stats_;
  sio_server sio_;
  eio_server sio_engine_;                      // /socket.io/
  std::unique_ptr<eio_listener> echo_listener_;  // conformance: /engine.io/
  std::unique_ptr<eio_server> echo_engine_;
  std::unique_ptr<persistence::pg_connection> pg_;
  std::unique_ptr<persistence::batch_writer> writer_;
  std::unique_ptr<inbox::inbox_shard> inbox_;
  std::unique_ptr<ai::ai_shard> ai_;
  std::unique_ptr<channels::webhook_router> webhooks_;  // inbox profile
  std::unique_ptr<delivery::delivery_shard> delivery_;
  std::unique_ptr<rest::rest_api> rest_;  // inbox profile
  bool ever_connected_ = false;
  reactor::timer_id drain_timer_{};
  bool drain_expired_ = false;
};

std::unique_ptr<reactor::shard_app> make_broker_app(reactor::shard& s, const app_config& cfg);

}  // namespace ringcast::broker
