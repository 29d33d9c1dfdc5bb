#pragma once

// Engine.IO v4 packets and polling payloads (sans-I/O). A text packet is '<type digit><data>';
// a binary message is a raw binary WebSocket frame, or 'b' + base64 inside a polling payload,
// where packets are joined by the record separator 0x1e.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::protocol {

enum class eio_packet_type : std::uint8_t {
  open = 0,
  close = 1,
  ping = 2,
  pong = 3,
  message = 4,
  upgrade = 5,
  noop = 6,
};

enum class eio_error : std::uint8_t {
  ok,
  empty_payload,  // a polling body with no bytes
  empty_packet,   // a frame, or a segment between separators, with no type character
  unknown_type,   // first character is not '0'..'6' nor 'b'
  bad_base64,     // 'b' packet whose data is not valid base64
  too_large,      // body or frame over the configured maximum
};

std::string_view to_string(eio_error e) noexcept;

// The reference server's default maxHttpBufferSize (1e6 bytes), which also bounds WebSocket frames.
inline constexpr std::size_t eio_default_max_payload = 1'000'000;

inline constexpr char eio_record_separator = '\x1e';

// An owned packet, as decoded from a polling body or queued for one.
struct eio_packet {
  eio_packet_type type = eio_packet_type::message;
  bool binary = false;  // only a message carries binary data
  std::string data;

  friend bool operator==(const eio_packet&, const eio_packet&) = default;
};

// A packet that borrows its data: from the decoded frame, or from the caller's scratch string.
struct eio_packet_view {
  eio_packet_type type = eio_packet_type::message;
  bool binary = false;
  std::string_view data;
};

enum class eio_frame : std::uint8_t { text, binary };

// Decodes one WebSocket message. A binary frame is a binary message as-is; a text frame is a
// typed packet, or 'b' + base64 (the reference accepts that on any transport), decoded into
// `scratch`, which must outlive `out`. On error `out` is unspecified.
eio_error decode_frame(std::string_view frame, eio_frame kind, eio_packet_view& out,
                       std::string& scratch,
                       std::size_t max_payload = eio_default_max_payload) noexcept;

// Decodes a polling POST body into `out` (appended). On error, the packets before the faulty
// one stay in `out`: the reference handles those before it closes the session.
eio_error decode_payload(std::string_view body, std::vector<eio_packet>& out,
                         std::size_t max_payload = eio_default_max_payload) noexcept;

// Appends a text packet: the type digit, then the data.
void encode_text_packet(std::string& out, eio_packet_type type, std::string_view data);

// Appends the frame payload for `p` and tells which WebSocket opcode carries it: a binary message
// goes raw in a binary frame, anything else as a text packet.
eio_frame encode_frame(std::string& out, const eio_packet_view& p);

// Appends a polling body: packets joined by 0x1e, binary messages as 'b' + base64.
void encode_payload(std::string& out, std::span<const eio_packet> packets);
std::string encode_payload(std::span<const eio_packet> packets);

// The handshake data of the open packet; defaults are the reference server's.
struct eio_handshake {
  std::string sid;
  std::vector<std::string> upgrades{"websocket"};
  std::uint64_t ping_interval_ms = 25000;
  std::uint64_t ping_timeout_ms = 20000;
  std::uint64_t max_payload = eio_default_max_payload;
};

// Appends '0{"sid":..,"upgrades":[..],"pingInterval":..,"pingTimeout":..,"maxPayload":..}',
// keys in the reference server's order.
void encode_open_packet(std::string& out, const eio_handshake& h);

// The reference server's handshake/request errors; values are the wire codes.
enum class eio_server_error : std::uint8_t {
  unknown_transport = 0,
  unknown_sid = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5,
};

// "Transport unknown", "Session ID unknown", ...: the reference's errorMessages.
std::string_view message(eio_server_error e) noexcept;

// 403 for forbidden, 400 for the rest, as the reference answers polling requests.
int http_status(eio_server_error e) noexcept;

// '{"code":N,"message":"..."}'. `message_override` replaces the standard message, as the
// reference does when allowRequest refuses with its own text.
std::string error_body(eio_server_error e, std::string_view message_override = {});

}  // namespace ringcast::protocol
