#pragma once
// The `tcp-echo` profile: every byte received is sent back. It exercises the reactor alone
// (accept, multishot recv, gathered sends, backpressure, shutdown) without any protocol.
#include <memory>

#include "reactor/shard.h"

namespace ringcast::reactor {

std::unique_ptr<shard_app> make_tcp_echo_app(shard& s);

}  // namespace ringcast::reactor
