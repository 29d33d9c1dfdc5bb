#include "protocol/base64.h"

#include <array>
#include <cstdint>

namespace ringcast::protocol {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t invalid = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  table.fill(invalid);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr std::array<std::uint8_t, 256> decode_table = make_decode_table();

std::uint8_t sextet(char c) noexcept { return decode_table[static_cast<unsigned char>(c)]; }

}  // namespace

void base64_encode(std::string_view in, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + base64_encoded_size(in.size()));
  char* dst = out.data() + start;
  const auto* src = reinterpret_cast<const unsigned char*>(in.data());
  std::size_t left = in.size();
  for (; left >= 3; left -= 3, src += 3) {
    const std::uint32_t v = (std::uint32_t{src[0]} << 16) | (std::uint32_t{src[1]} << 8) | src[2];
    *dst++ = alphabet[v >> 18];
    *dst++ = alphabet[(v >> 12) & 63];
    *dst++ = alphabet[(v >> 6) & 63];
    *dst++ = alphabet[v & 63];
  }
  if (left != 0) {
    const std::uint32_t v = (std::uint32_t{src[0]} << 16) | (left == 2 ? std::uint32_t{src[1]} << 8 : 0);
    *dst++ = alphabet[v >> 18];
    *dst++ = alphabet[(v >> 12) & 63];
    *dst++ = left == 2 ? alphabet[(v >> 6) & 63] : '=';
    *dst++ = '=';
  }
}

std::string base64_encode(std::string_view in) {
  std::string out;
  base64_encode(in, out);
  return out;
}

std::optional<std::size_t> base64_decode(std::string_view in, char* out) noexcept {
  if (in.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  if (!in.empty() && in.back() == '=') pad = in[in.size() - 2] == '=' ? 2 : 1;

  char* dst = out;
  const std::size_t full = in.size() - (pad != 0 ? 4 : 0);
  for (std::size_t i = 0; i < full; i += 4) {
    const std::uint8_t a = sextet(in[i]), b = sextet(in[i + 1]), c = sextet(in[i + 2]), d = sextet(in[i + 3]);
    if (((a | b | c | d) & 0xC0) != 0) return std::nullopt;  // `invalid` has these bits set
    const std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) | (std::uint32_t{c} << 6) | d;
    *dst++ = static_cast<char>(v >> 16);
    *dst++ = static_cast<char>(v >> 8);
    *dst++ = static_cast<char>(v);
  }
  if (pad != 0) {
    const std::string_view last = in.substr(full);
    const std::uint8_t a = sextet(last[0]), b = sextet(last[1]);
    const std::uint8_t c = pad == 1 ? sextet(last[2]) : 0;
    // A non-zero unused bit would let two encodings decode to the same bytes.
    const bool canonical = pad == 2 ? (b & 0x0F) == 0 : (c & 0x03) == 0;
    if (((a | b | c) & 0xC0) != 0 || !canonical) return std::nullopt;
    const std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) | (std::uint32_t{c} << 6);
    *dst++ = static_cast<char>(v >> 16);
    if (pad == 1) *dst++ = static_cast<char>(v >> 8);
  }
  return static_cast<std::size_t>(dst - out);
}

bool base64_decode(std::string_view in, std::string& out) {
  out.resize(base64_decoded_max_size(in.size()));
  const std::optional<std::size_t> n = base64_decode(in, out.data());
  out.resize(n.value_or(0));
  return n.has_value();
}

std::optional<std::string> base64_decode(std::string_view in) {
  std::string out;
  if (!base64_decode(in, out)) return std::nullopt;
  return out;
}

}  // namespace ringcast::protocol
