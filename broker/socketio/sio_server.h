#pragma once
// The Socket.IO v5 server of one shard, on top of its Engine.IO sessions: namespaces, sockets,
// events and acks, and connection state recovery (socket.io's `connectionStateRecovery`): a
// socket that lost its connection keeps its id and rooms on its shard for --recovery-window, and a
// client that comes back with its `pid` and last `offset` gets them back with the broadcasts it
// missed. Rooms and broadcasts are in broker/rooms.h.
#include <boost/json/value.hpp>
#include <any>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/engineio/eio_server.h"
#include "broker/engineio/random_ids.h"
#include "broker/socketio/rooms.h"
#include "protocol/socketio.h"

namespace ringcast::broker {

class sio_server;
class sio_client;

struct sio_config {
  std::chrono::milliseconds connect_timeout{45000};
  std::size_t max_attachments = protocol::sio_default_max_attachments;
  // Rooms one socket may be in (its namespace's room included); a join past it is refused.
  std::size_t max_rooms_per_socket = 1000;
  // Connection state recovery, for the namespaces added with it: how long a disconnected socket
  // is kept (0: never, recovery is off) and how many broadcasts each shard keeps for replay.
  std::chrono::milliseconds recovery_window{120000};
  std::size_t recovery_buffer = 10000;
};

class sio_server;
// Every shard's Socket.IO server: a recovering client may find its saved socket on another shard.
using sio_servers = reactor::per_shard<sio_server>;

// One client's connection to one namespace. Lives on its session's shard.
class sio_socket {
 public:
  const std::string& id() const noexcept { return id_; }
  const std::string& nsp() const noexcept { return nsp_; }
  const boost::json::value& auth() const noexcept { return auth_; }
  // The Engine.IO session this socket rides on: with nsp, its address for replies from other shards.
  const std::string& session_id() const noexcept;

  // Sends an EVENT (BINARY_EVENT when `attachments` is not empty) to this socket alone.
  void emit(std::string_view event, const boost::json::array& args, const std::vector<std::string>& attachments = {});
  // Answers the client's ack id with `args`.
  void ack(std::uint64_t id, const boost::json::array& args, const std::vector<std::string>& attachments = {});
  // False (and counted) when the socket is already in --max-rooms-per-socket rooms.
  bool join(const std::string& room);
  void leave(const std::string& room);
  // Server-side disconnect of this namespace (the client gets DISCONNECT, "io server disconnect").
  void disconnect();

  sio_server& server() noexcept { return server_; }
  // Sends one pre-encoded frame of a broadcast to this socket; closed: it takes no more.
  reactor::send_status deliver(const shared_frame& f);
  std::uint64_t delivery_stamp = 0;  // rooms.cc: which broadcast last reached this socket
  // The rooms the socket is in (restored ones included, after a connection state recovery).
  const std::vector<std::string>& rooms() const noexcept { return rooms_; }
  std::any user;                     // the namespace handler's per-socket state (an identity, ...)

 private:
  friend class sio_server;
  friend class sio_client;
  friend class room_registry;
  sio_socket(sio_server& server, sio_client& client, std::string id, std::string nsp, boost::json::value auth)
      : server_(server), client_(client), id_(std::move(id)), nsp_(std::move(nsp)), auth_(std::move(auth)) {}
  void send_packet(const protocol::sio_packet& p);

  sio_server& server_;
  sio_client& client_;
  std::string id_;
  std::string nsp_;
  boost::json::value auth_;
  std::vector<std::string> rooms_;  // joined rooms, for leave-all on disconnect
  std::string pid_;  // private session id for recovery; empty when the namespace has none
};

// What a profile does in a namespace.
class sio_namespace_handler {
 public:
  virtual ~sio_namespace_handler() = default;
  // Decides a CONNECT before it is answered: nullopt accepts; an object ({message, data?}) is sent
  // as CONNECT_ERROR and the socket is dropped. The handler may keep what it learned (the
  // client's identity) in `s.user`.
  virtual std::optional<boost::json::object> admit(sio_socket& /*s*/) { return std::nullopt; }
  // Called after the client got its CONNECT ack.
  virtual void on_connection(sio_socket&) {}
  // An EVENT or BINARY_EVENT: `args` excludes the event name; `ack_id` is set when the client
  // waits for an answer.
  virtual void on_event(sio_socket& s, std::string_view event, const boost::json::array& args,
                        const std::vector<std::string>& attachments, std::optional<std::uint64_t> ack_id) = 0;
  virtual void on_disconnect(sio_socket&, std::string_view /*reason*/) {}
};

class sio_server final : public eio_listener {
 public:
  sio_server(reactor::shard& shard, const sio_config& cfg, const room_registries& rooms, const sio_servers& peers,
             broker_stats& stats);
  ~sio_server() override;

