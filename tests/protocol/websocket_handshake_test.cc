#include "protocol/websocket_handshake.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/base64.h"

namespace ringcast::protocol {
namespace {

constexpr std::string_view rfc_key = "dGhlIHNhbXBsZSBub25jZQ==";

TEST(websocket_handshake, rfc6455_accept_example) {
  EXPECT_EQ(websocket_accept(rfc_key), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(websocket_handshake, accept_depends_on_the_whole_key) {
  // Another 16-byte key: the digest must differ and still be 28 base64 characters.
  const std::string key = base64_encode("0123456789abcdef");
  const std::string accept = websocket_accept(key);
  EXPECT_NE(accept, websocket_accept(rfc_key));
  EXPECT_EQ(accept.size(), 28u);
  EXPECT_EQ(base64_decode(accept).value_or("").size(), 20u);
}

struct validate_case {
  std::string key;
  std::string version;
  handshake_error expected;
};

TEST(websocket_handshake, validate_upgrade) {
  const std::vector<validate_case> cases = {
      {std::string(rfc_key), "13", handshake_error::ok},
      {base64_encode(std::string(16, '\xff')), "13", handshake_error::ok},
      {std::string(rfc_key), "", handshake_error::bad_version},
      {std::string(rfc_key), "8", handshake_error::bad_version},
      {std::string(rfc_key), "12", handshake_error::bad_version},
      {std::string(rfc_key), "130", handshake_error::bad_version},
      {std::string(rfc_key), "13, 8", handshake_error::bad_version},
      {"", "13", handshake_error::bad_key},
      {"dGhlIHNhbXBsZSBub25jZQ=", "13", handshake_error::bad_key},            // 23 characters
      {"dGhlIHNhbXBsZSBub25jZQ", "13", handshake_error::bad_key},             // unpadded
      {"AAAAAAAAAAAAAAAAAAAAAAAA", "13", handshake_error::bad_key},           // 18 bytes
      {base64_encode(std::string(15, 'k')) + "=", "13", handshake_error::bad_key},
      {"dGhlIHNhbXBsZSBub25jZR==", "13", handshake_error::bad_key},           // non-canonical
      {"dGhlIHNhbXBsZSBub25jZ===", "13", handshake_error::bad_key},
      {"dGhlIHNhbXBsZSBub25j*Q==", "13", handshake_error::bad_key},
      {" dGhlIHNhbXBsZSBub25jZQ==", "13", handshake_error::bad_key},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(validate_upgrade(c.key, c.version), c.expected) << "key=" << c.key << " version=" << c.version;
  }
}

TEST(websocket_handshake, upgrade_response) {
  EXPECT_EQ(build_upgrade_response(rfc_key),
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "\r\n");
  EXPECT_EQ(build_upgrade_response(rfc_key, "permessage-deflate; client_max_window_bits=10", "Set-Cookie: io=x\r\n"),
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n"
            "Set-Cookie: io=x\r\n"
            "\r\n");
}

TEST(websocket_handshake, rejection_responses) {
  EXPECT_TRUE(handshake_rejection_response(handshake_error::ok).empty());
  const std::string_view version = handshake_rejection_response(handshake_error::bad_version);
  EXPECT_TRUE(version.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
  EXPECT_NE(version.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string_view::npos);
  EXPECT_TRUE(version.ends_with("\r\n\r\n"));
  const std::string_view key = handshake_rejection_response(handshake_error::bad_key);
  EXPECT_TRUE(key.starts_with("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_TRUE(key.ends_with("\r\n\r\n"));
}

}  // namespace
}  // namespace ringcast::protocol
