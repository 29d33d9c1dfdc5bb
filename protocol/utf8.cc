#include "protocol/utf8.h"

#include <cstring>

namespace ringcast::protocol {

namespace {

constexpr std::uint64_t high_bits = 0x8080808080808080ULL;

}  // namespace

bool utf8_validator::feed(std::string_view chunk) noexcept {
  return feed_bytes(reinterpret_cast<const unsigned char*>(chunk.data()), chunk.size());
}

bool utf8_validator::feed(std::span<const std::byte> chunk) noexcept {
  return feed_bytes(reinterpret_cast<const unsigned char*>(chunk.data()), chunk.size());
}

bool utf8_validator::feed_bytes(const unsigned char* p, std::size_t n) noexcept {
  if (failed_) return false;
  const unsigned char* const end = p + n;
  for (;;) {
    // Finish a sequence that an earlier chunk left open, one byte at a time.
    for (; need_ != 0 && p != end; ++p) {
      if (*p < lo_ || *p > hi_) return fail();
      lo_ = 0x80;
      hi_ = 0xBF;
      --need_;
    }
    // Chat traffic is mostly ASCII, so skip it eight bytes at a time.
    while (end - p >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, sizeof word);
      if (word & high_bits) break;
      p += 8;
    }
    while (p != end && *p < 0x80) ++p;
    if (p == end) return true;

    const unsigned char lead = *p++;
    std::uint8_t lo = 0x80;
    std::uint8_t hi = 0xBF;
    std::size_t need;
    if (lead < 0xC2) {  // a stray continuation byte, or C0/C1 which only start overlongs
      return fail();
    } else if (lead < 0xE0) {
      need = 1;
    } else if (lead < 0xF0) {
      need = 2;
      if (lead == 0xE0) lo = 0xA0;
      if (lead == 0xED) hi = 0x9F;
    } else if (lead < 0xF5) {
      need = 3;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    } else {
      return fail();
    }
    if (static_cast<std::size_t>(end - p) < need) {  // the chunk ends inside this sequence
      need_ = static_cast<std::uint8_t>(need);
      lo_ = lo;
      hi_ = hi;
      continue;
    }
    if (p[0] < lo || p[0] > hi) return fail();
    for (std::size_t i = 1; i < need; ++i) {
      if ((p[i] & 0xC0) != 0x80) return fail();
    }
    p += need;
  }
}

bool is_valid_utf8(std::string_view text) noexcept {
  utf8_validator v;
  return v.feed(text) && v.complete();
}

bool is_valid_utf8(std::span<const std::byte> bytes) noexcept {
  utf8_validator v;
  return v.feed(bytes) && v.complete();
}

}  // namespace ringcast::protocol
