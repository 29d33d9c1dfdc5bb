// WebSocket codec micro-benchmarks: decoding masked client frames (unmasking in place, UTF-8
// validation for text) and encoding server frames, at 100 B and 16 KiB payloads.
//
// Decoding unmasks the caller's buffer, so each iteration first restores the masked frame
// with a memcpy; BM_restore_only measures that copy alone, to be subtracted.

#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "protocol/permessage_deflate.h"
#include "protocol/websocket_frame.h"

namespace {

using namespace ringcast::protocol;

constexpr mask_key key{std::byte{0x37}, std::byte{0xfa}, std::byte{0x21}, std::byte{0x3d}};

// A Socket.IO event as chat clients send it, repeated to the requested size.
std::string chat_payload(std::size_t n) {
  static constexpr std::string_view event =
      R"(42["message:send",{"conversationId":"c_81f3","clientId":"m_19","text":"Hi, my order #4411 has not arrived yet"}])";
  std::string out;
  while (out.size() < n) out += event;
  out.resize(n);
  return out;
}

std::vector<std::byte> masked_frame(opcode op, std::size_t n) {
  std::string wire;
  append_masked_frame(wire, op, chat_payload(n), key);
  const auto* p = reinterpret_cast<const std::byte*>(wire.data());
  return {p, p + wire.size()};
}

void decode_bench(benchmark::State& state, opcode op) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<std::byte> pristine = masked_frame(op, n);
  std::vector<std::byte> buf = pristine;
  websocket_decoder dec;
  for (auto _ : state) {
    std::memcpy(buf.data(), pristine.data(), pristine.size());
    const decode_result r = dec.decode(buf);
    if (r.consumed != buf.size()) state.SkipWithError("frame not decoded");
    benchmark::DoNotOptimize(r.payload.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_decode_text(benchmark::State& state) { decode_bench(state, opcode::text); }
void BM_decode_binary(benchmark::State& state) { decode_bench(state, opcode::binary); }

void BM_restore_only(benchmark::State& state) {
  const std::vector<std::byte> pristine = masked_frame(opcode::binary, static_cast<std::size_t>(state.range(0)));
  std::vector<std::byte> buf = pristine;
  for (auto _ : state) {
    std::memcpy(buf.data(), pristine.data(), pristine.size());
    benchmark::DoNotOptimize(buf.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * state.range(0)));
}

// The broadcast path: header and payload written once into a buffer shared by all recipients.
void BM_encode_shared_buffer(benchmark::State& state) {
  const std::string payload = chat_payload(static_cast<std::size_t>(state.range(0)));
  std::vector<std::byte> out(max_frame_header_size + payload.size());
  for (auto _ : state) {
    const std::size_t h = write_frame_header(out.data(), opcode::text, payload.size());
    std::memcpy(out.data() + h, payload.data(), payload.size());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * state.range(0)));
}

void BM_encode_append(benchmark::State& state) {
  const std::string payload = chat_payload(static_cast<std::size_t>(state.range(0)));
  std::string out;
  out.reserve(max_frame_header_size + payload.size());
  for (auto _ : state) {
    out.clear();
    append_frame(out, opcode::text, payload);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * state.range(0)));
}

// The load generator's side: a client frame, masked.
void BM_encode_masked(benchmark::State& state) {
  const std::string payload = chat_payload(static_cast<std::size_t>(state.range(0)));
  std::string out;
  out.reserve(max_frame_header_size + payload.size());
  for (auto _ : state) {
    out.clear();
    append_masked_frame(out, opcode::text, payload, key);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * state.range(0)));
}

// permessage-deflate with context takeover, the same message each time (the window helps).
void BM_deflate_inflate(benchmark::State& state) {
  const std::string payload = chat_payload(static_cast<std::size_t>(state.range(0)));
  deflater d(15, false);
  inflater i(15, false);
  std::string compressed;
  std::string plain;
  for (auto _ : state) {
    compressed.clear();
    plain.clear();
    if (!d.deflate(payload, compressed) || i.inflate(compressed, plain, 1'000'000) != inflate_status::ok) {
      state.SkipWithError("deflate round trip failed");
    }
    benchmark::DoNotOptimize(plain.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * state.range(0)));
}

BENCHMARK(BM_decode_text)->Arg(100)->Arg(16 * 1024);
BENCHMARK(BM_decode_binary)->Arg(100)->Arg(16 * 1024);
BENCHMARK(BM_restore_only)->Arg(100)->Arg(16 * 1024);
BENCHMARK(BM_encode_shared_buffer)->Arg(100)->Arg(16 * 1024);
BENCHMARK(BM_encode_append)->Arg(100)->Arg(16 * 1024);
BENCHMARK(BM_encode_masked)->Arg(100)->Arg(16 * 1024);
BENCHMARK(BM_deflate_inflate)->Arg(100)->Arg(16 * 1024);

}  // namespace
