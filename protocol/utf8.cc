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
  while (p != end) {
    if (need_ != 0) {
      const unsigned char c = *p++;
      if (c < lo_ || c > hi_) {
        failed_ = true;
        return false;
      }
      lo_ = 0x80;
      hi_ = 0xBF;
      --need_;
      continue;
    }
    // Chat traffic is mostly ASCII, so skip it eight bytes at a time.
    while (end - p >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, sizeof word);
      if (word & high_bits) break;
      p += 8;
    }
    while (p != end && *p < 0x80) ++p;
    if (p == end) break;
    const unsigned char lead = *p++;
    if (lead < 0xC2) {  // a stray continuation byte, or C0/C1 which only start overlongs
      failed_ = true;
      return false;
    }
    if (lead < 0xE0) {
      need_ = 1;
    } else if (lead < 0xF0) {
      need_ = 2;
      if (lead == 0xE0) lo_ = 0xA0;
      if (lead == 0xED) hi_ = 0x9F;
    } else if (lead < 0xF5) {
      need_ = 3;
      if (lead == 0xF0) lo_ = 0x90;
      if (lead == 0xF4) hi_ = 0x8F;
    } else {
      failed_ = true;
      return false;
    }
  }
  return true;
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
