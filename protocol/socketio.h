#pragma once

// Socket.IO v5 packets (sans-I/O), carried in Engine.IO message packets. Text form:
//   <type>[<attachments>-][<nsp>,][<ack id>][<JSON payload>]
// A BINARY_EVENT/BINARY_ACK is followed by its attachments, one binary message each; the JSON
// keeps {"_placeholder":true,"num":k} where attachment k belongs.

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::protocol {

enum class sio_packet_type : std::uint8_t {
  connect = 0,
  disconnect = 1,
  event = 2,
  ack = 3,
  connect_error = 4,
  binary_event = 5,
  binary_ack = 6,
};

// BINARY_EVENT and BINARY_ACK: the types followed by attachments.
constexpr bool is_binary_type(sio_packet_type t) noexcept {
  return t == sio_packet_type::binary_event || t == sio_packet_type::binary_ack;
}

// Every way a packet can be refused; the server closes the connection on any of them, as the
// reference does on a parser error.
enum class sio_error : std::uint8_t {
  ok,
  unknown_type,          // empty, or first character not '0'..'6'
  illegal_attachments,   // binary type without '<n>-', n a positive integer
  too_many_attachments,  // n over the configured limit
  bad_namespace,         // decode: longer than the limit; encode: not '/...' or contains ','
  bad_ack_id,            // more than a JavaScript safe integer (2^53 - 1)
  invalid_json,          // payload text is not JSON, nests too deep, or overflows a double
  invalid_payload,       // JSON, but not what the packet type allows
  bad_placeholder,       // a placeholder whose num is not an attachment index
  unused_attachment,     // an attachment no placeholder refers to (strict check only)
  unexpected_binary,     // a binary message when no attachment is expected
  unexpected_text,       // a text message while attachments are still expected
};

std::string_view to_string(sio_error e) noexcept;

// Reference maxAttachments default.
inline constexpr std::size_t sio_default_max_attachments = 10;

// Ack ids are JavaScript numbers on the other side: past 2^53 - 1 they lose precision.
inline constexpr std::uint64_t sio_max_ack_id = (std::uint64_t{1} << 53) - 1;

struct sio_packet {
  sio_packet_type type = sio_packet_type::event;
  std::string nsp = "/";
  std::optional<std::uint64_t> id;
  // Null when the packet has no payload: no type accepts a JSON null payload, so it is unambiguous.
  boost::json::value data;
  // BINARY_* only, in order; their count is the '<n>-' of the text form.
  std::vector<std::string> attachments;
};

// "connect", "disconnect", ...: names an EVENT may not carry, as they mean something to either side.
bool is_reserved_event(std::string_view name) noexcept;

// Whether `data` is a payload the reference accepts for `type` (its isPayloadValid): CONNECT an
// object or none, DISCONNECT none, EVENT a non-empty array led by a number or a non-reserved
// event name, ACK an array, CONNECT_ERROR an object or a string. Binary types as their base type.
bool is_payload_valid(sio_packet_type type, const boost::json::value& data) noexcept;

// Whether `v` holds an infinite or NaN double, which serializes to no valid JSON.
bool has_non_finite_number(const boost::json::value& v) noexcept;

// Checks the placeholders in `data` against `attachment_count`: each "num" must be an integer in
// [0, count) (the reference fails reconstruction otherwise); with `require_each_used`, every
// attachment must also be referenced at least once.
sio_error check_placeholders(const boost::json::value& data, std::size_t attachment_count,
                             bool require_each_used = true) noexcept;

struct sio_decoder_options {
  std::size_t max_attachments = sio_default_max_attachments;
  // Longest namespace accepted; real ones are short paths, this bounds what a session keys on.
  std::size_t max_namespace = 256;
  // JSON nesting limit: Boost.JSON's default of 32 would refuse payloads JSON.parse accepts.
  std::size_t max_depth = 64;
  // Off by default: the reference ignores attachments that no placeholder refers to.
  bool require_each_attachment_used = false;
};

enum class sio_status : std::uint8_t { packet, need_attachment, error };

// Assembles packets from the Engine.IO messages of one connection. Errors are sticky until
// reset(): after one the connection is to be closed. Lives on the connection's shard.
class sio_decoder {
 public:
  explicit sio_decoder(sio_decoder_options options = {});

  // A text message. Returns packet (filled in `out`), need_attachment (a BINARY_* header was
  // read), or error.
  sio_status feed_text(std::string_view text, sio_packet& out) noexcept;
  // A binary message: the next attachment of the pending BINARY_* packet.
  sio_status feed_binary(std::string_view bytes, sio_packet& out) noexcept;

  sio_error error() const noexcept { return error_; }
  bool awaiting_attachments() const noexcept { return expected_ != 0; }
  void reset() noexcept;

 private:
  sio_status fail(sio_error e) noexcept;
  sio_error parse_text(std::string_view text, std::size_t& attachments) noexcept;

  sio_decoder_options options_;
  sio_packet pending_;
  std::size_t expected_ = 0;  // attachments announced by pending_, 0 when none is pending
  sio_error error_ = sio_error::ok;
};

// Appends the text form of `p`, after the Engine.IO message type '4' when `eio_prefix`. For a
// BINARY_* packet the attachment count comes from p.attachments, which the caller sends next as
// binary messages. Refuses what the reference would not decode (bad namespace, payload or
// placeholders, no attachments for a binary type, a non-finite number); `out` is then unchanged.
sio_error encode_packet(std::string& out, const sio_packet& p, bool eio_prefix = false);

// Broadcast fast path: appends '42' + [<nsp>,] + '["<event>",<args...>]', the exact bytes of a
// WebSocket text frame, built once per broadcast. `nsp` is "/" (or empty) or "/name" without a
// comma; `event` is not a reserved name. Preconditions are the caller's, checked by asserts.
void encode_event(std::string& out, std::string_view nsp, std::string_view event,
                  const boost::json::array& args);
// Same with the arguments already serialized as a JSON array, e.g. `[{"id":1},"x"]` or `[]`.
// Text that is not '[...]' is a caller bug: it asserts, and release builds send no arguments.
void encode_event(std::string& out, std::string_view nsp, std::string_view event,
                  std::string_view args_json_array);

}  // namespace ringcast::protocol
