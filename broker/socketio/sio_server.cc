#include "broker/socketio/sio_server.h"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "broker/stats/broker_stats.h"

namespace ringcast::broker {

using protocol::sio_packet;
using protocol::sio_packet_type;

// One Engine.IO session seen by Socket.IO: its decoder and its namespace sockets.
class sio_client {
 public:
  sio_client(eio_session& session, const sio_config& cfg) : session_(session), decoder_({cfg.max_attachments}) {}

  eio_session& session() noexcept { return session_; }
  protocol::sio_decoder& decoder() noexcept { return decoder_; }
  std::map<std::string, std::unique_ptr<sio_socket>, std::less<>>& sockets() noexcept { return sockets_; }
  reactor::timer_id connect_timer{};
  // CONNECTs waiting for a saved socket from another shard: token -> namespace.
  std::vector<std::pair<std::uint64_t, std::string>> restoring;
  bool restoring_nsp(std::string_view nsp) const {
    return std::any_of(restoring.begin(), restoring.end(), [&](const auto& r) { return r.second == nsp; });
  }

  // Encodes `p` once and sends it with its attachments.
  void send(const sio_packet& p) {
    std::string text;
    if (protocol::encode_packet(text, p, true) != protocol::sio_error::ok) return;
    if (session_.send_frame(make_shared_frame(protocol::opcode::text, {}, text)) == reactor::send_status::closed) return;
    for (const auto& a : p.attachments) session_.send_message(a, true);
  }

