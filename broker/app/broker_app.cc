#include "broker/app/broker_app.h"

#include <algorithm>

#include "broker/app/dev_login.h"
#include "broker/app/profiles.h"
#include "broker/inbox/inbox_namespace.h"
#include "broker/http/ws_connection.h"
#include "broker/web/static_files.h"
#include "protocol/http_response.h"
#include "reactor/log.h"

namespace ringcast::broker {
namespace {

bool under(std::string_view path, std::string_view prefix) {
  // "/socket.io" and "/socket.io/..." both belong to the Socket.IO endpoint.
  std::string_view bare = prefix.substr(0, prefix.size() - 1);
  return path == bare || path.substr(0, prefix.size()) == prefix;
}

// The embedded assets never change after start: one table serves every shard.
const web::static_files& static_files() {
  static const web::static_files files;
  return files;
}

}  // namespace

broker_app::broker_app(reactor::shard& shard, const app_config& cfg)
    : shard_(shard),
      cfg_(cfg),
      stats_(&cfg_.metrics->shard(shard.id())),
      sio_(shard, cfg_.sio, cfg_.wiring->rooms, cfg_.wiring->sio, *stats_),
      sio_engine_(shard, cfg_.eio, sio_, *stats_) {
  cfg_.wiring->http.set(shard, this);
  cfg_.wiring->rooms.set(shard, &sio_.rooms());
  cfg_.wiring->sio.set(shard, &sio_);
  cfg_.wiring->apps.set(shard, this);
  // Webhook bodies get their own limit (--webhook-max-body-bytes, answered 413 by the router).
  cfg_.http.max_body_bytes = std::max(cfg_.eio.max_payload, cfg_.channels.max_body_bytes);
  if (!cfg_.database_url.empty()) {
    pg_ = std::make_unique<persistence::pg_connection>(
        shard, persistence::pg_connection::options{cfg_.database_url}, [this](bool up) {
          if (up) ever_connected_ = true;
          reactor::log(up ? reactor::log_level::info : reactor::log_level::warn, "database %s",
                       up ? "connected" : "unreachable; writes wait in the backlog, reconnecting");
          if (writer_) writer_->on_connection(up);
        });
    writer_ = std::make_unique<persistence::batch_writer>(shard, *pg_, cfg_.writer, &cfg_.metrics->writer(shard.id()));
    pg_->start();
  }
  if (cfg_.profile == "bench") {
    install_bench_profile(*this);
  } else if (cfg_.profile == "inbox") {
    cfg_.inbox.settings.max_receipts_waiting = cfg_.writer.max_backlog;
    inbox_ = std::make_unique<inbox::inbox_shard>(shard, sio_, pg_.get(), writer_.get(), cfg_.inbox.settings, *stats_,
                                                  cfg_.wiring->inbox);
    cfg_.wiring->inbox.set(shard, inbox_.get());
    sio_.add_namespace("/", inbox::make_inbox_namespace(cfg_.inbox, *inbox_), true);
    if (cfg_.ai) ai_ = std::make_unique<ai::ai_shard>(shard, *inbox_, *cfg_.ai, *stats_);
    webhooks_ = std::make_unique<channels::webhook_router>(shard, cfg_.channels, *inbox_, *stats_);
    cfg_.rest.public_url = cfg_.channels.public_url;
    rest_ = std::make_unique<rest::rest_api>(shard, *inbox_, cfg_.inbox, cfg_.rest, cfg_.ai.get(), cfg_.wiring->inbox,
                                             *stats_, cfg_.eio.cors_enabled ? &cfg_.eio.cors : nullptr);
    if (cfg_.delivery) {
      delivery_ = std::make_unique<delivery::delivery_shard>(shard, *inbox_, *cfg_.delivery);
      delivery::add_status_routes(*webhooks_, *delivery_);
    }
  } else {
    install_conformance_profile(sio_);
    echo_listener_ = make_engineio_echo();
    echo_engine_ = std::make_unique<eio_server>(shard, cfg_.eio, *echo_listener_, *stats_);
  }
}

broker_app::~broker_app() {
  shard_.timers().cancel(drain_timer_);
  // The inbox handler uses inbox_, which goes before the sessions the engine still ends.
  sio_.remove_namespaces();
  rest_.reset();
  // The webhook routes call delivery_ (status callbacks): routes first.
  webhooks_.reset();
  delivery_.reset();
  ai_.reset();
  inbox_.reset();
  // The writer's pending callbacks reference the connection's results: writer first.
  writer_.reset();
  pg_.reset();
}

std::unique_ptr<reactor::connection_handler> broker_app::on_accept(reactor::connection& c) {
  return std::make_unique<http_connection>(c, cfg_.wiring->http, cfg_.http);
}

http_outcome broker_app::handle(http_connection& hc, const protocol::http_request& req, std::string_view,
                                std::string_view rest) {
  if (const web::embedded_asset* asset = static_files().find(req.path)) {
    std::string out;
    static_files().answer(*asset, req, out);
    hc.conn().send(out);
    return http_outcome::done;
  }
  if (under(req.path, "/socket.io/")) return sio_engine_.handle(hc, req, rest);
  if (webhooks_ && under(req.path, "/webhooks/")) return webhooks_->handle(hc, req);
  if (echo_engine_ && under(req.path, "/engine.io/")) return echo_engine_->handle(hc, req, rest);
  if (rest_ && under(req.path, "/api/v1/")) return rest_->handle(hc, req);
  if (echo_engine_ && req.path == "/ws-echo" && req.upgrade_websocket) {
    accept_websocket(hc.conn(), req, make_ws_echo(), ws_settings{cfg_.eio.max_payload, cfg_.eio.ws_deflate, stats_}, rest);
    return http_outcome::taken_over;
  }
  std::string out;
  if (cfg_.dev_login && req.path == dev_token_path) {
    answer_dev_token(*cfg_.dev_login, req, hc.conn().fd(), out);
  } else if (req.path == "/metrics") {
    protocol::http_header_field type{"Content-Type", "text/plain; version=0.0.4"};
    protocol::write_response(out, 200, std::span(&type, 1), cfg_.metrics->render(), req.keep_alive);
  } else if (req.path == "/readyz") {
    // Not ready before this shard reached the database once (migrations were applied before any
    // shard started), nor once a drain began: a load balancer takes the instance out then.
    const bool ready = !shard_.stopping() && (!pg_ || ever_connected_);
    protocol::http_header_field type{"Content-Type", "text/plain"};
    protocol::write_response(out, ready ? 200 : 503, std::span(&type, 1), ready ? "ready\n" : "not ready\n",
                             req.keep_alive);
  } else if (req.path == "/healthz") {
    protocol::http_header_field type{"Content-Type", "text/plain"};
    protocol::write_response(out, 200, std::span(&type, 1), "ok\n", req.keep_alive);
  } else {
    protocol::http_header_field type{"Content-Type", "text/plain"};
    protocol::write_response(out, 404, std::span(&type, 1), "not found\n", req.keep_alive);
  }
  hc.conn().send(out);
  return http_outcome::done;
}

void broker_app::on_stop() noexcept {
  sio_engine_.close_all();
  if (echo_engine_) echo_engine_->close_all();
  if (writer_) {
    // The writer keeps committing (busy() holds the shard's loop) until it has answered every
    // write it accepted, or until the drain timeout when the database is away. The timer runs
    // even when the writer is idle now: a write another shard posted before it stopped may
    // still arrive.
    if (!writer_->idle())
      std::fprintf(stderr, "ringcast: shard %u draining %zu accepted writes\n", shard_.id(), writer_->backlog());
    drain_timer_ = shard_.timers().schedule_after(cfg_.db_drain_timeout, [this] {
      drain_expired_ = true;
      if (writer_ && !writer_->idle())
        std::fprintf(stderr, "ringcast: shard %u drain timeout: %zu accepted writes not committed\n", shard_.id(),
                     writer_->backlog());
    });
  }
}

bool broker_app::busy() const noexcept { return writer_ && !writer_->idle() && !drain_expired_; }

void broker_app::on_held_closed(http_connection& hc) noexcept {
  sio_engine_.on_held_closed(hc);
  if (echo_engine_) echo_engine_->on_held_closed(hc);
}

std::unique_ptr<reactor::shard_app> make_broker_app(reactor::shard& s, const app_config& cfg) {
  return std::make_unique<broker_app>(s, cfg);
}

}  // namespace ringcast::broker
