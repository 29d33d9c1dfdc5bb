#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ringcast::protocol {

// Standard base64 (RFC 4648 section 4, alphabet A-Z a-z 0-9 + /) with '=' padding, as used by
// Sec-WebSocket-Key/Accept and Engine.IO 'b' packets. Bytes travel in std::string.

[[nodiscard]] constexpr std::size_t base64_encoded_size(std::size_t n) noexcept {
  return (n + 2) / 3 * 4;
}

// Appends the encoding of `in` to `out`.
void base64_encode(std::string_view in, std::string& out);
[[nodiscard]] std::string base64_encode(std::string_view in);

// Strict decoder: the length must be a multiple of 4, padding may only end the input, and the
// unused bits before padding must be zero, so every byte string has exactly one accepted
// encoding. Whitespace and the URL-safe alphabet are rejected. Replaces the contents of `out`
// (reusing its capacity) and returns true; on invalid input returns false with `out` empty.
[[nodiscard]] bool base64_decode(std::string_view in, std::string& out);
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view in);

// The same decoder without allocation: `out` must have room for base64_decoded_max_size(in.size())
// bytes (its contents are unspecified on failure). Returns the decoded length, or nullopt.
[[nodiscard]] constexpr std::size_t base64_decoded_max_size(std::size_t n) noexcept { return n / 4 * 3; }
[[nodiscard]] std::optional<std::size_t> base64_decode(std::string_view in, char* out) noexcept;

}  // namespace ringcast::protocol
