#include "broker/engineio/eio_session.h"

#include "broker/engineio/eio_server.h"
#include "broker/stats/broker_stats.h"
#include "broker/http/ws_connection.h"
#include "protocol/base64.h"

namespace ringcast::broker {

using protocol::eio_packet_type;

namespace {
constexpr auto noop_interval = std::chrono::milliseconds(100);

ws_connection* ws_of(reactor::shard& shard, reactor::conn_id id) {
  reactor::connection* c = shard.find(id);
  if (!c || c->closing()) return nullptr;
  return dynamic_cast<ws_connection*>(c->handler());
}
}  // namespace

eio_session::eio_session(eio_server& server, std::string sid, transport t)
    : server_(server), sid_(std::move(sid)), transport_(t) {
  schedule_ping();
}

eio_session::~eio_session() { cancel_timers(); }

void eio_session::cancel_timers() {
  auto& timers = server_.shard().timers();
  timers.cancel(ping_timer_);
  timers.cancel(pong_deadline_);
  timers.cancel(upgrade_deadline_);
  timers.cancel(noop_timer_);
}

void eio_session::send_message(std::string_view data, bool binary) {
  enqueue(binary ? make_shared_frame(protocol::opcode::binary, {}, data) : make_shared_frame(protocol::opcode::text, "4", data));
  flush();
}

reactor::send_status eio_session::send_frame(const shared_frame& f) {
  // The broadcast path: by reference all the way to the send queue, one reference count taken.
  if (closed_) return reactor::send_status::closed;
  if (transport_ == transport::websocket)
    return ws_handler_ ? ws_handler_->send(f) : reactor::send_status::closed;
  enqueue(f);
  flush();
  return reactor::send_status::ok;
}

void eio_session::send_packet(eio_packet_type type, std::string_view data) {
  const char digit = char('0' + int(type));
  enqueue(make_shared_frame(protocol::opcode::text, std::string_view(&digit, 1), data));
  flush();
}

void eio_session::enqueue(const shared_frame& f) {
  if (closed_ || closing_later_) return;
  if (transport_ == transport::websocket) {
    if (ws_handler_) ws_handler_->send(f);
    return;
  }
  const std::size_t size = f.buf->size();
  if (!outbox_.empty() && outbox_bytes_ + size > server_.config().polling_buffer_limit) {
    server_.stats().hit(limit_kind::polling_buffer);
    close_later("transport error");
    return;
  }
  outbox_bytes_ += size;
  outbox_.push_back(f);
}

void eio_session::close_later(std::string_view reason) {
  if (closed_ || closing_later_) return;
  closing_later_ = true;
  outbox_.clear();
  outbox_bytes_ = 0;
  eio_server& server = server_;
  // Guaranteed: a lost close would leave the session open (one per session, so bounded).
  server.shard().post_guaranteed(server.shard().id(), [&server, sid = sid_, why = std::string(reason)](reactor::shard&) {
    if (eio_session* s = server.find(sid)) s->close(why);
  });
}

void eio_session::established() noexcept { server_.established(*this); }

void eio_session::attach_websocket(ws_connection& ws) {
  ws_ = ws.conn().id();
  ws_handler_ = &ws;
}

void eio_session::flush() {
  if (!has_poll_ || outbox_.empty()) return;
  std::string body;
  for (std::size_t i = 0; i < outbox_.size(); ++i) {
    if (i > 0) body += protocol::eio_record_separator;
    if (outbox_[i].binary) {
      body += 'b';
      protocol::base64_encode(outbox_[i].payload(), body);
    } else {
      body += outbox_[i].payload();
    }
  }
  outbox_.clear();
  outbox_bytes_ = 0;
  ping_delivered_ = true;
  server_.answer_poll(*this, body);
}

void eio_session::on_packet(eio_packet_type type, std::string_view data, bool binary) {
  if (closed_) return;
  switch (type) {
    case eio_packet_type::message:
      server_.listener().on_eio_message(*this, data, binary);
      break;
    case eio_packet_type::ping:
      send_packet(eio_packet_type::pong, data);
      break;
    case eio_packet_type::pong:
      if (!ping_delivered_) break;
      server_.shard().timers().cancel(pong_deadline_);
      schedule_ping();
      break;
    case eio_packet_type::close:
      // The client is leaving: its held poll is released with a noop, as the reference does.
      if (transport_ == transport::polling) release_poll_with_noop();
      else if (ws_handler_) ws_handler_->close(protocol::close_code::normal);
      on_transport_lost("transport close");
      break;
    case eio_packet_type::open:
    case eio_packet_type::upgrade:
    case eio_packet_type::noop:
      break;
  }
}

void eio_session::schedule_ping() {
  auto& timers = server_.shard().timers();
  timers.cancel(ping_timer_);
  ping_timer_ = timers.schedule_after(server_.config().ping_interval, [this] {
    // Over WebSocket the ping is on its way at once; a polling client must first poll for it.
    ping_delivered_ = transport_ == transport::websocket;
    send_packet(eio_packet_type::ping, {});
    pong_deadline_ = server_.shard().timers().schedule_after(server_.config().ping_timeout, [this] {
      broker_stats::bump(server_.stats().eio_ping_timeouts);
      close("ping timeout");
    });
  });
}

void eio_session::on_probe_packet(ws_connection& ws, eio_packet_type type, std::string_view data) {
  if (type == eio_packet_type::ping && data == "probe" && !upgrading_) {
    ws.send_text("3probe");
    upgrading_ = true;
    // The client pauses polling now; a held GET is released with a noop so it can.
    release_poll_with_noop();
    noop_timer_ = server_.shard().timers().schedule_after(noop_interval, [this] {
      release_poll_with_noop();
      server_.shard().timers().rearm_after(noop_timer_, noop_interval);
    });
  } else if (type == eio_packet_type::upgrade && upgrading_) {
    finish_upgrade(ws);
  } else {
    abort_upgrade();
  }
}

void eio_session::release_poll_with_noop() {
  if (has_poll_ && outbox_.empty()) server_.answer_poll(*this, "6");
}

void eio_session::finish_upgrade(ws_connection& ws) {
  auto& timers = server_.shard().timers();
  timers.cancel(upgrade_deadline_);
  timers.cancel(noop_timer_);
  probing_ = false;
  upgrading_ = false;
  broker_stats::bump(server_.stats().eio_upgrades);
  // Whatever a last poll did not take goes over the WebSocket, in order: no packet is lost or
  // sent twice across the switch.
  std::vector<shared_frame> pending = std::move(outbox_);
  outbox_.clear();
  outbox_bytes_ = 0;
  ping_delivered_ = true;
  if (has_poll_) server_.answer_poll(*this, "6");
  transport_ = transport::websocket;
  attach_websocket(ws);
  for (auto& f : pending) ws.send(f);
}

void eio_session::abort_upgrade() {
  if (!probing_) return;
  auto& timers = server_.shard().timers();
  timers.cancel(upgrade_deadline_);
  timers.cancel(noop_timer_);
  probing_ = false;
  upgrading_ = false;
  if (ws_connection* ws = ws_of(server_.shard(), probe_)) ws->close(protocol::close_code::normal);
}

void eio_session::close(std::string_view reason) {
  if (closed_) return;
  // Tell the peer on the transport it listens to, then forget the session.
  if (transport_ == transport::polling) {
    if (has_poll_) server_.answer_poll(*this, "1");
  } else if (ws_handler_) {
    ws_handler_->close(protocol::close_code::normal);
  }
  on_transport_lost(reason);
}

void eio_session::on_transport_lost(std::string_view reason) {
  if (closed_) return;
  abort_upgrade();
  closed_ = true;
  ws_handler_ = nullptr;
  cancel_timers();
  outbox_.clear();
  outbox_bytes_ = 0;
  server_.retire(*this, reason);
}

}  // namespace ringcast::broker
