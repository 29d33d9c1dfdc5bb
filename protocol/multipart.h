#pragma once
// Sans-I/O multipart/form-data (RFC 7578 on RFC 2046 §5.1.1), as Mailgun posts inbound mail.
//
// parse_multipart() is stateless per call, like parse_request(): give it the body received so
// far. It answers need_more (the close delimiter has not arrived), complete (the parts, and
// `consumed`, the end of the close delimiter: the epilogue after it is ignored) or error. The
// verdict depends on the bytes alone and every error is decided from a prefix, so a body fed in
// pieces reaches the same verdict as the whole. A complete HTTP body that is still need_more is
// truncated: the caller treats it as malformed.
//
// Rules: a preamble before the first delimiter is skipped; after a delimiter come optional
// spaces/tabs and CRLF, or "--" for the close delimiter. Part headers are "Name: value" lines
// ending in CRLF, the section ends with an empty line and is at most max_part_header_bytes.
// Every part needs Content-Disposition: form-data with a name; filename and Content-Type are
// kept, other fields ignored. Bodies are kept as sent (no Content-Transfer-Encoding: RFC 7578
// §4.7 deprecates it).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "protocol/form_body.h"

namespace ringcast::protocol {

// The boundary of a multipart/form-data Content-Type value; empty when the value is not one or
// its boundary is not 1..70 characters (RFC 2046 §5.1.1).
[[nodiscard]] std::string_view multipart_boundary(std::string_view content_type, std::string& storage);

enum class multipart_status : std::uint8_t { need_more, complete, error };

enum class multipart_error : std::uint8_t {
  none,
  too_large,        // longer than max_bytes
  too_many_fields,  // more than max_fields parts
  header_too_large, // a part's header section past max_part_header_bytes
  bad_delimiter,    // the boundary is followed by something other than padding, CRLF or "--"
  bad_header,       // a header line without a colon, a name that is not a token, a bad byte
  no_name,          // a part without Content-Disposition: form-data; name=...
};

struct multipart_result {
  multipart_status status = multipart_status::need_more;
  multipart_error error = multipart_error::none;
  std::size_t consumed = 0;  // complete: where the close delimiter ends
};

// Replaces `out` with the parts when complete (empty otherwise). `boundary` must be non-empty.
[[nodiscard]] multipart_result parse_multipart(std::string_view body, std::string_view boundary,
                                               const form_limits& limits, std::vector<form_field>& out);

}  // namespace ringcast::protocol
