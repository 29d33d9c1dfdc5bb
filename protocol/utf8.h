#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ringcast::protocol {

// Incremental UTF-8 validator (RFC 3629): a message may be fed in any number of chunks split
// at any byte, which is what WebSocket fragments and partial reads need. Rejects overlong
// forms, surrogates (U+D800..U+DFFF) and code points above U+10FFFF at the first bad byte.
// Owned by one connection; no shared state.
class utf8_validator {
 public:
  // False as soon as a chunk contains an invalid byte; the failure is sticky until reset().
  bool feed(std::string_view chunk) noexcept;
  bool feed(std::span<const std::byte> chunk) noexcept;

  // True when all input so far is valid and does not stop inside a multi-byte sequence;
  // call it at the end of a message, since a chunk may legitimately end mid-sequence.
  [[nodiscard]] bool complete() const noexcept { return !failed_ && need_ == 0; }
  [[nodiscard]] bool failed() const noexcept { return failed_; }

  void reset() noexcept { *this = utf8_validator{}; }

 private:
  bool feed_bytes(const unsigned char* p, std::size_t n) noexcept;
  bool fail() noexcept {
    failed_ = true;
    return false;
  }

  std::uint8_t need_ = 0;  // continuation bytes still expected
  // The first continuation byte after E0, ED, F0 and F4 has a narrower range; that range is
  // what excludes overlongs, surrogates and code points past U+10FFFF.
  std::uint8_t lo_ = 0x80;
  std::uint8_t hi_ = 0xBF;
  bool failed_ = false;
};

// Whole-buffer check, e.g. for a close frame's reason or an inflated message.
[[nodiscard]] bool is_valid_utf8(std::string_view text) noexcept;
[[nodiscard]] bool is_valid_utf8(std::span<const std::byte> bytes) noexcept;

}  // namespace ringcast::protocol
