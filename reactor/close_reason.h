#pragma once
// Why a connection ended. Every close carries one; the shard counts them by reason for metrics.
#include <cstddef>
#include <string_view>

namespace ringcast::reactor {

enum class close_reason : unsigned char {
  peer_closed,     // the peer sent FIN or reset the connection
  protocol_error,  // the application found the peer's bytes invalid
  slow_consumer,   // the send queue passed its cap: the peer does not read fast enough
  auth_failed,
  idle,            // a heartbeat or idle timer expired
  shutdown,        // the server is stopping
  io_error,        // a syscall on this connection failed
  app_closed,      // the application ended the connection for its own reasons
};
inline constexpr std::size_t close_reason_count = 8;

constexpr std::string_view to_string(close_reason r) noexcept {
  switch (r) {
    case close_reason::peer_closed: return "peer_closed";
    case close_reason::protocol_error: return "protocol_error";
    case close_reason::slow_consumer: return "slow_consumer";
    case close_reason::auth_failed: return "auth_failed";
    case close_reason::idle: return "idle";
    case close_reason::shutdown: return "shutdown";
    case close_reason::io_error: return "io_error";
    case close_reason::app_closed: return "app_closed";
  }
  return "unknown";
}

}  // namespace ringcast::reactor
