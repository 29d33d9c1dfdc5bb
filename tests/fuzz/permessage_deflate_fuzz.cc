// permessage-deflate on arbitrary input: the Sec-WebSocket-Extensions negotiation, the response
// it leads to, and the inflater fed arbitrary compressed messages under a cap.
// Input: [policy][plan: see chunks.h][offer length][offer][stream]. The stream is cut into
// messages by the plan; each is inflated as received, and also deflated and inflated back.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chunks.h"
#include "protocol/http_header.h"
#include "protocol/permessage_deflate.h"

namespace {

using namespace ringcast::protocol;

// A trap rather than assert, so the checks stay in any build type and libFuzzer reports a crash.
void require(bool ok) {
  if (!ok) __builtin_trap();
}

bool contains_ci(std::string_view hay, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (ascii_iequals(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

bool same(const deflate_params& a, const deflate_params& b) {
  return a.server_no_context_takeover == b.server_no_context_takeover &&
         a.client_no_context_takeover == b.client_no_context_takeover &&
         a.server_max_window_bits == b.server_max_window_bits &&
         a.client_max_window_bits == b.client_max_window_bits &&
         a.send_server_max_window_bits == b.send_server_max_window_bits;
}

bool same(const std::optional<deflate_params>& a, const std::optional<deflate_params>& b) {
  return a.has_value() == b.has_value() && (!a || same(*a, *b));
}

deflate_policy policy_for(std::uint8_t b) {
  // Out-of-range window bits on purpose: the policy is clamped, not trusted.
  return {.server_max_window_bits = static_cast<std::uint8_t>(7 + b % 10),
          .client_max_window_bits = static_cast<std::uint8_t>(7 + (b >> 4) % 10),
          .server_no_context_takeover = (b & 0x40) != 0,
          .client_no_context_takeover = (b & 0x80) != 0};
}

void check_negotiation(std::string_view offer, const deflate_policy& policy) {
  const std::optional<deflate_params> agreed = negotiate_permessage_deflate(offer, policy);
  const std::optional<deflate_params> by_default = negotiate_permessage_deflate(offer);
  // The policy picks values, never whether an offer is acceptable.
  require(agreed.has_value() == by_default.has_value());
  // The whole value is parsed whatever matched, so repeating it changes nothing.
  require(same(negotiate_permessage_deflate(std::string(offer) + ", " + std::string(offer), policy), agreed));
  if (!agreed) return;

  const deflate_params& p = *agreed;
  require(contains_ci(offer, "permessage-deflate"));
  require(p.server_max_window_bits >= 9 && p.server_max_window_bits <= 15);
  require(p.server_max_window_bits <= std::max<int>(9, policy.server_max_window_bits));
  require(p.client_max_window_bits >= 8 && p.client_max_window_bits <= 15);
  // A smaller client window may only be asked for when the client offered the parameter.
  require(p.client_max_window_bits == 15 || contains_ci(offer, "client_max_window_bits"));
  require(p.send_server_max_window_bits || p.server_max_window_bits == 15);
  require(!policy.server_no_context_takeover || p.server_no_context_takeover);
  require(!policy.client_no_context_takeover || p.client_no_context_takeover);
  require(!p.server_no_context_takeover || policy.server_no_context_takeover ||
          contains_ci(offer, "server_no_context_takeover"));
  require(!p.client_no_context_takeover || policy.client_no_context_takeover ||
          contains_ci(offer, "client_no_context_takeover"));

  // The response goes into a header line, and read back as an offer it means what was agreed.
  const std::string response = format_deflate_response(p);
  for (char c : response) require(http_chars::is(c, http_chars::field_char));
  require(same(negotiate_permessage_deflate(response), agreed));
}

void check_inflate(std::string_view stream, ringcast::fuzz::chunk_plan plan, std::uint8_t selector) {
  const int window_bits = 8 + selector % 8;
  const bool no_context_takeover = (selector & 8) != 0;
  constexpr std::size_t caps[] = {0, 1, 16, 100, 4096, 1u << 16};
  const std::size_t cap = caps[(selector >> 4) % 6];

  inflater received(window_bits, no_context_takeover);
  // What our deflater writes, our inflater must read back, message after message.
  deflater sender(window_bits, no_context_takeover, 1 + selector % 9);
  inflater peer(window_bits, no_context_takeover);
  std::string out = "prefix";
  bool clipped_checked = false;
  for (const std::string_view message : plan.split(stream)) {
    const std::size_t before = out.size();
    const inflate_status s = received.inflate(message, out, cap);
    require(out.compare(0, 6, "prefix") == 0);
    const std::size_t produced = out.size() - before;
    require(produced <= cap + 1);
    if (s == inflate_status::ok) require(produced <= cap);
    if (s != inflate_status::ok) received.reset();
    out.resize(6);

    std::string compressed;
    require(sender.deflate(message, compressed));
    std::string back;
    require(peer.inflate(compressed, back, message.size()) == inflate_status::ok);
    require(back == message);
    if (!clipped_checked) {
      // The cap is exact on any input: what inflates to n bytes passes a cap of n and fails n - 1.
      std::string full;
      inflater a(window_bits, no_context_takeover);
      if (a.inflate(message, full, 1u << 20) == inflate_status::ok) {
        std::string same_bytes;
        inflater b(window_bits, no_context_takeover);
        require(b.inflate(message, same_bytes, full.size()) == inflate_status::ok && same_bytes == full);
        if (!full.empty()) {
          std::string shorter;
          inflater c(window_bits, no_context_takeover);
          require(c.inflate(message, shorter, full.size() - 1) == inflate_status::too_big);
          require(full.starts_with(shorter));
        }
      }
    }
    if (!clipped_checked && !message.empty()) {
      // One byte short of the message is over the cap, however the bytes compress. Once per
      // input: a fresh zlib pair per message would dominate the run time.
      clipped_checked = true;
      std::string clipped;
      inflater fresh(window_bits, no_context_takeover);
      deflater once(window_bits, no_context_takeover);
      std::string packed;
      require(once.deflate(message, packed));
      require(fresh.inflate(packed, clipped, message.size() - 1) == inflate_status::too_big);
      require(clipped.size() <= message.size());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t selector = data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const ringcast::fuzz::chunk_plan plan = ringcast::fuzz::chunk_plan::take(input);
  if (input.empty()) return 0;
  const std::size_t offer_size = std::min<std::size_t>(static_cast<std::uint8_t>(input[0]), input.size() - 1);
  const std::string_view offer = input.substr(1, offer_size);
  const std::string_view stream = input.substr(1 + offer_size);

  check_negotiation(offer, policy_for(selector));
  check_inflate(stream, plan, selector);
  return 0;
}
