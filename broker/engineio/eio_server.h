#pragma once
// The Engine.IO v4 server of one shard: handshakes, polling requests, WebSocket upgrades, and the
// sessions this shard owns. A request naming a session of another shard is moved there.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "broker/engineio/eio_session.h"
#include "broker/http/http_connection.h"
#include "broker/engineio/random_ids.h"
#include "broker/stats/broker_stats.h"
#include "broker/http/ws_connection.h"
#include "protocol/engineio.h"
#include "protocol/http_response.h"
#include "reactor/shard.h"

namespace ringcast::broker {

struct eio_config {
  std::chrono::milliseconds ping_interval{25000};
  std::chrono::milliseconds ping_timeout{20000};
  std::chrono::milliseconds upgrade_timeout{10000};
  std::size_t max_payload = protocol::eio_default_max_payload;  // maxHttpBufferSize
  bool ws_deflate = true;  // accept permessage-deflate offers on WebSocket transports
  bool cors_enabled = false;
  protocol::cors_policy cors;
  // Undelivered packets a polling session may hold between polls; past it the session ends as a
  // slow consumer (one packet larger than this still fits into an empty buffer).
  std::size_t polling_buffer_limit = std::size_t{4} << 20;
  // Sessions one client address may have open on a shard before they are established (joined a
  // Socket.IO namespace); more handshakes are refused with 429.
  unsigned max_pending_sessions = 256;
};

// What sits on top of Engine.IO: Socket.IO, or the plain echo of the conformance profile.
class eio_listener {
 public:
  virtual ~eio_listener() = default;
  virtual void on_eio_open(eio_session& s) = 0;
  virtual void on_eio_message(eio_session& s, std::string_view data, bool binary) = 0;
  // The session is closed; it is destroyed after this returns (later in the loop iteration).
  virtual void on_eio_close(eio_session& s, std::string_view reason) = 0;
};

class eio_server {
 public:
  eio_server(reactor::shard& shard, const eio_config& cfg, eio_listener& listener, broker_stats& stats);
  ~eio_server();

  http_outcome handle(http_connection& hc, const protocol::http_request& req, std::string_view rest);
  void on_held_closed(http_connection& hc) noexcept;

  eio_session* find(std::string_view sid) noexcept;
  // Server shutdown: ends every session (a held poll gets the close packet, a WebSocket a close
  // frame), so clients reconnect.
  void close_all() noexcept;
  std::size_t session_count() const noexcept { return sessions_.size(); }
  reactor::shard& shard() noexcept { return shard_; }
  const eio_config& config() const noexcept { return cfg_; }
  eio_listener& listener() noexcept { return listener_; }
  broker_stats& stats() noexcept { return stats_; }

  // The shard a sid belongs to (its first character), or -1 if it cannot be ours.
  int owner_of(std::string_view sid) const noexcept;

 private:
  friend class eio_session;

  http_outcome handshake(http_connection& hc, const protocol::http_request& req, bool websocket,
                         std::string_view rest);
  http_outcome poll(http_connection& hc, const protocol::http_request& req, eio_session& s);
  http_outcome post(http_connection& hc, const protocol::http_request& req, eio_session& s);
  http_outcome upgrade(http_connection& hc, const protocol::http_request& req, eio_session& s,
                       std::string_view rest);
  http_outcome refuse(http_connection& hc, const protocol::http_request& req, protocol::eio_server_error e);
  void respond(http_connection& hc, int status, std::string_view content_type, std::string_view body,
               std::string_view origin, bool keep_alive);
  struct ws_settings ws_settings() const noexcept;
  std::string response(int status, std::string_view content_type, std::string_view body, std::string_view origin,
                       bool keep_alive) const;
  // Answers the session's held poll with `body` (a polling payload).
  void answer_poll(eio_session& s, std::string_view body);
  void retire(eio_session& s, std::string_view reason);
  void opened() noexcept;
  void count_pending(eio_session& s, std::string address);
  void established(eio_session& s) noexcept;

 public:
  // From a session's WebSocket (the transport or a probe).
  void dispatch_ws_packet(eio_session& s, ws_connection& ws, const protocol::eio_packet_view& p);
  void on_ws_closed(eio_session& s, ws_connection& ws);

 private:

  reactor::shard& shard_;
  eio_config cfg_;
  eio_listener& listener_;
  broker_stats& stats_;
  // Looked up by string_view on every WebSocket message: no temporary std::string per lookup.
  struct sid_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<eio_session>, sid_hash, std::equal_to<>> sessions_;
  std::unordered_map<std::uint64_t, eio_session*> held_polls_;  // packed conn_id -> session
  std::unordered_map<std::string, unsigned> pending_by_address_;  // sessions not yet established
  id_generator ids_;
};

std::uint64_t pack(reactor::conn_id id) noexcept;

}  // namespace ringcast::broker
