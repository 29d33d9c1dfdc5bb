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
                       broker_stats& stats)
    : shard_(shard), cfg_(cfg), stats_(stats), rooms_(shard, rooms, stats), ids_(shard.id()) {}

sio_server::~sio_server() = default;

void sio_server::add_namespace(std::string name, std::unique_ptr<sio_namespace_handler> handler) {
  namespaces_[std::move(name)] = std::move(handler);
}

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
  if (c.sockets().count(p.nsp)) return;
  boost::json::value auth = p.data.is_object() ? std::move(p.data) : boost::json::value(boost::json::object());
  std::string id = ids_.next();
  auto sock = std::unique_ptr<sio_socket>(new sio_socket(*this, c, id, p.nsp, std::move(auth)));
  if (auto refusal = ns->second->admit(*sock)) {
    broker_stats::bump(stats_.sio_connect_refused);
    c.send(make_packet(sio_packet_type::connect_error, p.nsp, std::move(*refusal)));
    return;
  }
  sio_socket& s = *sock;
  c.sockets().emplace(p.nsp, std::move(sock));
  broker_stats::bump(stats_.sio_sockets);
  shard_.timers().cancel(c.connect_timer);
  c.session().established();
  // Every socket is in its namespace's room "", the target of emits to the whole namespace.
  rooms_.join(s, {});
  boost::json::object ack;
  ack["sid"] = id;
  c.send(make_packet(sio_packet_type::connect, p.nsp, std::move(ack)));
  ns->second->on_connection(s);
}

void sio_server::drop_socket(sio_client& c, const std::string& nsp, std::string_view reason) {
  auto it = c.sockets().find(nsp);
  if (it == c.sockets().end()) return;
  std::unique_ptr<sio_socket> s = std::move(it->second);
  c.sockets().erase(it);
  broker_stats::bump(stats_.sio_sockets, -1);
  if (auto h = namespaces_.find(nsp); h != namespaces_.end()) h->second->on_disconnect(*s, reason);
  rooms_.leave_all(*s);
}

void sio_server::on_eio_close(eio_session& s, std::string_view reason) {
  std::unique_ptr<sio_client> c(static_cast<sio_client*>(s.user));
  s.user = nullptr;
  if (!c) return;
  shard_.timers().cancel(c->connect_timer);
  std::vector<std::string> names;
  for (auto& [nsp, sock] : c->sockets()) names.push_back(nsp);
  for (auto& nsp : names) drop_socket(*c, nsp, reason);
}

}  // namespace ringcast::broker
