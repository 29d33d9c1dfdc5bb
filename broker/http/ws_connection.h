#pragma once
// A connection after the WebSocket upgrade: decodes frames, answers pings, runs the closing
// handshake, and hands whole messages to its endpoint. Lives on the connection's shard.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/http/shared_frame.h"
#include "broker/stats/broker_stats.h"
#include "protocol/http_parser.h"
#include "protocol/permessage_deflate.h"
#include "protocol/websocket_frame.h"
#include "reactor/connection.h"

namespace ringcast::broker {

class ws_connection;

// What the messages of one WebSocket go to (an Engine.IO session, an echo, ...).
class ws_endpoint {
 public:
  virtual ~ws_endpoint() = default;
  virtual void on_ws_open(ws_connection&) noexcept {}
  virtual void on_ws_message(ws_connection& ws, std::string_view data, bool binary) noexcept = 0;
  // The connection is going away; the endpoint must forget it.
  virtual void on_ws_close(ws_connection& ws, reactor::close_reason why) noexcept = 0;
};


struct ws_settings {
  std::size_t max_message = 1'000'000;  // wire size, and inflated size of a compressed message
  bool permessage_deflate = true;       // accept a client's offer (we only ever inflate)
  broker_stats* stats = nullptr;        // close codes sent are counted here
};

class ws_connection final : public reactor::connection_handler {
 public:
  ws_connection(reactor::connection& c, std::unique_ptr<ws_endpoint> endpoint, const ws_settings& settings,
                std::optional<protocol::deflate_params> deflate);

  void on_data(reactor::connection& c, std::span<const std::byte> data) noexcept override;
  void on_close(reactor::connection& c, reactor::close_reason why) noexcept override;
  void on_shutdown(reactor::connection& c) noexcept override;

  reactor::send_status send_text(std::string_view payload);
  reactor::send_status send_binary(std::string_view payload);
  reactor::send_status send(const shared_frame& f) { return conn_->send(f.buf); }
  // Sends a close frame with `code` and closes the connection once it is written.
  void close(std::uint16_t code, std::string_view reason = {});

  reactor::connection& conn() noexcept { return *conn_; }
  ws_endpoint& endpoint() noexcept { return *endpoint_; }

 private:
  void fail(std::uint16_t code);
  void deliver(std::string_view payload, bool binary, bool compressed);

  reactor::connection* conn_;
  std::unique_ptr<ws_endpoint> endpoint_;
  protocol::websocket_decoder decoder_;
  std::size_t max_message_;
  broker_stats* stats_;
  std::unique_ptr<protocol::inflater> inflater_;  // only when permessage-deflate was agreed
  std::string inflated_;
  std::string in_;
  std::size_t in_start_ = 0;  // bytes before this offset are consumed
  bool close_sent_ = false;
};

// Completes the upgrade request `req` on `c`: checks the WebSocket headers, negotiates
// permessage-deflate, writes the 101 (or the rejection, and closes), and installs a
// ws_connection; `rest` is what followed the request. Returns nullptr when refused.
ws_connection* accept_websocket(reactor::connection& c, const protocol::http_request& req,
                                std::unique_ptr<ws_endpoint> endpoint, const ws_settings& settings,
                                std::string_view rest);

}  // namespace ringcast::broker
