#pragma once
// Header values of the form `token *( OWS ";" OWS name "=" ( token / quoted-string ) )`:
// Content-Type (RFC 9110 §8.3.1, "multipart/form-data; boundary=x") and Content-Disposition
// (RFC 6266, "form-data; name=\"a\""). Names are compared case-insensitively; the leading token
// comes back lower-cased, parameter values as sent (quoted-strings unescaped).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringcast::protocol {

struct header_params {
  std::string value;  // the leading token, lower-cased: "multipart/form-data", "form-data"
  std::vector<std::pair<std::string, std::string>> params;  // names lower-cased, in order

  // The first parameter with this (lower-case) name, or nullptr.
  const std::string* param(std::string_view name) const noexcept;
};

// nullopt when the value does not follow the grammar above (a '/' may appear inside the token).
[[nodiscard]] std::optional<header_params> parse_header_params(std::string_view value);

}  // namespace ringcast::protocol
