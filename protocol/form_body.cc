#include "protocol/form_body.h"

#include "protocol/url.h"

namespace ringcast::protocol {

form_status parse_urlencoded(std::string_view body, const form_limits& limits, std::vector<form_field>& out) {
  out.clear();
  if (body.size() > limits.max_bytes) return form_status::too_large;
  query_reader reader(body);
  std::string_view key, value;
  // Counted on the raw pairs first, so a refused body allocates nothing per field.
  std::size_t count = 0;
  while (reader.next_raw(key, value))
    if (++count > limits.max_fields) return form_status::too_many_fields;
  out.reserve(count);
  query_reader again(body);
  while (again.next_raw(key, value)) {
    form_field& f = out.emplace_back();
    form_decode(key, f.name);
    form_decode(value, f.value);
  }
  return form_status::ok;
}

const std::string* find_field(const std::vector<form_field>& fields, std::string_view name) noexcept {
  for (const auto& f : fields)
    if (f.name == name) return &f.value;
  return nullptr;
}

}  // namespace ringcast::protocol
