#pragma once
// Who a connection comes from, for per-client limits.
#include <string>

namespace ringcast::broker {

// The peer's IP address as bytes (the port left out: one host is one client), or "" if unknown.
std::string peer_address(int fd);

}  // namespace ringcast::broker
