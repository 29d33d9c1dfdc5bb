#pragma once
// Query strings as application/x-www-form-urlencoded (WHATWG URL §5.1), the way Engine.IO
// clients build them: pairs split on '&', key and value on the first '=', '+' is a space,
// %XX is a byte.
//
// Invalid escapes are kept literally, as the WHATWG decoder and Node's querystring do:
// "%zz" decodes to "%zz", a trailing "%4" to "%4". Decoded bytes are not checked for UTF-8.
// Empty pairs ("a=1&&b=2") are skipped; a pair without '=' has an empty value.

#include <optional>
#include <string>
#include <string_view>

namespace ringcast::protocol {

// Appends the decoding of `raw` to `out`.
void form_decode(std::string_view raw, std::string& out) noexcept;

// Walks the pairs of a query string (without the leading '?') in order.
class query_reader {
 public:
  explicit query_reader(std::string_view query) noexcept : rest_(query) {}

  // The next pair, still encoded; false at the end.
  bool next_raw(std::string_view& key, std::string_view& value) noexcept;

  // The next pair, decoded into the caller's strings (their capacity is reused); false at the end.
  bool next(std::string& key, std::string& value) noexcept;

 private:
  std::string_view rest_;
};

// Decoded value of the first pair whose decoded key equals `key`; nullopt if there is none.
[[nodiscard]] std::optional<std::string> query_param(std::string_view query, std::string_view key) noexcept;

}  // namespace ringcast::protocol
