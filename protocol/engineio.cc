#include "protocol/engineio.h"

#include <array>

#include "protocol/base64.h"
#include "protocol/json_string.h"

namespace ringcast::protocol {
namespace {

constexpr std::array<std::string_view, 6> server_error_messages{
    "Transport unknown", "Session ID unknown", "Bad handshake method",
    "Bad request",       "Forbidden",          "Unsupported protocol version",
};

// Decodes one text packet (a whole text frame, or one segment of a polling body).
eio_error decode_text(std::string_view text, eio_packet_view& out, std::string& scratch) noexcept {
  if (text.empty()) return eio_error::empty_packet;
  const char c = text.front();
  if (c == 'b') {
    scratch.clear();
    if (!base64_decode(text.substr(1), scratch)) return eio_error::bad_base64;
    out = {eio_packet_type::message, true, scratch};
    return eio_error::ok;
  }
  if (c < '0' || c > '6') return eio_error::unknown_type;
  out = {static_cast<eio_packet_type>(c - '0'), false, text.substr(1)};
  return eio_error::ok;
}

}  // namespace

std::string_view to_string(eio_error e) noexcept {
  switch (e) {
    case eio_error::ok: return "ok";
    case eio_error::empty_payload: return "empty payload";
    case eio_error::empty_packet: return "empty packet";
    case eio_error::unknown_type: return "unknown packet type";
    case eio_error::bad_base64: return "bad base64";
    case eio_error::too_large: return "payload too large";
  }
  return "unknown error";
}

eio_error decode_frame(std::string_view frame, eio_frame kind, eio_packet_view& out,
                       std::string& scratch, std::size_t max_payload) noexcept {
  if (frame.size() > max_payload) return eio_error::too_large;
  if (kind == eio_frame::binary) {
    out = {eio_packet_type::message, true, frame};
    return eio_error::ok;
  }
  return decode_text(frame, out, scratch);
}

eio_error decode_payload(std::string_view body, std::vector<eio_packet>& out,
                         std::size_t max_payload) noexcept {
  if (body.empty()) return eio_error::empty_payload;
  if (body.size() > max_payload) return eio_error::too_large;
  std::string scratch;
  for (;;) {
    const auto sep = body.find(eio_record_separator);
    eio_packet_view p;
    if (const auto e = decode_text(body.substr(0, sep), p, scratch); e != eio_error::ok) return e;
    if (p.binary) {
      out.push_back({p.type, true, std::move(scratch)});
    } else {
      out.push_back({p.type, false, std::string(p.data)});
    }
    if (sep == std::string_view::npos) return eio_error::ok;
    body.remove_prefix(sep + 1);
  }
}

void encode_text_packet(std::string& out, eio_packet_type type, std::string_view data) {
  out.push_back(static_cast<char>('0' + static_cast<int>(type)));
  out.append(data);
}

eio_frame encode_frame(std::string& out, const eio_packet_view& p) {
  if (p.binary) {
    out.append(p.data);
    return eio_frame::binary;
  }
  encode_text_packet(out, p.type, p.data);
  return eio_frame::text;
}

void encode_payload(std::string& out, std::span<const eio_packet> packets) {
  for (std::size_t i = 0; i < packets.size(); ++i) {
    if (i != 0) out.push_back(eio_record_separator);
    const auto& p = packets[i];
    if (p.binary) {
      out.push_back('b');
      base64_encode(p.data, out);
    } else {
      encode_text_packet(out, p.type, p.data);
    }
  }
}

std::string encode_payload(std::span<const eio_packet> packets) {
  std::string out;
  encode_payload(out, packets);
  return out;
}

void encode_open_packet(std::string& out, const eio_handshake& h) {
  out.append("0{\"sid\":");
  append_json_string(out, h.sid);
  out.append(",\"upgrades\":[");
  for (std::size_t i = 0; i < h.upgrades.size(); ++i) {
    if (i != 0) out.push_back(',');
    append_json_string(out, h.upgrades[i]);
  }
  out.append("],\"pingInterval\":");
  append_json_uint(out, h.ping_interval_ms);
  out.append(",\"pingTimeout\":");
  append_json_uint(out, h.ping_timeout_ms);
  out.append(",\"maxPayload\":");
  append_json_uint(out, h.max_payload);
  out.push_back('}');
}

std::string_view message(eio_server_error e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < server_error_messages.size() ? server_error_messages[i] : "Bad request";
}

int http_status(eio_server_error e) noexcept {
  return e == eio_server_error::forbidden ? 403 : 400;
}

std::string error_body(eio_server_error e, std::string_view message_override) {
  std::string out("{\"code\":");
  append_json_uint(out, static_cast<std::uint64_t>(e));
  out.append(",\"message\":");
  append_json_string(out, message_override.empty() ? message(e) : message_override);
  out.push_back('}');
  return out;
}

}  // namespace ringcast::protocol
