#include "broker/engineio/eio_server.h"

#include "broker/http/peer_address.h"
#include "broker/http/ws_connection.h"
#include "broker/stats/broker_stats.h"
#include "protocol/url.h"

namespace ringcast::broker {

using protocol::eio_server_error;

namespace {

constexpr std::string_view text_plain = "text/plain; charset=UTF-8";

// Carries a WebSocket's messages to the session it belongs to, looked up by sid each time, so a
// session that ended meanwhile is simply not found.
class eio_ws_endpoint final : public ws_endpoint {
 public:
  eio_ws_endpoint(eio_server& server, std::string sid) : server_(server), sid_(std::move(sid)) {}

  void on_ws_message(ws_connection& ws, std::string_view data, bool binary) noexcept override;
  void on_ws_close(ws_connection& ws, reactor::close_reason) noexcept override;

 private:
  eio_server& server_;
  std::string sid_;
  std::string scratch_;
};

}  // namespace

std::uint64_t pack(reactor::conn_id id) noexcept { return (std::uint64_t(id.generation) << 32) | id.index; }

eio_server::eio_server(reactor::shard& shard, const eio_config& cfg, eio_listener& listener, broker_stats& stats)
    : shard_(shard), cfg_(cfg), listener_(listener), stats_(stats), ids_(shard.id()) {}

eio_server::~eio_server() {
  // Sessions still open (a polling client between two requests) end here; the listener frees
  // what it keeps for them.
  for (auto& [sid, s] : sessions_) {
    s->cancel_timers();
    if (!s->closed()) {
      s->closed_ = true;
      listener_.on_eio_close(*s, "server shutting down");
    }
  }
}

void eio_server::close_all() noexcept {
  std::vector<eio_session*> open;
  for (auto& [sid, s] : sessions_)
    if (!s->closed()) open.push_back(s.get());
  for (eio_session* s : open) s->close("server shutting down");
}

eio_session* eio_server::find(std::string_view sid) noexcept {
  auto it = sessions_.find(sid);
  return it == sessions_.end() || it->second->closed() ? nullptr : it->second.get();
}

int eio_server::owner_of(std::string_view sid) const noexcept { return id_shard(sid, shard_.count()); }

std::string eio_server::response(int status, std::string_view content_type, std::string_view body,
                                 std::string_view origin, bool keep_alive) const {
  std::vector<protocol::http_header_field> headers;
  headers.push_back({"Content-Type", content_type});
  if (cfg_.cors_enabled) protocol::append_cors_headers(cfg_.cors, origin, headers);
  std::string out;
  protocol::write_response(out, status, headers, body, keep_alive);
  return out;
}

void eio_server::respond(http_connection& hc, int status, std::string_view content_type, std::string_view body,
                         std::string_view origin, bool keep_alive) {
  hc.conn().send(response(status, content_type, body, origin, keep_alive));
}

http_outcome eio_server::refuse(http_connection& hc, const protocol::http_request& req, eio_server_error e) {
  broker_stats::bump(stats_.http_errors[std::size_t(protocol::http_status(e))]);
  const std::string body = protocol::error_body(e);
  const std::string_view origin = req.find_header("origin").value_or("");
  if (req.upgrade_websocket) {
    // As the reference does for a refused upgrade: a plain HTTP error, then the socket is closed.
    respond(hc, protocol::http_status(e), "application/json", body, origin, false);
    hc.conn().close(reactor::close_reason::protocol_error);
    return http_outcome::taken_over;
  }
  respond(hc, protocol::http_status(e), "application/json", body, origin, req.keep_alive);
  return http_outcome::done;
}

ws_settings eio_server::ws_settings() const noexcept { return {cfg_.max_payload, cfg_.ws_deflate, &stats_}; }

http_outcome eio_server::handle(http_connection& hc, const protocol::http_request& req, std::string_view rest) {
  using protocol::http_method;
  const std::string_view origin = req.find_header("origin").value_or("");
  if (req.method == http_method::options && cfg_.cors_enabled) {
    std::string out;
    protocol::write_preflight_response(out, cfg_.cors, origin,
                                       req.find_header("access-control-request-headers").value_or(""), req.keep_alive);
    hc.conn().send(out);
    return http_outcome::done;
  }
  const auto transport = protocol::query_param(req.query, "transport");
  const bool polling = transport && *transport == "polling";
  const bool websocket = transport && *transport == "websocket";
  if (!polling && !websocket) return refuse(hc, req, eio_server_error::unknown_transport);

  const auto sid = protocol::query_param(req.query, "sid");
  if (sid) {
    const int owner = owner_of(*sid);
    if (owner < 0) return refuse(hc, req, eio_server_error::unknown_sid);
    if (unsigned(owner) != shard_.id()) {
      // Every request of a session is served by the shard that owns it.
      hc.hand_off_current(unsigned(owner));
      return http_outcome::taken_over;
    }
    eio_session* s = find(*sid);
    if (!s) return refuse(hc, req, eio_server_error::unknown_sid);
    if (websocket) {
      if (!req.upgrade_websocket) return refuse(hc, req, eio_server_error::bad_request);
      return upgrade(hc, req, *s, rest);
    }
    if (s->transport_ != eio_session::transport::polling) return refuse(hc, req, eio_server_error::bad_request);
    if (req.method == http_method::get) return poll(hc, req, *s);
    if (req.method == http_method::post) return post(hc, req, *s);
    return refuse(hc, req, eio_server_error::bad_request);
  }

  if (req.method != http_method::get) return refuse(hc, req, eio_server_error::bad_handshake_method);
  if (websocket && !req.upgrade_websocket) return refuse(hc, req, eio_server_error::bad_request);
  const auto eio = protocol::query_param(req.query, "EIO");
  if (!eio || *eio != "4") return refuse(hc, req, eio_server_error::unsupported_protocol_version);
  return handshake(hc, req, websocket, rest);
}

http_outcome eio_server::handshake(http_connection& hc, const protocol::http_request& req, bool websocket,
                                   std::string_view rest) {
  std::string address = peer_address(hc.conn().fd());
  if (auto it = pending_by_address_.find(address);
      it != pending_by_address_.end() && it->second >= cfg_.max_pending_sessions) {
    stats_.hit(limit_kind::pending_sessions);
    broker_stats::bump(stats_.http_errors[429]);
    const bool upgrade = req.upgrade_websocket;
    respond(hc, 429, "application/json",
            protocol::error_body(eio_server_error::forbidden, "Too many sessions waiting to connect from this address"),
            req.find_header("origin").value_or(""), req.keep_alive && !upgrade);
    if (upgrade) {
      hc.conn().close(reactor::close_reason::protocol_error);
      return http_outcome::taken_over;
    }
    return http_outcome::done;
  }
  std::string sid = ids_.next();
  if (websocket) {
    ws_connection* ws = accept_websocket(hc.conn(), req, std::make_unique<eio_ws_endpoint>(*this, sid), ws_settings(), {});
    if (!ws) return http_outcome::taken_over;
    auto s = std::make_unique<eio_session>(*this, sid, eio_session::transport::websocket);
    count_pending(*s, std::move(address));
    s->attach_websocket(*ws);
    eio_session& ref = *s;
    sessions_.emplace(sid, std::move(s));
    opened();
    protocol::eio_handshake h{sid, {}, std::uint64_t(cfg_.ping_interval.count()),
                              std::uint64_t(cfg_.ping_timeout.count()), cfg_.max_payload};
    std::string open;
    protocol::encode_open_packet(open, h);
    ref.enqueue(make_shared_frame(protocol::opcode::text, {}, open));
    listener_.on_eio_open(ref);
    // Frames the client sent right behind its upgrade request.
    if (!rest.empty() && !hc.conn().closing()) ws->on_data(hc.conn(), std::as_bytes(std::span<const char>(rest)));
    return http_outcome::taken_over;
  }

  auto s = std::make_unique<eio_session>(*this, sid, eio_session::transport::polling);
  count_pending(*s, std::move(address));
  eio_session& ref = *s;
  sessions_.emplace(sid, std::move(s));
  opened();
  protocol::eio_handshake h{sid, {"websocket"}, std::uint64_t(cfg_.ping_interval.count()),
                            std::uint64_t(cfg_.ping_timeout.count()), cfg_.max_payload};
  std::string open;
  protocol::encode_open_packet(open, h);
  // The handshake GET is the session's first poll: it carries the open packet and whatever the
  // listener sends on open.
  ref.enqueue(make_shared_frame(protocol::opcode::text, {}, open));
  ref.poll_ = hc.conn().id();
  ref.has_poll_ = true;
  ref.poll_origin_ = req.find_header("origin").value_or("");
  held_polls_[pack(ref.poll_)] = &ref;
  listener_.on_eio_open(ref);
  ref.flush();
  return ref.has_poll_ ? http_outcome::hold : http_outcome::done;
}

void eio_server::opened() noexcept {
  broker_stats& st = stats_;
  broker_stats::bump(st.eio_sessions);
  broker_stats::bump(st.eio_sessions_opened);
}

http_outcome eio_server::poll(http_connection& hc, const protocol::http_request& req, eio_session& s) {
  if (s.has_poll_) {
    // Two GETs at once: the reference answers 400 and ends the session ("overlap from client").
    respond(hc, 400, "application/json", protocol::error_body(eio_server_error::bad_request),
            req.find_header("origin").value_or(""), req.keep_alive);
    s.close("transport error");
    return http_outcome::done;
  }
  s.poll_ = hc.conn().id();
  s.has_poll_ = true;
  s.poll_origin_ = req.find_header("origin").value_or("");
  held_polls_[pack(s.poll_)] = &s;
  s.flush();
  return s.has_poll_ ? http_outcome::hold : http_outcome::done;
}

http_outcome eio_server::post(http_connection& hc, const protocol::http_request& req, eio_session& s) {
  const std::string_view origin = req.find_header("origin").value_or("");
  // The HTTP parser's own bound may be larger (other routes take bigger bodies): a payload over
  // maxPayload is a 413 here, as in the reference, and ends the session.
  if (req.body().size() > cfg_.max_payload) {
    broker_stats::bump(stats_.http_errors[413]);
    respond(hc, 413, "text/plain; charset=utf-8", "Payload Too Large", origin, req.keep_alive);
    s.close("transport error");
    return http_outcome::done;
  }
  std::vector<protocol::eio_packet> packets;
  const auto err = protocol::decode_payload(req.body(), packets, cfg_.max_payload);
  // The reference handles the packets before a faulty one, then closes the session.
  for (auto& p : packets) {
    if (s.closed()) break;
    s.on_packet(p.type, p.data, p.binary);
  }
  if (err != protocol::eio_error::ok) {
    broker_stats::bump(stats_.eio_parse_errors);
    broker_stats::bump(stats_.http_errors[400]);
    respond(hc, 400, "application/json", protocol::error_body(eio_server_error::bad_request), origin, req.keep_alive);
    s.close("parse error");
    return http_outcome::done;
  }
  respond(hc, 200, "text/html", "ok", origin, req.keep_alive);
  return http_outcome::done;
}

http_outcome eio_server::upgrade(http_connection& hc, const protocol::http_request& req, eio_session& s,
                                 std::string_view rest) {
  const bool redundant = s.transport_ != eio_session::transport::polling || s.probing_;
  ws_connection* ws = accept_websocket(hc.conn(), req, std::make_unique<eio_ws_endpoint>(*this, s.sid_), ws_settings(), {});
  if (!ws) return http_outcome::taken_over;
  if (redundant) {
    // Already upgraded or upgrading: like the reference, accept this WebSocket, then close it.
    ws->close(protocol::close_code::normal);
    return http_outcome::taken_over;
  }
  s.probe_ = hc.conn().id();
  s.probing_ = true;
  // The client has upgradeTimeout to finish the probe and send "5".
  s.upgrade_deadline_ = shard_.timers().schedule_after(cfg_.upgrade_timeout, [this, sid = s.sid_] {
    if (eio_session* t = find(sid)) t->abort_upgrade();
  });
  if (!rest.empty() && !hc.conn().closing()) ws->on_data(hc.conn(), std::as_bytes(std::span<const char>(rest)));
  return http_outcome::taken_over;
}

void eio_server::answer_poll(eio_session& s, std::string_view body) {
  if (!s.has_poll_) return;
  s.has_poll_ = false;
  held_polls_.erase(pack(s.poll_));
  reactor::connection* c = shard_.find(s.poll_);
  if (!c || c->closing()) return;
  auto* hc = static_cast<http_connection*>(c->handler());
  hc->finish_held(response(200, text_plain, body, s.poll_origin_, hc->keep_alive()));
}

void eio_server::on_held_closed(http_connection& hc) noexcept {
  auto it = held_polls_.find(pack(hc.conn().id()));
  if (it == held_polls_.end()) return;
  eio_session* s = it->second;
  held_polls_.erase(it);
  s->has_poll_ = false;
  // A poll whose connection drops ends the session, as in the reference ("poll connection closed
  // prematurely").
  s->on_transport_lost("transport error");
}

void eio_server::count_pending(eio_session& s, std::string address) {
  ++pending_by_address_[address];
  s.pending_address_ = std::move(address);
  s.pending_counted_ = true;
}

void eio_server::established(eio_session& s) noexcept {
  if (!s.pending_counted_) return;
  s.pending_counted_ = false;
  auto it = pending_by_address_.find(s.pending_address_);
  if (it != pending_by_address_.end() && --it->second == 0) pending_by_address_.erase(it);
  s.pending_address_.clear();
}

void eio_server::retire(eio_session& s, std::string_view reason) {
  established(s);
  if (s.has_poll_) {
    held_polls_.erase(pack(s.poll_));
    s.has_poll_ = false;
  }
  broker_stats::bump(stats_.eio_sessions, -1);
  listener_.on_eio_close(s, reason);
  // Destroyed at the next iteration: callers up the stack may still hold the reference.
  shard_.post_guaranteed(shard_.id(), [this, sid = s.sid_](reactor::shard&) { sessions_.erase(sid); });
}

namespace {

void eio_ws_endpoint::on_ws_message(ws_connection& ws, std::string_view data, bool binary) noexcept {
  eio_session* s = server_.find(sid_);
  if (!s) {
    ws.close(protocol::close_code::normal);
    return;
  }
  protocol::eio_packet_view p;
  auto err = protocol::decode_frame(data, binary ? protocol::eio_frame::binary : protocol::eio_frame::text, p,
                                    scratch_, server_.config().max_payload);
  if (err != protocol::eio_error::ok) {
    broker_stats::bump(server_.stats().eio_parse_errors);
    s->close("parse error");
    return;
  }
  server_.dispatch_ws_packet(*s, ws, p);
}

void eio_ws_endpoint::on_ws_close(ws_connection& ws, reactor::close_reason) noexcept {
  if (eio_session* s = server_.find(sid_)) server_.on_ws_closed(*s, ws);
}

}  // namespace

void eio_server::dispatch_ws_packet(eio_session& s, ws_connection& ws, const protocol::eio_packet_view& p) {
  if (s.probing_ && s.probe_ == ws.conn().id()) {
    s.on_probe_packet(ws, p.type, p.data);
  } else if (s.transport_ == eio_session::transport::websocket && s.ws_ == ws.conn().id()) {
    s.on_packet(p.type, p.data, p.binary);
  } else {
    ws.close(protocol::close_code::normal);
  }
}

void eio_server::on_ws_closed(eio_session& s, ws_connection& ws) {
  if (s.probing_ && s.probe_ == ws.conn().id()) {
    s.abort_upgrade();
  } else if (s.transport_ == eio_session::transport::websocket && s.ws_ == ws.conn().id()) {
    s.on_transport_lost("transport close");
  }
}

}  // namespace ringcast::broker
