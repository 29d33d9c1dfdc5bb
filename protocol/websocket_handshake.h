#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// The server side of the WebSocket opening handshake (RFC 6455 section 4.2). The HTTP layer
// parses the request and checks the Upgrade/Connection tokens (http_request::upgrade_websocket);
// this file checks the WebSocket-specific values and writes the 101 response.

namespace ringcast::protocol {

enum class handshake_error : std::uint8_t {
  ok,
  bad_version,  // Sec-WebSocket-Version missing or not 13
  bad_key,      // Sec-WebSocket-Key missing or not the base64 of 16 bytes
};

// Both values as received (OWS already trimmed by the HTTP parser); empty when absent.
[[nodiscard]] handshake_error validate_upgrade(std::string_view key, std::string_view version) noexcept;

// The complete response that refuses the upgrade: 426 with the supported version for
// bad_version (RFC 6455 section 4.4), 400 for bad_key. Empty for ok.
[[nodiscard]] std::string_view handshake_rejection_response(handshake_error error) noexcept;

// base64(SHA-1(key + the RFC's GUID)): 28 characters.
[[nodiscard]] std::string websocket_accept(std::string_view key);

// "HTTP/1.1 101 Switching Protocols" with Upgrade, Connection and Sec-WebSocket-Accept; then
// "Sec-WebSocket-Extensions: <extensions>" when non-empty (e.g. the output of
// format_deflate_response) and `extra_headers` verbatim (complete "Name: value\r\n" lines).
[[nodiscard]] std::string build_upgrade_response(std::string_view key, std::string_view extensions = {},
                                                 std::string_view extra_headers = {});

}  // namespace ringcast::protocol
