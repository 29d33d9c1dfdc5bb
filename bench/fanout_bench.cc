// Fan-out of one encoded message to N local recipients through the reactor's send path, minus
// the syscall: the broadcast is encoded once into a shared frame (encode_event + make_shared_frame,
// as broker/bench_profile.cc does), a reference is pushed onto each recipient's send_queue, and
// each queue is gathered into iovecs and consumed as a completed send would. Items are deliveries.
//
// Why not through reactor::connection: connections only exist on a running shard with real file
// descriptors and io_uring, so their send() is not callable without sockets; send_queue is the
// part of connection::send that does the per-recipient work.
//
// BM_fanout_copy is the baseline the shared buffer avoids: one private copy per recipient.
// BM_fanout_coalesced pushes B messages before each queue is gathered once, as a busy loop
// iteration does (one write per connection per iteration, many frames in it).

#include <benchmark/benchmark.h>
#include <sys/uio.h>

#include <array>
#include <boost/json/array.hpp>
#include <string>
#include <vector>

#include "broker/http/shared_frame.h"
#include "protocol/socketio.h"
#include "reactor/send_queue.h"

namespace {

using ringcast::broker::make_shared_frame;
using ringcast::broker::shared_frame;
using ringcast::reactor::send_queue;

// About what the load generator publishes: a ~100-byte Socket.IO "msg" event.
shared_frame encode_broadcast(std::uint64_t seq) {
  boost::json::object data;
  data["s"] = seq;
  data["t"] = 1'234'567'890'123;
  data["p"] = std::string(50, 'x');
  std::string text;
  ringcast::protocol::encode_event(text, "/", "msg", boost::json::array{data});
  return make_shared_frame(ringcast::protocol::opcode::text, {}, text);
}

// What the shard's end-of-iteration flush does per dirty connection, without the sendmsg.
std::size_t flush(send_queue& q) {
  std::array<iovec, 64> iov;
  std::size_t bytes = 0;
  while (!q.empty()) {
    const std::size_t n = q.gather(iov);
    std::size_t len = 0;
    for (std::size_t i = 0; i < n; ++i) len += iov[i].iov_len;
    q.consume(len);
    bytes += len;
  }
  return bytes;
}

void BM_fanout_shared(benchmark::State& state) {
  std::vector<send_queue> queues(static_cast<std::size_t>(state.range(0)));
  std::uint64_t seq = 0;
  for (auto _ : state) {
    const shared_frame f = encode_broadcast(seq++);
    for (auto& q : queues) q.push_shared(f.buf);
    std::size_t bytes = 0;
    for (auto& q : queues) bytes += flush(q);
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_fanout_copy(benchmark::State& state) {
  std::vector<send_queue> queues(static_cast<std::size_t>(state.range(0)));
  std::uint64_t seq = 0;
  for (auto _ : state) {
    const shared_frame f = encode_broadcast(seq++);
    for (auto& q : queues) q.push_copy(f.buf->bytes());
    std::size_t bytes = 0;
    for (auto& q : queues) bytes += flush(q);
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_fanout_coalesced(benchmark::State& state) {
  std::vector<send_queue> queues(static_cast<std::size_t>(state.range(0)));
  const auto batch = static_cast<std::size_t>(state.range(1));
  std::uint64_t seq = 0;
  for (auto _ : state) {
    for (std::size_t b = 0; b < batch; ++b) {
      const shared_frame f = encode_broadcast(seq++);
      for (auto& q : queues) q.push_shared(f.buf);
    }
    std::size_t bytes = 0;
    for (auto& q : queues) bytes += flush(q);
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch) * state.range(0));
}

// The encode alone, once per broadcast whatever the room size.
void BM_encode_broadcast(benchmark::State& state) {
  std::uint64_t seq = 0;
  for (auto _ : state) {
    const shared_frame f = encode_broadcast(seq++);
    benchmark::DoNotOptimize(f.buf.get());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

BENCHMARK(BM_encode_broadcast);
BENCHMARK(BM_fanout_shared)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK(BM_fanout_copy)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK(BM_fanout_coalesced)->Args({1000, 16})->Args({10000, 16});

}  // namespace
