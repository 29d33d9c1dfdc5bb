#pragma once
// A complete server WebSocket frame (header + payload) in one shared buffer: encoded once, then
// sent as-is to every WebSocket recipient, or unwrapped (payload()) for a polling recipient.
#include <cstdint>
#include <string_view>

#include "protocol/websocket_frame.h"
#include "reactor/buffer.h"

namespace ringcast::broker {

struct shared_frame {
  reactor::buffer_ref buf;
  std::uint8_t header = 0;
  bool binary = false;

  std::string_view payload() const noexcept { return buf->view().substr(header); }
  bool empty() const noexcept { return !buf; }
};

// One frame whose payload is `prefix` followed by `body` (e.g. the Engine.IO type and the data).
shared_frame make_shared_frame(protocol::opcode op, std::string_view prefix, std::string_view body);

}  // namespace ringcast::broker
