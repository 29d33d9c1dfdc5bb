#include "protocol/url.h"

#include "protocol/http_header.h"

namespace ringcast::protocol {

namespace {

int hex_value(char c) noexcept {
  if (!http_chars::is(c, http_chars::hex_digit)) return -1;
  if (c <= '9') return c - '0';
  return ascii_lower(c) - 'a' + 10;
}

// Decodes one byte at raw[i] and advances i; the single rule both decoding and comparing use.
char decode_at(std::string_view raw, std::size_t& i) noexcept {
  const char c = raw[i++];
  if (c == '+') return ' ';
  if (c != '%' || raw.size() - i < 2) return c;
  const int hi = hex_value(raw[i]);
  const int lo = hex_value(raw[i + 1]);
  if (hi < 0 || lo < 0) return c;
  i += 2;
  return static_cast<char>(hi * 16 + lo);
}

bool decoded_equals(std::string_view raw, std::string_view expected) noexcept {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < raw.size()) {
    if (j == expected.size() || decode_at(raw, i) != expected[j]) return false;
    ++j;
  }
  return j == expected.size();
}

}  // namespace

void form_decode(std::string_view raw, std::string& out) noexcept {
  if (raw.find_first_of("%+") == std::string_view::npos) {
    out.append(raw);
    return;
  }
  out.reserve(out.size() + raw.size());
  for (std::size_t i = 0; i < raw.size();) out.push_back(decode_at(raw, i));
}

bool query_reader::next_raw(std::string_view& key, std::string_view& value) noexcept {
  while (!rest_.empty()) {
    const std::size_t amp = rest_.find('&');
    const std::string_view pair = rest_.substr(0, amp);
    rest_.remove_prefix(amp == std::string_view::npos ? rest_.size() : amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    key = pair.substr(0, eq);
    value = eq == std::string_view::npos ? pair.substr(pair.size()) : pair.substr(eq + 1);
    return true;
  }
  return false;
}

bool query_reader::next(std::string& key, std::string& value) noexcept {
  std::string_view raw_key;
  std::string_view raw_value;
  if (!next_raw(raw_key, raw_value)) return false;
  key.clear();
  value.clear();
  form_decode(raw_key, key);
  form_decode(raw_value, value);
  return true;
}

std::optional<std::string> query_param(std::string_view query, std::string_view key) noexcept {
  query_reader reader(query);
  std::string_view raw_key;
  std::string_view raw_value;
  while (reader.next_raw(raw_key, raw_value)) {
    if (!decoded_equals(raw_key, key)) continue;
    std::string value;
    form_decode(raw_value, value);
    return value;
  }
  return std::nullopt;
}

}  // namespace ringcast::protocol
