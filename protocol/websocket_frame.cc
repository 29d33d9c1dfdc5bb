#include "protocol/websocket_frame.h"

#include <algorithm>
#include <cstring>

namespace ringcast::protocol {

namespace {

constexpr std::byte fin_bit{0x80};
constexpr std::byte rsv1_bit{0x40};
constexpr std::byte rsv23_bits{0x30};
constexpr std::byte mask_bit{0x80};

// Messages larger than this give their assembly buffer back once delivered, so idle
// connections do not each keep a megabyte around.
constexpr std::size_t retained_message_capacity = 64 * 1024;

constexpr bool is_control(opcode op) noexcept { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

constexpr bool is_known(std::uint8_t op) noexcept { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

std::uint64_t read_be(const std::byte* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
  return v;
}

std::size_t write_header(std::byte* out, opcode op, std::size_t len, bool fin, bool rsv1,
                         const mask_key* key) noexcept {
  out[0] = std::byte{static_cast<std::uint8_t>(op)} | (fin ? fin_bit : std::byte{0}) |
           (rsv1 ? rsv1_bit : std::byte{0});
  const std::byte masked = key != nullptr ? mask_bit : std::byte{0};
  std::size_t n = 2;
  if (len < 126) {
    out[1] = masked | std::byte{static_cast<std::uint8_t>(len)};
  } else {
    const std::size_t ext = len <= 0xFFFF ? 2 : 8;
    out[1] = masked | std::byte{static_cast<std::uint8_t>(ext == 2 ? 126 : 127)};
    for (std::size_t i = 0; i < ext; ++i) {
      out[2 + i] = std::byte{static_cast<std::uint8_t>(static_cast<std::uint64_t>(len) >> (8 * (ext - 1 - i)))};
    }
    n += ext;
  }
  if (key != nullptr) {
    std::memcpy(out + n, key->data(), key->size());
    n += key->size();
  }
  return n;
}

void append_encoded(std::string& out, opcode op, std::string_view payload, bool fin, bool rsv1,
                    const mask_key* key) {
  const std::size_t start = out.size();
  out.resize(start + max_frame_header_size + payload.size());
  auto* dst = reinterpret_cast<std::byte*>(out.data() + start);
  const std::size_t header = write_header(dst, op, payload.size(), fin, rsv1, key);
  if (!payload.empty()) std::memcpy(dst + header, payload.data(), payload.size());
  if (key != nullptr) apply_mask({dst + header, payload.size()}, *key);
  out.resize(start + header + payload.size());
}

}  // namespace

void apply_mask(std::span<std::byte> data, mask_key key, std::size_t phase) noexcept {
  std::byte rotated[8];
  for (std::size_t i = 0; i < 8; ++i) rotated[i] = key[(phase + i) & 3];
  std::uint64_t wide;
  std::memcpy(&wide, rotated, sizeof wide);

  std::byte* p = data.data();
  std::size_t n = data.size();
  // A step of 8 keeps the key phase, so one rotated word serves the whole run.
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    word ^= wide;
    std::memcpy(p, &word, sizeof word);
  }
  for (std::size_t i = 0; i < n; ++i) p[i] ^= rotated[i];
}

void websocket_decoder::reset() noexcept {
  processed_ = 0;
  message_op_ = opcode::continuation;
  message_compressed_ = false;
  release_message_ = false;
  error_ = 0;
  utf8_.reset();
  message_.clear();
}

decode_result websocket_decoder::fail(std::uint16_t code) noexcept {
  error_ = code;
  decode_result r;
  r.kind = frame_event::error;
  r.code = code;
  return r;
}

// Returns a close code when the frame is illegal, else 0 with `h` filled as far as `in` allows;
// every check that the first two bytes allow runs before the rest of the header is there.
std::uint16_t websocket_decoder::parse_header(std::span<const std::byte> in, frame_header& h) const noexcept {
  if (in.size() < 2) return 0;
  const std::byte b0 = in[0];
  const std::byte b1 = in[1];
  const auto raw_op = std::to_integer<std::uint8_t>(b0 & std::byte{0x0F});
  if (!is_known(raw_op)) return close_code::protocol_error;
  h.op = static_cast<opcode>(raw_op);
  h.fin = (b0 & fin_bit) != std::byte{0};
  h.rsv1 = (b0 & rsv1_bit) != std::byte{0};
  h.masked = (b1 & mask_bit) != std::byte{0};
  const auto len7 = std::to_integer<std::uint8_t>(b1 & std::byte{0x7F});

  if ((b0 & rsv23_bits) != std::byte{0}) return close_code::protocol_error;
  // RFC 7692 section 6: RSV1 marks a whole message, so it lives on its first frame only.
  if (h.rsv1 && (!options_.permessage_deflate || (h.op != opcode::text && h.op != opcode::binary))) {
    return close_code::protocol_error;
  }
  if (h.masked != (options_.side == role::server)) return close_code::protocol_error;
  if (is_control(h.op)) {
    if (!h.fin || len7 > max_control_payload) return close_code::protocol_error;
  } else if ((h.op == opcode::continuation) != in_message()) {
    return close_code::protocol_error;
  }

  const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  h.header_size = 2 + ext + (h.masked ? 4 : 0);
  if (in.size() < h.header_size) return 0;
  h.payload_len = ext != 0 ? read_be(in.data() + 2, ext) : len7;
  if (h.payload_len >> 63 != 0) return close_code::protocol_error;
  if (!is_control(h.op) && h.payload_len > options_.max_message_size - message_.size()) {
    return close_code::message_too_big;
  }
  if (h.masked) std::memcpy(h.key.data(), in.data() + 2 + ext, h.key.size());
  return 0;
}

bool websocket_decoder::validates_text(const frame_header& h) const noexcept {
  if (h.op == opcode::text) return !h.rsv1;
  return h.op == opcode::continuation && message_op_ == opcode::text && !message_compressed_;
}

decode_result websocket_decoder::decode(std::span<std::byte> buffered) noexcept {
  if (error_ != 0) return fail(error_);
  if (release_message_) {
    release_message_ = false;
    if (message_.capacity() > retained_message_capacity) {
      std::vector<std::byte>().swap(message_);
    } else {
      message_.clear();
    }
  }

  std::size_t pos = 0;
  for (;;) {
    const std::span<std::byte> rest = buffered.subspan(pos);
    frame_header h;
    if (const std::uint16_t err = parse_header(rest, h); err != 0) return fail(err);
    if (rest.size() < h.header_size) {
      decode_result r;
      r.consumed = pos;
      r.need = h.header_size;
      return r;
    }

    // The caps checked in parse_header keep this sum far from overflowing.
    const std::size_t frame_size = h.header_size + static_cast<std::size_t>(h.payload_len);
    const std::span<std::byte> payload =
        rest.subspan(h.header_size, std::min(rest.size(), frame_size) - h.header_size);
    const std::size_t done = std::min(processed_, payload.size());
    const std::span<std::byte> fresh = payload.subspan(done);
    if (h.masked) apply_mask(fresh, h.key, done);
    processed_ = payload.size();
    if (validates_text(h) && !utf8_.feed(fresh)) return fail(close_code::invalid_payload);
    if (payload.size() < h.payload_len) {
      decode_result r;
      r.consumed = pos;
      r.need = frame_size;
      return r;
    }

    processed_ = 0;
    pos += frame_size;
    if (is_control(h.op)) return control_result(h, payload, pos);
    if (h.fin && !in_message()) return message_result(h.op, h.rsv1, payload, pos);
    if (!in_message()) {
      message_op_ = h.op;
      message_compressed_ = h.rsv1;
    }
    message_.insert(message_.end(), payload.begin(), payload.end());
    if (h.fin) {
      const opcode op = message_op_;
      message_op_ = opcode::continuation;
      release_message_ = true;
      return message_result(op, message_compressed_, message_, pos);
    }
  }
}

decode_result websocket_decoder::message_result(opcode op, bool compressed, std::span<const std::byte> payload,
                                                std::size_t consumed) noexcept {
  // Compressed text is validated by the caller after inflating; utf8_ was not fed then. A
  // complete validator is back in its initial state, ready for the next message.
  if (op == opcode::text && !compressed && !utf8_.complete()) return fail(close_code::invalid_payload);
  decode_result r;
  r.kind = op == opcode::text ? frame_event::text : frame_event::binary;
  r.consumed = consumed;
  r.payload = payload;
  r.compressed = compressed;
  return r;
}

decode_result websocket_decoder::control_result(const frame_header& h, std::span<const std::byte> payload,
                                                std::size_t consumed) noexcept {
  decode_result r;
  r.consumed = consumed;
  r.payload = payload;
  switch (h.op) {
    case opcode::ping:
      r.kind = frame_event::ping;
      return r;
    case opcode::pong:
      r.kind = frame_event::pong;
      return r;
    default:
      break;
  }
  r.kind = frame_event::close;
  if (payload.empty()) {
    r.code = close_code::no_status;
    return r;
  }
  if (payload.size() < 2) return fail(close_code::protocol_error);
  r.code = static_cast<std::uint16_t>(read_be(payload.data(), 2));
  r.payload = payload.subspan(2);
  if (!is_valid_close_code(r.code) || !is_valid_utf8(r.payload)) return fail(close_code::protocol_error);
  return r;
}

std::size_t write_frame_header(std::byte* out, opcode op, std::size_t payload_len, bool fin, bool rsv1) noexcept {
  return write_header(out, op, payload_len, fin, rsv1, nullptr);
}

std::size_t write_masked_frame_header(std::byte* out, opcode op, std::size_t payload_len, mask_key key, bool fin,
                                      bool rsv1) noexcept {
  return write_header(out, op, payload_len, fin, rsv1, &key);
}

void append_frame(std::string& out, opcode op, std::string_view payload, bool fin, bool rsv1) {
  append_encoded(out, op, payload, fin, rsv1, nullptr);
}

void append_masked_frame(std::string& out, opcode op, std::string_view payload, mask_key key, bool fin,
                         bool rsv1) {
  append_encoded(out, op, payload, fin, rsv1, &key);
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string out;
  if (code == close_code::no_status) return out;
  if (reason.size() > max_close_reason) {
    std::size_t cut = max_close_reason;
    // Step back over continuation bytes so the cut never splits a character.
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  out.reserve(2 + reason.size());
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason);
  return out;
}

void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason) {
  append_frame(out, opcode::close, close_payload(code, reason));
}

}  // namespace ringcast::protocol
