#include "broker/http/ws_connection.h"

#include "broker/stats/broker_stats.h"
#include "protocol/http_header.h"
#include "protocol/utf8.h"
#include "protocol/websocket_handshake.h"

namespace ringcast::broker {

using protocol::opcode;
namespace close_code = protocol::close_code;

ws_connection::ws_connection(reactor::connection& c, std::unique_ptr<ws_endpoint> endpoint,
                             const ws_settings& settings, std::optional<protocol::deflate_params> deflate)
    : conn_(&c),
      endpoint_(std::move(endpoint)),
      decoder_(protocol::decoder_options{settings.max_message, deflate.has_value()}),
      max_message_(settings.max_message),
      stats_(settings.stats) {
  if (deflate)
    inflater_ = std::make_unique<protocol::inflater>(deflate->client_max_window_bits, deflate->client_no_context_takeover);
}

void ws_connection::deliver(std::string_view payload, bool binary, bool compressed) {
  if (compressed) {
    inflated_.clear();
    // The cap applies to what the message becomes, so a small bomb cannot grow past it.
    switch (inflater_->inflate(payload, inflated_, max_message_)) {
      case protocol::inflate_status::ok:
        break;
      case protocol::inflate_status::too_big:
        fail(close_code::message_too_big);
        return;
      case protocol::inflate_status::corrupt:
        fail(close_code::invalid_payload);
        return;
    }
    if (!binary && !protocol::is_valid_utf8(inflated_)) {
      fail(close_code::invalid_payload);
      return;
    }
    payload = inflated_;
  }
  endpoint_->on_ws_message(*this, payload, binary);
}

void ws_connection::on_data(reactor::connection&, std::span<const std::byte> data) noexcept {
  in_.append(reinterpret_cast<const char*>(data.data()), data.size());
  while (!conn_->closing()) {
    auto buffered = std::span<std::byte>(reinterpret_cast<std::byte*>(in_.data()) + in_start_, in_.size() - in_start_);
    protocol::decode_result r = decoder_.decode(buffered);
    switch (r.kind) {
      case protocol::frame_event::text:
      case protocol::frame_event::binary:
        deliver(r.text(), r.kind == protocol::frame_event::binary, r.compressed);
        break;
      case protocol::frame_event::ping: {
        std::string pong;
        protocol::append_frame(pong, opcode::pong, r.text());
        conn_->send(pong);
        break;
      }
      case protocol::frame_event::pong:
        break;
      case protocol::frame_event::close:
        // Echo the peer's code, as RFC 6455 section 5.5.1 asks, then close once it is written.
        close(r.code == close_code::no_status ? close_code::normal : r.code);
        break;
      case protocol::frame_event::error:
        fail(r.code);
        return;
      case protocol::frame_event::need_more:
        break;
    }
    in_start_ += r.consumed;
    if (r.kind == protocol::frame_event::need_more) break;
  }
  // Keep only the unconsumed tail, without moving bytes on every frame.
  if (in_start_ == in_.size()) {
    in_.clear();
    in_start_ = 0;
  } else if (in_start_ > 4096 && in_start_ * 2 > in_.size()) {
    in_.erase(0, in_start_);
    in_start_ = 0;
  }
}

void ws_connection::on_close(reactor::connection&, reactor::close_reason why) noexcept {
  endpoint_->on_ws_close(*this, why);
}

void ws_connection::on_shutdown(reactor::connection&) noexcept {
  // "Going away": clients reconnect, to this server once it is back or to another one.
  if (!close_sent_) {
    std::string frame;
    protocol::append_close_frame(frame, close_code::going_away, "server shutting down");
    conn_->send(frame);
    close_sent_ = true;
  }
}

reactor::send_status ws_connection::send_text(std::string_view payload) {
  std::string frame;
  protocol::append_frame(frame, opcode::text, payload);
  return conn_->send(frame);
}

reactor::send_status ws_connection::send_binary(std::string_view payload) {
  std::string frame;
  protocol::append_frame(frame, opcode::binary, payload);
  return conn_->send(frame);
}

void ws_connection::close(std::uint16_t code, std::string_view reason) {
  if (!close_sent_) {
    if (stats_ && code >= 1000 && code < 1016) broker_stats::bump(stats_->ws_closes[code - 1000]);
    std::string frame;
    protocol::append_close_frame(frame, code, reason);
    conn_->send(frame);
    close_sent_ = true;
  }
  conn_->close(code == close_code::normal || code == close_code::going_away ? reactor::close_reason::app_closed
                                                                            : reactor::close_reason::protocol_error);
}

void ws_connection::fail(std::uint16_t code) { close(code); }

ws_connection* accept_websocket(reactor::connection& c, const protocol::http_request& req,
                                std::unique_ptr<ws_endpoint> endpoint, const ws_settings& settings,
                                std::string_view rest) {
  const std::string_view key = req.find_header("sec-websocket-key").value_or("");
  const std::string_view version = req.find_header("sec-websocket-version").value_or("");
  if (auto err = protocol::validate_upgrade(key, version); err != protocol::handshake_error::ok) {
    c.send(protocol::handshake_rejection_response(err));
    c.close(reactor::close_reason::protocol_error);
    return nullptr;
  }
  std::optional<protocol::deflate_params> deflate;
  if (settings.permessage_deflate) {
    // Several Sec-WebSocket-Extensions lines mean one comma-separated list (RFC 9110 5.3).
    std::string offers;
    for (const auto& h : req.headers) {
      if (!protocol::ascii_iequals(h.name, "sec-websocket-extensions")) continue;
      if (!offers.empty()) offers += ", ";
      offers += h.value;
    }
    if (!offers.empty()) deflate = protocol::negotiate_permessage_deflate(offers);
  }
  c.send(protocol::build_upgrade_response(key, deflate ? protocol::format_deflate_response(*deflate) : std::string()));
  auto ws = std::make_unique<ws_connection>(c, std::move(endpoint), settings, deflate);
  ws_connection* raw = ws.get();
  c.replace_handler(std::move(ws));
  raw->endpoint().on_ws_open(*raw);
  if (!rest.empty() && !c.closing()) raw->on_data(c, std::as_bytes(std::span<const char>(rest.data(), rest.size())));
  return raw;
}

}  // namespace ringcast::broker
