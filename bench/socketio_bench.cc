// Socket.IO EVENT with one ~100-byte string argument: encoding a broadcast frame, and decoding
// it as a server receives it (Engine.IO text frame, then the Socket.IO decoder). The baseline
// builds the whole array and serializes it with Boost.JSON, the straightforward way.

#include <benchmark/benchmark.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "protocol/engineio.h"
#include "protocol/socketio.h"

namespace {

using namespace ringcast::protocol;

const std::string argument =
    "Hello! Your order #48213 has shipped and should arrive Thursday. Reply here if anything's off.";
constexpr std::string_view event = "message:new";

void BM_encode_event_array(benchmark::State& state) {
  const boost::json::array args{boost::json::value(argument)};
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_event(out, "/", event, args);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_encode_event_array);

void BM_encode_event_preserialized(benchmark::State& state) {
  const std::string args = boost::json::serialize(boost::json::array{boost::json::value(argument)});
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_event(out, "/", event, std::string_view(args));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_encode_event_preserialized);

void BM_encode_packet(benchmark::State& state) {
  const sio_packet p{sio_packet_type::event, "/", {},
                     boost::json::array{boost::json::value(event), boost::json::value(argument)}, {}};
  std::string out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(encode_packet(out, p, true));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_encode_packet);

void BM_baseline_build_and_serialize(benchmark::State& state) {
  std::size_t size = 0;
  for (auto _ : state) {
    boost::json::array data{boost::json::value(event), boost::json::value(argument)};
    std::string out = "42" + boost::json::serialize(data);
    size = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}
BENCHMARK(BM_baseline_build_and_serialize);

void BM_decode_event(benchmark::State& state) {
  std::string frame;
  encode_event(frame, "/", event, boost::json::array{boost::json::value(argument)});
  sio_decoder decoder;
  sio_packet packet;
  std::string scratch;
  for (auto _ : state) {
    eio_packet_view eio;
    if (decode_frame(frame, eio_frame::text, eio, scratch) != eio_error::ok ||
        decoder.feed_text(eio.data, packet) != sio_status::packet) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(packet.data);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}
BENCHMARK(BM_decode_event);

}  // namespace