 private:
  eio_session& session_;
  protocol::sio_decoder decoder_;
  std::map<std::string, std::unique_ptr<sio_socket>, std::less<>> sockets_;
};

namespace {
sio_client& client_of(eio_session& s) { return *static_cast<sio_client*>(s.user); }

sio_packet make_packet(sio_packet_type type, std::string_view nsp, boost::json::value data,
                       std::vector<std::string> attachments = {}) {
  sio_packet p;
  p.type = type;
  p.nsp = nsp;
  p.data = std::move(data);
  p.attachments = std::move(attachments);
  if (!p.attachments.empty()) {
    if (type == sio_packet_type::event) p.type = sio_packet_type::binary_event;
    if (type == sio_packet_type::ack) p.type = sio_packet_type::binary_ack;
  }
  return p;
}
}  // namespace

void sio_socket::send_packet(const sio_packet& p) { client_.send(p); }

const std::string& sio_socket::session_id() const noexcept { return client_.session().sid(); }

sio_socket* sio_server::find_socket(eio_session& session, std::string_view nsp) noexcept {
  if (!session.user) return nullptr;
  auto& sockets = client_of(session).sockets();
  auto it = sockets.find(nsp);
  return it == sockets.end() ? nullptr : it->second.get();
}

reactor::send_status sio_socket::deliver(const shared_frame& f) { return client_.session().send_frame(f); }

void sio_socket::emit(std::string_view event, const boost::json::array& args, const std::vector<std::string>& attachments) {
  boost::json::array data;
  data.reserve(args.size() + 1);
  data.emplace_back(event);
  for (const auto& a : args) data.push_back(a);
  send_packet(make_packet(sio_packet_type::event, nsp_, std::move(data), attachments));
}

void sio_socket::ack(std::uint64_t id, const boost::json::array& args, const std::vector<std::string>& attachments) {
  sio_packet p = make_packet(sio_packet_type::ack, nsp_, args, attachments);
  p.id = id;
  send_packet(p);
}

bool sio_socket::join(const std::string& room) {
  if (std::find(rooms_.begin(), rooms_.end(), room) != rooms_.end()) return true;
  if (rooms_.size() >= server_.cfg_.max_rooms_per_socket) {
    server_.stats_.hit(limit_kind::rooms_per_socket);
    return false;
  }
  server_.rooms().join(*this, room);
  return true;
}
void sio_socket::leave(const std::string& room) { server_.rooms().leave(*this, room); }

void sio_socket::disconnect() {
  send_packet(make_packet(sio_packet_type::disconnect, nsp_, nullptr));
  server_.drop_socket(client_, nsp_, "server namespace disconnect");
}

sio_server::sio_server(reactor::shard& shard, const sio_config& cfg, const room_registries& rooms,
                       const sio_servers& peers, broker_stats& stats)
    : shard_(shard), cfg_(cfg), stats_(stats), rooms_(shard, rooms, stats), peers_(peers), ids_(shard.id()) {}

sio_server::~sio_server() {
  for (auto& [pid, saved] : saved_) shard_.timers().cancel(saved.expiry);
}

void sio_server::add_namespace(std::string name, std::unique_ptr<sio_namespace_handler> handler, bool recovery) {
  if (recovery && cfg_.recovery_window.count() > 0) {
    recovering_.insert(name);
    rooms_.keep_broadcasts(cfg_.recovery_buffer);
  }
  namespaces_[std::move(name)] = std::move(handler);
}

bool sio_server::recovery_on(std::string_view nsp) const { return recovering_.find(nsp) != recovering_.end(); }

std::string sio_server::next_offset(std::string_view nsp) { return recovery_on(nsp) ? rooms_.next_offset() : std::string(); }

void sio_server::on_eio_open(eio_session& s) {
  auto* c = new sio_client(s, cfg_);
  s.user = c;
  // A client that never connects to a namespace is dropped, as the reference does.
  c->connect_timer = shard_.timers().schedule_after(cfg_.connect_timeout, [&s] {
    if (client_of(s).sockets().empty()) s.close("connect timeout");
  });
}

void sio_server::on_eio_message(eio_session& s, std::string_view data, bool binary) {
  sio_client& c = client_of(s);
  sio_packet p;
  auto status = binary ? c.decoder().feed_binary(data, p) : c.decoder().feed_text(data, p);
  if (status == protocol::sio_status::error) {
    // The reference closes the whole connection on a packet it cannot decode.
    broker_stats::bump(stats_.sio_parse_errors);
    s.close("parse error");
    return;
  }
  if (status == protocol::sio_status::packet) on_packet(c, p);
}

void sio_server::on_packet(sio_client& c, sio_packet& p) {
  switch (p.type) {
    case sio_packet_type::connect:
      connect(c, p);
      return;
    case sio_packet_type::disconnect:
      drop_socket(c, p.nsp, "client namespace disconnect");
      return;
    case sio_packet_type::event:
    case sio_packet_type::binary_event: {
      auto it = c.sockets().find(p.nsp);
      if (it == c.sockets().end()) return;  // not connected to that namespace: ignored, as the reference does
      auto& args = p.data.as_array();
      auto handler = namespaces_.find(p.nsp);
      if (handler == namespaces_.end() || args.empty()) return;
      if (!args.front().is_string()) return;
      std::string event(args.front().as_string());
      boost::json::array rest(args.begin() + 1, args.end());
      handler->second->on_event(*it->second, event, rest, p.attachments, p.id);
      return;
    }
    case sio_packet_type::ack:
    case sio_packet_type::binary_ack:
      return;  // the profiles never ask clients for acks
    case sio_packet_type::connect_error:
      c.session().close("parse error");
      return;
  }
}

void sio_server::connect(sio_client& c, sio_packet& p) {
  auto ns = namespaces_.find(p.nsp);
  if (ns == namespaces_.end()) {
    boost::json::object err;
    err["message"] = "Invalid namespace";
    broker_stats::bump(stats_.sio_connect_refused);
    c.send(make_packet(sio_packet_type::connect_error, p.nsp, std::move(err)));
    return;
  }
  if (c.sockets().count(p.nsp) || c.restoring_nsp(p.nsp)) return;
  boost::json::value auth = p.data.is_object() ? std::move(p.data) : boost::json::value(boost::json::object());
  if (recovery_on(p.nsp)) {
    // As socket.io: recovery is tried only when both are strings; anything else is a fresh socket.
    const auto& o = auth.as_object();
    const auto* pid = o.if_contains("pid");
    const auto* offset = o.if_contains("offset");
    if (pid && offset && pid->is_string() && offset->is_string()) {
      start_restore(c, p.nsp, std::move(auth), std::string(pid->as_string()), std::string(offset->as_string()));
      return;
    }
  }
  open_socket(c, p.nsp, std::move(auth), nullptr, false);
}

void sio_server::open_socket(sio_client& c, const std::string& nsp, boost::json::value auth, restored_socket* restored,
                             bool copy_missed) {
  auto ns = namespaces_.find(nsp);
  if (ns == namespaces_.end()) return;
  std::string id = restored ? std::move(restored->sid) : ids_.next();
  auto sock = std::unique_ptr<sio_socket>(new sio_socket(*this, c, id, nsp, std::move(auth)));
  if (auto refusal = ns->second->admit(*sock)) {
    broker_stats::bump(stats_.sio_connect_refused);
    c.send(make_packet(sio_packet_type::connect_error, nsp, std::move(*refusal)));
    return;
  }
  sio_socket& s = *sock;
  if (restored) s.pid_ = std::move(restored->pid);
  else if (recovery_on(nsp)) s.pid_ = ids_.next();  // names this shard, where the socket would be saved
  c.sockets().emplace(nsp, std::move(sock));
  broker_stats::bump(stats_.sio_sockets);
  shard_.timers().cancel(c.connect_timer);
  c.session().established();
  // Every socket is in its namespace's room "", the target of emits to the whole namespace.
  rooms_.join(s, {});
  // The restored rooms were within --max-rooms-per-socket when they were joined.
  if (restored)
    for (const std::string& room : restored->rooms) rooms_.join(s, room);
  boost::json::object ack;
  ack["sid"] = id;
  if (!s.pid_.empty()) ack["pid"] = s.pid_;
  c.send(make_packet(sio_packet_type::connect, nsp, std::move(ack)));
  if (restored) {
    for (const broadcast_ptr& m : restored->missed)
      for (const shared_frame& f : m->frames) {
        // Frames kept by another shard are copied here, as deliver_remote does: a shard's sends
        // reference only its own buffers. A replay is rare; this is not the fan-out path.
        if (copy_missed) s.deliver(shared_frame{reactor::buffer_ref::copy_of(f.buf->bytes()), f.header, f.binary});
        else s.deliver(f);
      }
  }
  ns->second->on_connection(s);
}

// ---- recovery ----

namespace {
// socket.io's RECOVERABLE_DISCONNECT_REASONS: the connection was lost, not ended on purpose.
bool recoverable(std::string_view reason) {
  return reason == "transport error" || reason == "transport close" || reason == "forced close" ||
         reason == "ping timeout" || reason == "forced server close";
}
}  // namespace

void sio_server::save(sio_socket& s) {
  saved_socket saved{s.id_, s.nsp_, {}, {}};
  for (const std::string& room : s.rooms_) {
    // Held before the socket leaves, so the other shards never see the room empty here.
    rooms_.hold(s.nsp_, room);
    if (!room.empty()) saved.rooms.push_back(room);
  }
  saved.expiry = shard_.timers().schedule_after(cfg_.recovery_window, [this, pid = s.pid_] {
    auto it = saved_.find(pid);
    if (it == saved_.end()) return;
    broker_stats::bump(stats_.recovery_expired);
    broker_stats::bump(stats_.recovery_sessions, -1);
    forget(it->second);
    saved_.erase(it);
  });
  auto [it, inserted] = saved_.try_emplace(s.pid_, std::move(saved));
  if (!inserted) {  // the same pid saved again (restored, then lost again): the newer state wins
    shard_.timers().cancel(it->second.expiry);
    forget(it->second);
    it->second = std::move(saved);
  } else {
    broker_stats::bump(stats_.recovery_sessions);
  }
}

void sio_server::forget(saved_socket& saved) {
  shard_.timers().cancel(saved.expiry);
  rooms_.release(saved.nsp, {});
  for (const std::string& room : saved.rooms) rooms_.release(saved.nsp, room);
}

sio_server::take_result sio_server::take_saved(const std::string& pid, std::string_view offset, const std::string& nsp,
                                               restored_socket& out) {
  auto it = saved_.find(pid);
  if (it == saved_.end()) return take_result::not_here;
  saved_socket& saved = it->second;
  std::vector<std::string> rooms = saved.rooms;
  rooms.emplace_back();
  // Missed packets are gathered before the holds go, while every broadcast to the rooms still
  // reached this shard. As socket.io, a state that cannot be recovered (another namespace, an
  // offset not kept) stays for its own client until it expires.
  if (saved.nsp != nsp || !rooms_.missed_since(offset, nsp, rooms, out.missed)) return take_result::refused;
  forget(saved);
  out.sid = std::move(saved.sid);
  out.pid = pid;
  out.rooms = std::move(saved.rooms);
  saved_.erase(it);
  broker_stats::bump(stats_.recovery_sessions, -1);
  return take_result::taken;
}

void sio_server::start_restore(sio_client& c, const std::string& nsp, boost::json::value auth, std::string pid,
                               std::string offset) {
  restored_socket r;
  switch (take_saved(pid, offset, nsp, r)) {
    case take_result::taken:
      broker_stats::bump(stats_.recoveries);
      open_socket(c, nsp, std::move(auth), &r, false);
      return;
    case take_result::refused:
      broker_stats::bump(stats_.recovery_misses);
      open_socket(c, nsp, std::move(auth), nullptr, false);
      return;
    case take_result::not_here:
      break;
  }
  // The pid names the shard that made it; a socket restored elsewhere and lost again is saved
  // where it was, so the other shards are asked after that one (a chain, one at a time).
  // Known limit of a restore across shards: the owner lets go of the rooms when it hands the
  // state over, and this shard's joins reach the other shards a mailbox hop later, so a
  // broadcast started in that instant can be missed (or, if this shard already had members of
  // the room, delivered twice). Same-shard restores are exact: take and join run in one step.
  const unsigned me = shard_.id();
  std::vector<unsigned> route;
  const int named = id_shard(pid, shard_.count());
  if (named >= 0 && unsigned(named) != me) route.push_back(unsigned(named));
  for (unsigned t = 0; t < shard_.count(); ++t)
    if (t != me && int(t) != named) route.push_back(t);
  if (route.empty()) {
    broker_stats::bump(stats_.recovery_misses);
    open_socket(c, nsp, std::move(auth), nullptr, false);
    return;
  }
  const std::uint64_t token = ++pending_seq_;
  pending_.emplace(token, pending_restore{&c, nsp, std::move(auth)});
  c.restoring.emplace_back(token, nsp);
  const unsigned first = route.front();
  route.erase(route.begin());
  // The restore's legs are guaranteed: a lost one would leave the client's CONNECT unanswered
  // (one restore per connecting socket at a time, so bounded by the connections).
  restore_request req{std::move(pid), std::move(offset), nsp, me, token, std::move(route)};
  shard_.post_guaranteed(first, [req = std::move(req), &peers = peers_](reactor::shard& sh) mutable { peers.on(sh).seek(std::move(req)); });
}

void sio_server::seek(restore_request req) {
  restored_socket r;
  const take_result got = take_saved(req.pid, req.offset, req.nsp, r);
  if (got == take_result::not_here && !req.route.empty()) {
    const unsigned next = req.route.front();
    req.route.erase(req.route.begin());
    shard_.post_guaranteed(next, [req = std::move(req), &peers = peers_](reactor::shard& sh) mutable { peers.on(sh).seek(std::move(req)); });
    return;
  }
  shard_.post_guaranteed(req.from, [token = req.token, found = got == take_result::taken, r = std::move(r),
                         &peers = peers_](reactor::shard& sh) mutable { peers.on(sh).finish_restore(token, found, std::move(r)); });
}

void sio_server::finish_restore(std::uint64_t token, bool found, restored_socket r) {
  auto it = pending_.find(token);
  if (it == pending_.end()) return;  // the client left meanwhile; its saved state went with it
  pending_restore pr = std::move(it->second);
  pending_.erase(it);
  auto& list = pr.client->restoring;
  list.erase(std::remove_if(list.begin(), list.end(), [&](const auto& e) { return e.first == token; }), list.end());
  if (!found) {
    broker_stats::bump(stats_.recovery_misses);
    open_socket(*pr.client, pr.nsp, std::move(pr.auth), nullptr, false);
    return;
  }
  broker_stats::bump(stats_.recoveries);
  broker_stats::bump(stats_.recoveries_cross_shard);
  open_socket(*pr.client, pr.nsp, std::move(pr.auth), &r, true);
}

void sio_server::drop_socket(sio_client& c, const std::string& nsp, std::string_view reason) {
  auto it = c.sockets().find(nsp);
  if (it == c.sockets().end()) return;
  std::unique_ptr<sio_socket> s = std::move(it->second);
  c.sockets().erase(it);
  broker_stats::bump(stats_.sio_sockets, -1);
  if (auto h = namespaces_.find(nsp); h != namespaces_.end()) h->second->on_disconnect(*s, reason);
  // A stopping shard keeps nothing: no client can come back to it.
  if (!s->pid_.empty() && recoverable(reason) && !shard_.stopping()) save(*s);
  rooms_.leave_all(*s);
}

void sio_server::on_eio_close(eio_session& s, std::string_view reason) {
  std::unique_ptr<sio_client> c(static_cast<sio_client*>(s.user));
  s.user = nullptr;
  if (!c) return;
  shard_.timers().cancel(c->connect_timer);
  for (const auto& [token, nsp] : c->restoring) pending_.erase(token);
  std::vector<std::string> names;
  for (auto& [nsp, sock] : c->sockets()) names.push_back(nsp);
  for (auto& nsp : names) drop_socket(*c, nsp, reason);
}

}  // namespace ringcast::broker
