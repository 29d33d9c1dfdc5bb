#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/utf8.h"

// WebSocket framing (RFC 6455 section 5), sans-I/O: a decoder over the caller's receive buffer
// and encoders that write into the caller's buffers. permessage-deflate (RFC 7692) is only
// signalled here (RSV1 -> `compressed`); protocol/permessage_deflate.h does the (de)compression.

namespace ringcast::protocol {

enum class opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Close status codes (RFC 6455 section 7.4.1) that this codec sends or reports.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005;  // reported for a close frame without a code
inline constexpr std::uint16_t abnormal = 1006;   // never on the wire: connection dropped
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t mandatory_extension = 1010;
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

// Codes a peer may put in a close frame: the defined ones, minus those reserved for local use
// (1004, 1005, 1006, 1015), plus the registered (3000-3999) and private (4000-4999) ranges.
[[nodiscard]] constexpr bool is_valid_close_code(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
         (code >= 3000 && code <= 4999);
}

using mask_key = std::array<std::byte, 4>;

// XORs `data` with the repeating `key`, starting at key byte `phase % 4`, eight bytes per step.
// Masking and unmasking are the same operation.
void apply_mask(std::span<std::byte> data, mask_key key, std::size_t phase = 0) noexcept;

// A server decodes masked client frames; a client (our load generator) decodes unmasked ones.
enum class role : std::uint8_t { server, client };

struct decoder_options {
  // Cap on a data message's wire size, summed over its fragments (compressed size when RSV1).
  std::size_t max_message_size = 1'000'000;
  // Set when permessage-deflate was negotiated: RSV1 is then legal on a data message's first frame.
  bool permessage_deflate = false;
  role side = role::server;
};

enum class frame_event : std::uint8_t { need_more, text, binary, ping, pong, close, error };

struct decode_result {
  frame_event kind = frame_event::need_more;
  // Bytes the caller must drop from the front of its buffer before the next call; it may be
  // non-zero with need_more, when fragments of a message were absorbed.
  std::size_t consumed = 0;
  // text/binary: the message; ping/pong: the application data; close: the reason (UTF-8).
  std::span<const std::byte> payload;
  // close: the peer's status code (close_code::no_status if it sent none).
  // error: the code to close the connection with (1002, 1007 or 1009).
  std::uint16_t code = 0;
  // text/binary: RSV1 was set, the payload is deflated and its UTF-8 is not yet validated.
  bool compressed = false;
  // need_more: the buffer (after dropping `consumed`) must hold at least this many bytes for
  // the decoder to progress; it is the whole frame once the header has been read.
  std::size_t need = 0;

  [[nodiscard]] std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(payload.data()), payload.size()};
  }
};

// Incremental frame decoder for one connection, picohttpparser style. The caller owns a buffer
// of received, not yet consumed bytes and calls decode() on all of it whenever it grows:
//
//   for (;;) { auto r = dec.decode(buf); handle(r); buf.drop_front(r.consumed);
//              if (r.kind == need_more or error) break; }
//
// - The decoder unmasks payload bytes in place as they arrive (and validates text as UTF-8 as it
//   goes, so bad text fails before the rest of the frame arrives). Between calls the caller must
//   keep the unconsumed bytes exactly as they are and only append after them; the buffer may be
//   moved or reallocated.
// - A whole frame must fit in the buffer: `need` says how big it has to be.
// - Lifetimes: the payload of an unfragmented message or a control frame points into the
//   caller's buffer (no copy, no allocation) and lives until the caller drops or changes those
//   bytes. A fragmented message is assembled internally; its payload lives until the next
//   decode() or reset().
// - Control frames interleaved in a fragmented message are returned as they come; the
//   message continues after them.
// - error is sticky: the connection is to be failed with `code`. After a close the caller
//   answers it and stops decoding; the decoder itself does not refuse later frames.
// Owned by the shard of its connection; not thread-safe.
class websocket_decoder {
 public:
  explicit websocket_decoder(decoder_options options = {}) noexcept : options_(options) {}

  [[nodiscard]] decode_result decode(std::span<std::byte> buffered) noexcept;

  // Forgets any partial message and error, keeping the options.
  void reset() noexcept;

  [[nodiscard]] const decoder_options& options() const noexcept { return options_; }
  // True while a fragmented message is being assembled.
  [[nodiscard]] bool in_message() const noexcept { return message_op_ != opcode::continuation; }

 private:
  struct frame_header {
    bool fin = false;
    bool rsv1 = false;
    opcode op = opcode::continuation;
    bool masked = false;
    mask_key key{};
    std::size_t header_size = 2;  // until complete: how many header bytes are needed
    std::uint64_t payload_len = 0;
  };

  [[nodiscard]] std::uint16_t parse_header(std::span<const std::byte> in, frame_header& h) const noexcept;
  [[nodiscard]] bool validates_text(const frame_header& h) const noexcept;
  [[nodiscard]] decode_result control_result(const frame_header& h, std::span<const std::byte> payload,
                                             std::size_t consumed) noexcept;
  [[nodiscard]] decode_result message_result(opcode op, bool compressed, std::span<const std::byte> payload,
                                             std::size_t consumed) noexcept;
  [[nodiscard]] decode_result fail(std::uint16_t code) noexcept;

  decoder_options options_;
  // Payload bytes of the frame at the front of the buffer already unmasked and validated.
  std::size_t processed_ = 0;
  // The fragmented message in progress: continuation means none.
  opcode message_op_ = opcode::continuation;
  bool message_compressed_ = false;
  // The last result pointed into message_, so it is cleared at the next call, not before.
  bool release_message_ = false;
  std::uint16_t error_ = 0;
  utf8_validator utf8_;
  std::vector<std::byte> message_;
};

// ---- Encoding. Servers send unmasked frames; clients must mask (RFC 6455 section 5.3). ----

inline constexpr std::size_t max_frame_header_size = 14;
inline constexpr std::size_t max_control_payload = 125;
inline constexpr std::size_t max_close_reason = max_control_payload - 2;

// Size of an unmasked frame header; a masked one is 4 bytes longer.
[[nodiscard]] constexpr std::size_t frame_header_size(std::size_t payload_len) noexcept {
  return payload_len < 126 ? 2 : payload_len <= 0xFFFF ? 4 : 10;
}

// Writes an unmasked header, so a broadcast frame is encoded once into a buffer shared by all
// recipients; returns frame_header_size(payload_len). `rsv1` marks a deflated data message's
// first frame.
std::size_t write_frame_header(std::byte* out, opcode op, std::size_t payload_len, bool fin = true,
                               bool rsv1 = false) noexcept;
// Client side: the header carries `key`, and the caller masks the payload with apply_mask().
std::size_t write_masked_frame_header(std::byte* out, opcode op, std::size_t payload_len, mask_key key,
                                      bool fin = true, bool rsv1 = false) noexcept;

void append_frame(std::string& out, opcode op, std::string_view payload, bool fin = true, bool rsv1 = false);
// Client side, with a caller-chosen key (which a real client must draw from a strong RNG).
void append_masked_frame(std::string& out, opcode op, std::string_view payload, mask_key key, bool fin = true,
                         bool rsv1 = false);

// A close frame's payload: the code big-endian, then the reason cut to max_close_reason bytes
// at a UTF-8 character boundary. close_code::no_status gives the empty payload.
[[nodiscard]] std::string close_payload(std::uint16_t code, std::string_view reason);
void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason);

}  // namespace ringcast::protocol
