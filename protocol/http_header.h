#pragma once
// Shared vocabulary of the HTTP/1.1 codec: header fields, character classes of RFC 9110 §5.6
// and list parsing. Used by the request parser, the response writer and CORS.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringcast::protocol {

// A header field as views; who owns the bytes is said by whoever hands the field out.
struct http_header_field {
  std::string_view name;
  std::string_view value;
};

namespace http_chars {

enum char_class : std::uint8_t {
  tchar = 1 << 0,        // token characters (RFC 9110 §5.6.2)
  field_char = 1 << 1,   // field-vchar, SP and HTAB: what a field value may hold (§5.5)
  target_char = 1 << 2,  // visible ASCII, the only bytes a request-target may hold (RFC 3986)
  hex_digit = 1 << 3,
};

constexpr std::array<std::uint8_t, 256> make_table() noexcept {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t bits = 0;
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos)
      bits |= tchar;
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) bits |= field_char;
    if (c > 0x20 && c < 0x7f) bits |= target_char;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) bits |= hex_digit;
    t[static_cast<std::size_t>(c)] = bits;
  }
  return t;
}

inline constexpr std::array<std::uint8_t, 256> table = make_table();

constexpr bool is(char c, char_class cls) noexcept {
  return (table[static_cast<unsigned char>(c)] & cls) != 0;
}

}  // namespace http_chars

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

constexpr bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!http_chars::is(c, http_chars::tchar)) return false;
  return true;
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls fn(element) for each non-empty element of a comma-separated list (RFC 9110 §5.6.1),
// OWS trimmed; stops and returns false as soon as fn does. Quoted commas are not special: the
// lists we read (Connection, Upgrade, Transfer-Encoding, Content-Length, request headers) carry
// tokens only, and a quote in them fails their own validation.
template <class F>
constexpr bool for_each_list_element(std::string_view list, F&& fn) {
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty() && !fn(element)) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace ringcast::protocol
