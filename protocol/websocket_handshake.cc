#include "protocol/websocket_handshake.h"

#include <openssl/sha.h>

#include <array>

#include "protocol/base64.h"

namespace ringcast::protocol {

namespace {

constexpr std::string_view accept_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// 16 bytes are 24 base64 characters, the last two of them padding.
constexpr std::size_t key_chars = 24;
constexpr std::size_t key_bytes = 16;

}  // namespace

handshake_error validate_upgrade(std::string_view key, std::string_view version) noexcept {
  if (version != "13") return handshake_error::bad_version;
  if (key.size() != key_chars) return handshake_error::bad_key;
  std::array<char, base64_decoded_max_size(key_chars)> decoded;
  const std::optional<std::size_t> n = base64_decode(key, decoded.data());
  if (n != key_bytes) return handshake_error::bad_key;
  return handshake_error::ok;
}

std::string_view handshake_rejection_response(handshake_error error) noexcept {
  switch (error) {
    case handshake_error::ok:
      return {};
    case handshake_error::bad_version:
      return "HTTP/1.1 426 Upgrade Required\r\n"
             "Sec-WebSocket-Version: 13\r\n"
             "Connection: close\r\n"
             "Content-Length: 0\r\n\r\n";
    case handshake_error::bad_key:
      break;
  }
  return "HTTP/1.1 400 Bad Request\r\n"
         "Connection: close\r\n"
         "Content-Length: 0\r\n\r\n";
}

std::string websocket_accept(std::string_view key) {
  std::string input;
  input.reserve(key.size() + accept_guid.size());
  input.append(key).append(accept_guid);
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  return base64_encode({reinterpret_cast<const char*>(digest.data()), digest.size()});
}

std::string build_upgrade_response(std::string_view key, std::string_view extensions,
                                   std::string_view extra_headers) {
  std::string out;
  out.reserve(160 + extensions.size() + extra_headers.size());
  out.append(
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ");
  out.append(websocket_accept(key)).append("\r\n");
  if (!extensions.empty()) out.append("Sec-WebSocket-Extensions: ").append(extensions).append("\r\n");
  out.append(extra_headers).append("\r\n");
  return out;
}

}  // namespace ringcast::protocol
