// Fuzzes websocket_decoder (and the inflater behind compressed messages). The first input byte
// chooses the decoder options, then comes a chunk_plan (tests/fuzz/chunks.h); the rest is the
// byte stream. The stream is decoded in one piece and again in the plan's chunks: both runs must
// produce the same events, and every event must obey the codec's guarantees.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "chunks.h"
#include "protocol/permessage_deflate.h"
#include "protocol/utf8.h"
#include "protocol/websocket_frame.h"

namespace {

using namespace ringcast::protocol;

struct event {
  frame_event kind;
  std::string payload;
  std::uint16_t code;
  bool compressed;
  bool operator==(const event&) const = default;
};

void check(bool ok) {
  if (!ok) std::abort();
}

// Events of one run, the stream arriving in the plan's chunks.
std::vector<event> run(std::string_view stream, const decoder_options& options, ringcast::fuzz::chunk_plan plan) {
  websocket_decoder dec(options);
  inflater inflate(15, false);
  std::vector<std::byte> buf;
  std::vector<event> events;
  for (const std::string_view chunk : plan.split(stream)) {
    const auto* p = reinterpret_cast<const std::byte*>(chunk.data());
    buf.insert(buf.end(), p, p + chunk.size());
    for (;;) {
      const decode_result r = dec.decode(buf);
      if (r.kind == frame_event::error) {
        check(r.code == close_code::protocol_error || r.code == close_code::invalid_payload ||
              r.code == close_code::message_too_big);
        events.push_back({r.kind, {}, r.code, false});
        return events;
      }
      check(r.consumed <= buf.size());
      if (r.kind == frame_event::need_more) {
        check(r.need > buf.size() - r.consumed);
        buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.consumed));
        break;
      }
      check(r.consumed > 0);
      event e{r.kind, std::string(r.text()), r.code, r.compressed};
      switch (r.kind) {
        case frame_event::text:
          check(r.compressed || is_valid_utf8(r.payload));
          [[fallthrough]];
        case frame_event::binary:
          check(r.payload.size() <= options.max_message_size);
          if (r.compressed) {
            std::string out;
            const inflate_status st = inflate.inflate(r.payload, out, 4096);
            e.payload = std::to_string(static_cast<int>(st)) + ":" + out;
            if (st != inflate_status::ok) inflate.reset();
          }
          break;
        case frame_event::ping:
        case frame_event::pong:
          check(r.payload.size() <= max_control_payload);
          break;
        case frame_event::close:
          check(r.code == close_code::no_status || is_valid_close_code(r.code));
          check(r.payload.size() <= max_close_reason && is_valid_utf8(r.payload));
          break;
        default:
          check(false);
      }
      events.push_back(std::move(e));
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.consumed));
    }
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  decoder_options options;
  options.permessage_deflate = (data[0] & 1) != 0;
  options.side = (data[0] & 2) != 0 ? role::client : role::server;
  // Small caps make 1009 reachable with small inputs.
  options.max_message_size = (data[0] & 4) != 0 ? 1'000'000 : 16u * (data[0] >> 3);
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const ringcast::fuzz::chunk_plan plan = ringcast::fuzz::chunk_plan::take(stream);

  check(run(stream, options, ringcast::fuzz::chunk_plan::whole()) == run(stream, options, plan));
  return 0;
}
