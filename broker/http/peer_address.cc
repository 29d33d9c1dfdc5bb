#include "broker/http/peer_address.h"

#include <netinet/in.h>
#include <sys/socket.h>

namespace ringcast::broker {

std::string peer_address(int fd) {
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return {};
  if (sa.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(sa).sin_addr;
    return std::string(reinterpret_cast<const char*>(&in), sizeof in);
  }
  if (sa.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(sa).sin6_addr;
    return std::string(reinterpret_cast<const char*>(&in6), sizeof in6);
  }
  return {};
}

}  // namespace ringcast::broker
