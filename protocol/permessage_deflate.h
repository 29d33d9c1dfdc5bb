#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

// permessage-deflate (RFC 7692), server side: negotiation from the client's
// Sec-WebSocket-Extensions offer, and the per-message inflater and deflater. Framing (RSV1)
// is in protocol/websocket_frame.h.

typedef struct z_stream_s z_stream;

namespace ringcast::protocol {

// The agreed parameters (RFC 7692 section 7.1).
struct deflate_params {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  // Our deflater's window; 9..15, since zlib cannot make raw deflate with a 256-byte window.
  std::uint8_t server_max_window_bits = 15;
  // The window the client may use, which our inflater must accept; 8..15.
  std::uint8_t client_max_window_bits = 15;
  // The response must echo server_max_window_bits when the offer carried it.
  bool send_server_max_window_bits = false;
};

// What this server agrees to. Smaller windows and no context takeover trade compression for
// memory: a deflater with a 2^15 window costs about 256 KiB per connection.
struct deflate_policy {
  std::uint8_t server_max_window_bits = 15;  // clamped to 9..15
  // Asked of the client only when its offer has client_max_window_bits (RFC 7692 7.1.2.2).
  std::uint8_t client_max_window_bits = 15;  // clamped to 8..15
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
};

// Accepts the first acceptable permessage-deflate offer in a Sec-WebSocket-Extensions value
// (repeated header lines joined with ", "). An offer with an unknown, duplicate or invalid
// parameter is declined (RFC 7692 section 5), and so is one asking for an 8-bit server window;
// other extensions are ignored. nullopt when nothing is acceptable or the header does not
// parse: the connection then goes on uncompressed.
[[nodiscard]] std::optional<deflate_params> negotiate_permessage_deflate(std::string_view offers,
                                                                         const deflate_policy& policy = {}) noexcept;

// The Sec-WebSocket-Extensions value of the response, e.g.
// "permessage-deflate; client_no_context_takeover; client_max_window_bits=10".
[[nodiscard]] std::string format_deflate_response(const deflate_params& params);

enum class inflate_status : std::uint8_t {
  ok,
  too_big,  // more than the cap: close with 1009
  corrupt,  // not a deflate stream: close with 1007
};

// Inflates the messages of one connection (server side: window_bits = client_max_window_bits,
// no_context_takeover = client_no_context_takeover). The zlib state is created on the first
// message, so connections that never compress pay nothing. Owned by the connection's shard.
class inflater {
 public:
  inflater(int window_bits, bool no_context_takeover) noexcept;
  ~inflater();
  inflater(inflater&&) noexcept;
  inflater& operator=(inflater&&) noexcept;

  // Appends the inflated message to `out`, producing at most max_size + 1 bytes so that a
  // deflate bomb costs no more than the cap. After too_big or corrupt the connection is failed;
  // the inflater is unusable until reset().
  [[nodiscard]] inflate_status inflate(std::span<const std::byte> message, std::string& out,
                                       std::size_t max_size) noexcept;
  [[nodiscard]] inflate_status inflate(std::string_view message, std::string& out, std::size_t max_size) noexcept;

  void reset() noexcept;

 private:
  std::unique_ptr<z_stream> stream_;
  int window_bits_;
  bool no_context_takeover_;
};

// Deflates the messages of one connection (server side: window_bits = server_max_window_bits,
// no_context_takeover = server_no_context_takeover). Created lazily like the inflater.
class deflater {
 public:
  // level and mem_level as for zlib's deflateInit2; mem_level 8 is zlib's default.
  deflater(int window_bits, bool no_context_takeover, int level = 6, int mem_level = 8) noexcept;
  ~deflater();
  deflater(deflater&&) noexcept;
  deflater& operator=(deflater&&) noexcept;

  // Appends the compressed payload of one message (a sync-flushed deflate stream minus its
  // trailing 00 00 ff ff, RFC 7692 section 7.2.1) to `out`. False only if zlib fails.
  [[nodiscard]] bool deflate(std::string_view message, std::string& out) noexcept;

 private:
  std::unique_ptr<z_stream> stream_;
  int window_bits_;
  bool no_context_takeover_;
  int level_;
  int mem_level_;
};

}  // namespace ringcast::protocol
