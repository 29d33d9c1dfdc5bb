// Engine.IO decoders on arbitrary bytes: a polling body, a text frame and a binary frame. What
// decodes must encode back to the same bytes, since every accepted form is canonical. Input: a
// chunk_plan (tests/fuzz/chunks.h), then the body. A body is one HTTP message, not a stream, so
// the plan picks record separators to cut it at: the pieces decoded one after another must give
// the packets and the error of the whole, and each record decoded as a WebSocket frame must give
// the same packet, since the reference treats both transports alike.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "chunks.h"
#include "protocol/base64.h"
#include "protocol/engineio.h"

namespace {

using namespace ringcast::protocol;

void check(bool ok) {
  if (!ok) std::abort();
}

struct decoded {
  eio_error error = eio_error::ok;
  std::vector<eio_packet> packets;
  bool operator==(const decoded&) const = default;
};

// The body cut after every plan chunk at the next separator, pieces decoded in order into one
// packet list. An empty piece is the empty segment it came from.
decoded decode_in_pieces(std::string_view body, ringcast::fuzz::chunk_plan plan) {
  decoded out;
  while (true) {
    const std::size_t cut = body.find(eio_record_separator, plan.next(body.size()));
    const std::string_view piece = body.substr(0, cut);
    out.error = piece.empty() ? eio_error::empty_packet : decode_payload(piece, out.packets, SIZE_MAX);
    if (out.error != eio_error::ok || cut == std::string_view::npos) return out;
    body.remove_prefix(cut + 1);
  }
}

decoded decode_as_frames(std::string_view body) {
  decoded out;
  std::string scratch;
  while (true) {
    const std::size_t cut = body.find(eio_record_separator);
    eio_packet_view view;
    out.error = decode_frame(body.substr(0, cut), eio_frame::text, view, scratch, SIZE_MAX);
    if (out.error != eio_error::ok) return out;
    out.packets.push_back({view.type, view.binary, std::string(view.data)});
    if (cut == std::string_view::npos) return out;
    body.remove_prefix(cut + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const ringcast::fuzz::chunk_plan plan = ringcast::fuzz::chunk_plan::take(input);
  // A small limit so the fuzzer also reaches the too_large path.
  constexpr std::size_t max = 4096;

  std::vector<eio_packet> packets;
  const auto e = decode_payload(input, packets, max);
  check(e != eio_error::ok || !packets.empty());
  if (e == eio_error::ok) check(encode_payload(packets) == input);
  if (e == eio_error::too_large) check(packets.empty() && input.size() > max);
  if (!input.empty()) {
    decoded whole;
    whole.error = decode_payload(input, whole.packets, SIZE_MAX);
    check(decode_in_pieces(input, plan) == whole);
    check(decode_as_frames(input) == whole);
  }

  eio_packet_view view;
  std::string scratch;
  if (decode_frame(input, eio_frame::text, view, scratch, max) == eio_error::ok) {
    std::string back;
    if (view.binary) {
      back.push_back('b');
      base64_encode(view.data, back);
    } else {
      check(encode_frame(back, view) == eio_frame::text);
    }
    check(back == input);
  }
  if (decode_frame(input, eio_frame::binary, view, scratch, max) == eio_error::ok) {
    check(view.binary && view.data == input);
  }
  return 0;
}
