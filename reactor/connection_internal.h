#pragma once
// Reactor-private parts of a connection that both the loop (shard.cc) and the connection's own
// lifecycle (connection.cc) touch. Not for the application.
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstddef>
#include <string>

#include "reactor/connection.h"

namespace ringcast::reactor {

// An in-flight sendmsg: the kernel may read msghdr and iovecs until the completion, so they live
// here, pooled per shard, rather than in every connection (an idle connection needs none).
struct send_op {
  static constexpr std::size_t max_iov = 64;
  msghdr msg{};
  iovec iov[max_iov];
  std::size_t len = 0;       // bytes gathered
  bool whole_queue = false;  // the queue fit in iov: a full write leaves nothing behind
};

// A socket on its way to another shard (connection::hand_off).
struct handoff {
  unsigned target;
  std::string unconsumed;
  connection::arrival_fn arrive;
  int fd = -1;  // owned while in transit; closed if the message never arrives (shutdown)
  ~handoff() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace ringcast::reactor
