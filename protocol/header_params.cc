#include "protocol/header_params.h"

#include "protocol/http_header.h"

namespace ringcast::protocol {
namespace {

bool is_token(char c) noexcept { return http_chars::is(c, http_chars::tchar); }

void skip_ows(std::string_view s, std::size_t& i) noexcept {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

// A run of token characters (and '/' when `slash`), lower-cased; empty when there is none.
std::string take_token(std::string_view s, std::size_t& i, bool slash) {
  std::string out;
  while (i < s.size() && (is_token(s[i]) || (slash && s[i] == '/'))) out.push_back(ascii_lower(s[i++]));
  return out;
}

// A quoted-string starting at s[i] == '"' (RFC 9110 §5.6.4), unescaped; nullopt when unterminated
// or holding a byte a field value may not.
std::optional<std::string> take_quoted(std::string_view s, std::size_t& i) {
  std::string out;
  for (++i; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      ++i;
      return out;
    }
    if (c == '\\') {
      if (++i == s.size()) return std::nullopt;
      c = s[i];
    }
    if (!http_chars::is(c, http_chars::field_char)) return std::nullopt;
    out.push_back(c);
  }
  return std::nullopt;
}

}  // namespace

const std::string* header_params::param(std::string_view name) const noexcept {
  for (const auto& [k, v] : params)
    if (k == name) return &v;
  return nullptr;
}

std::optional<header_params> parse_header_params(std::string_view s) {
  header_params out;
  std::size_t i = 0;
  skip_ows(s, i);
  out.value = take_token(s, i, true);
  if (out.value.empty()) return std::nullopt;
  for (;;) {
    skip_ows(s, i);
    if (i == s.size()) return out;
    if (s[i++] != ';') return std::nullopt;
    skip_ows(s, i);
    if (i == s.size()) return out;  // a trailing ';' is common and harmless
    std::string name = take_token(s, i, false);
    if (name.empty() || i == s.size() || s[i++] != '=') return std::nullopt;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      auto quoted = take_quoted(s, i);
      if (!quoted) return std::nullopt;
      value = std::move(*quoted);
    } else {
      const std::size_t start = i;
      while (i < s.size() && is_token(s[i])) ++i;
      if (i == start) return std::nullopt;
      value = std::string(s.substr(start, i - start));
    }
    out.params.emplace_back(std::move(name), std::move(value));
  }
}

}  // namespace ringcast::protocol
