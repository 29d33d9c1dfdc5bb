#pragma once
// Form bodies as webhook providers post them: application/x-www-form-urlencoded (Twilio,
// Mailgun) decoded with url.h's rules, and the field type multipart.h fills too. The limits are
// checked here, in the codec: a body past them is refused before its fields are kept.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::protocol {

// One field of a form. `filename` is set for a multipart file part; `content_type` is that
// part's Content-Type (empty for url-encoded fields and parts that name none).
struct form_field {
  std::string name;
  std::string value;
  std::optional<std::string> filename;
  std::string content_type;
  friend bool operator==(const form_field&, const form_field&) = default;
};

struct form_limits {
  std::size_t max_bytes = 1 << 20;       // the whole body
  std::size_t max_fields = 512;          // fields (pairs or parts)
  std::size_t max_part_header_bytes = 4096;  // multipart only: one part's header section
};

enum class form_status : std::uint8_t {
  ok,
  too_large,        // the body is longer than max_bytes
  too_many_fields,  // more than max_fields
};

// The pairs of an application/x-www-form-urlencoded body in order, decoded (empty pairs skipped,
// as query_reader does). Replaces `out`; on a refusal `out` is empty.
[[nodiscard]] form_status parse_urlencoded(std::string_view body, const form_limits& limits,
                                           std::vector<form_field>& out);

// The value of the first field named `name`, or nullptr.
[[nodiscard]] const std::string* find_field(const std::vector<form_field>& fields, std::string_view name) noexcept;

}  // namespace ringcast::protocol
