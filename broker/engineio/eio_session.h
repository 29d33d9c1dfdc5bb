#pragma once
// One Engine.IO v4 session: its transport (long-polling or WebSocket), the packets waiting for a
// poll, the heartbeat, and the polling -> WebSocket upgrade. Lives on the shard its sid names;
// every request for it is handled there.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/http/shared_frame.h"
#include "protocol/engineio.h"
#include "reactor/connection.h"
#include "reactor/timer_wheel.h"

namespace ringcast::broker {

class eio_server;
class ws_connection;

class eio_session {
 public:
  enum class transport : std::uint8_t { polling, websocket };

  eio_session(eio_server& server, std::string sid, transport t);
  ~eio_session();
  eio_session(const eio_session&) = delete;
  eio_session& operator=(const eio_session&) = delete;

  const std::string& sid() const noexcept { return sid_; }
  transport current_transport() const noexcept { return transport_; }
  bool closed() const noexcept { return closed_; }

  // A message packet; `binary` sends the bytes raw (WebSocket) or base64 (polling).
  void send_message(std::string_view data, bool binary);
  // A message already encoded as a WebSocket frame ("4..." text, or raw binary), shared by many.
  // closed: the session or its WebSocket is going away and takes nothing more.
  reactor::send_status send_frame(const shared_frame& f);
  // Ends the session from the server side; the listener hears on_eio_close(reason) before this
  // returns. Never call it from inside a send: use close_later.
  void close(std::string_view reason);
  // Ends the session at the end of this loop iteration (from paths that are iterating over the
  // listener's objects, such as a room broadcast). Nothing more is queued for it meanwhile.
  void close_later(std::string_view reason);
  // The listener accepted the client (a Socket.IO namespace CONNECT): it no longer counts against
  // its address's --max-pending-sessions.
  void established() noexcept;

  // The listener's per-session state (a Socket.IO client, ...), owned by the listener.
  void* user = nullptr;

 private:
  friend class eio_server;

  void send_packet(protocol::eio_packet_type type, std::string_view data);
  void enqueue(const shared_frame& f);
  void attach_websocket(ws_connection& ws);
  void flush();
  void on_packet(protocol::eio_packet_type type, std::string_view data, bool binary);
  void schedule_ping();
  void on_probe_packet(ws_connection& ws, protocol::eio_packet_type type, std::string_view data);
  void finish_upgrade(ws_connection& ws);
  void abort_upgrade();
  void release_poll_with_noop();
  void on_transport_lost(std::string_view reason);
  void cancel_timers();

  eio_server& server_;
  std::string sid_;
  transport transport_;
  bool closed_ = false;

  // Polling: frames wait here until a GET takes them (WebSocket frames carry the same bytes).
  std::vector<shared_frame> outbox_;
  std::size_t outbox_bytes_ = 0;
  bool closing_later_ = false;
  // A pong counts only once the ping left the server: a polling client that never polls must not
  // keep its session alive by POSTing pongs to pings it never received.
  bool ping_delivered_ = true;
  std::string pending_address_;  // the client's address while not yet established
  bool pending_counted_ = false;
  reactor::conn_id poll_{};  // the held GET, if has_poll_
  bool has_poll_ = false;
  std::string poll_origin_;

  reactor::conn_id ws_{};     // the WebSocket transport, once upgraded or opened directly
  // Its handler, cached for the per-message path; cleared when the transport goes (the session
  // hears of every close of its WebSocket before the handler can be freed).
  ws_connection* ws_handler_ = nullptr;
  reactor::conn_id probe_{};  // the WebSocket being probed during an upgrade
  bool probing_ = false;
  bool upgrading_ = false;    // "2probe" answered, waiting for "5"

  reactor::timer_id ping_timer_{};
  reactor::timer_id pong_deadline_{};
  reactor::timer_id upgrade_deadline_{};
  reactor::timer_id noop_timer_{};
};

}  // namespace ringcast::broker