  // recovery: the namespace's sockets get a pid and are kept after a recoverable disconnect
  // (when --recovery-window is not 0).
  void add_namespace(std::string name, std::unique_ptr<sio_namespace_handler> handler, bool recovery = false);
  // The offset to append to an event broadcast to `nsp` and to put in its broadcast_message, or
  // empty when the namespace has no recovery (see room_registry::next_offset).
  std::string next_offset(std::string_view nsp);
  // Teardown: the handlers go first (they may use services that go before this server); sockets
  // still open are then dropped without telling them.
  void remove_namespaces() noexcept { namespaces_.clear(); }
  room_registry& rooms() noexcept { return rooms_; }
  // The socket of `nsp` on the session, if it is still connected there.
  static sio_socket* find_socket(eio_session& session, std::string_view nsp) noexcept;
  reactor::shard& shard() noexcept { return shard_; }

  void on_eio_open(eio_session& s) override;
  void on_eio_message(eio_session& s, std::string_view data, bool binary) override;
  void on_eio_close(eio_session& s, std::string_view reason) override;

 private:
  friend class sio_socket;
  friend class sio_client;
  void on_packet(sio_client& c, protocol::sio_packet& p);
  void connect(sio_client& c, protocol::sio_packet& p);
  void drop_socket(sio_client& c, const std::string& nsp, std::string_view reason);

  // ---- recovery ----
  struct saved_socket {
    std::string sid;
    std::string nsp;
    std::vector<std::string> rooms;
    reactor::timer_id expiry{};
  };
  struct restored_socket {
    std::string sid;
    std::string pid;
    std::vector<std::string> rooms;
    std::vector<broadcast_ptr> missed;
  };
  // A CONNECT waiting for its saved socket from other shards; erased if the session closes first.
  struct pending_restore {
    sio_client* client;
    std::string nsp;
    boost::json::value auth;
  };
  struct restore_request {
    std::string pid, offset, nsp;
    unsigned from;
    std::uint64_t token;
    std::vector<unsigned> route;  // shards still to ask, in order
  };
  enum class take_result { not_here, refused, taken };
  bool recovery_on(std::string_view nsp) const;
  void save(sio_socket& s);
  void forget(saved_socket& saved);
  take_result take_saved(const std::string& pid, std::string_view offset, const std::string& nsp, restored_socket& out);
  void start_restore(sio_client& c, const std::string& nsp, boost::json::value auth, std::string pid, std::string offset);
  void seek(restore_request req);
  void finish_restore(std::uint64_t token, bool found, restored_socket r);
  // Creates the socket (new, or with the restored id, pid, rooms and missed packets) and answers CONNECT.
  void open_socket(sio_client& c, const std::string& nsp, boost::json::value auth, restored_socket* restored,
                   bool copy_missed);

  reactor::shard& shard_;
  sio_config cfg_;
  broker_stats& stats_;
  std::map<std::string, std::unique_ptr<sio_namespace_handler>, std::less<>> namespaces_;
  room_registry rooms_;
  const sio_servers& peers_;
  id_generator ids_;
  std::set<std::string, std::less<>> recovering_;  // namespaces with recovery
  std::unordered_map<std::string, saved_socket> saved_;  // by pid
  std::unordered_map<std::uint64_t, pending_restore> pending_;
  std::uint64_t pending_seq_ = 0;
};

}  // namespace ringcast::broker
