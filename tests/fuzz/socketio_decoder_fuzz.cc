// The Socket.IO decoder on arbitrary message sequences. The first byte picks the framing: even,
// the rest is one text message followed by as many 1-byte attachments as it asks for; odd, the
// rest is a sequence of [flags][length][bytes] records, bit 0 of flags marking a binary message.
// Every packet decoded must encode, and the encoding must decode to an equal packet. The messages
// are the decoder's chunks (it never sees a partial message): the ones that made up each packet
// or error, given to a fresh decoder, must give the same result, so no state outlives a packet.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/socketio.h"

namespace {

using namespace ringcast::protocol;

void check(bool ok) {
  if (!ok) std::abort();
}

// Value equality, but doubles may differ in their last bits: Boost.JSON 1.81 does not parse
// long mantissas with correct rounding, so a number can move by an ulp through serialization.
bool same_json(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same_json(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const auto* other = y.if_contains(kv.key());
      if (other == nullptr || !same_json(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

void check_round_trip(const sio_packet& p) {
  std::string wire;
  check(encode_packet(wire, p) == sio_error::ok);
  sio_decoder d;
  sio_packet back;
  auto s = d.feed_text(wire, back);
  for (const auto& a : p.attachments) {
    check(s == sio_status::need_attachment);
    s = d.feed_binary(a, back);
  }
  check(s == sio_status::packet);
  check(back.type == p.type && back.nsp == p.nsp && back.id == p.id && same_json(back.data, p.data) &&
        back.attachments == p.attachments);
}

constexpr sio_decoder_options options{.max_attachments = 4, .max_namespace = 32, .max_depth = 16};

// One connection's decoder, and the messages since it last finished a packet or failed.
struct connection {
  sio_decoder d{options};
  std::vector<std::pair<bool, std::string>> group;
};

sio_status feed_one(sio_decoder& d, bool binary, std::string_view bytes, sio_packet& out) {
  return binary ? d.feed_binary(bytes, out) : d.feed_text(bytes, out);
}

void feed(connection& c, bool binary, std::string_view bytes) {
  sio_packet out;
  const auto s = feed_one(c.d, binary, bytes, out);
  if (s == sio_status::packet) check_round_trip(out);
  check((s == sio_status::error) == (c.d.error() != sio_error::ok));
  c.group.emplace_back(binary, bytes);
  if (s == sio_status::need_attachment) return;

  sio_decoder fresh(options);
  sio_packet again;
  for (std::size_t i = 0; i + 1 < c.group.size(); ++i) {
    check(feed_one(fresh, c.group[i].first, c.group[i].second, again) == sio_status::need_attachment);
  }
  check(feed_one(fresh, binary, bytes, again) == s && fresh.error() == c.d.error());
  if (s == sio_status::packet) {
    check(again.type == out.type && again.nsp == out.nsp && again.id == out.id && again.data == out.data &&
          again.attachments == out.attachments);
  }
  c.group.clear();
  if (s == sio_status::error) c.d.reset();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  connection c;
  if ((data[0] & 1) == 0) {
    feed(c, false, input);
    for (int i = 0; i < 4 && c.d.awaiting_attachments(); ++i) feed(c, true, "x");
    return 0;
  }
  while (input.size() >= 2) {
    const bool binary = (input[0] & 1) != 0;
    const std::size_t len = static_cast<std::uint8_t>(input[1]);
    input.remove_prefix(2);
    const auto bytes = input.substr(0, len);
    input.remove_prefix(bytes.size());
    feed(c, binary, bytes);
  }
  return 0;
}
