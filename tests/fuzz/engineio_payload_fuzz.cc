// Engine.IO decoders on arbitrary bytes: a polling body, a text frame and a binary frame. What
// decodes must encode back to the same bytes, since every accepted form is canonical.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/base64.h"
#include "protocol/engineio.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ringcast::protocol;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // A small limit so the fuzzer also reaches the too_large path.
  constexpr std::size_t max = 4096;

  std::vector<eio_packet> packets;
  const auto e = decode_payload(input, packets, max);
  check(e != eio_error::ok || !packets.empty());
  if (e == eio_error::ok) check(encode_payload(packets) == input);
  if (e == eio_error::too_large) check(packets.empty() && input.size() > max);

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
