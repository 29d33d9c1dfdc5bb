#pragma once
// Reading the request fields that choose a cached representation (sans-I/O): Accept-Encoding
// (RFC 9110 section 12.5.3) and If-None-Match (section 13.1.2).
#include <string_view>

namespace ringcast::protocol {

// Whether the client takes a gzip-coded body: "gzip" (or "x-gzip", or "*" when gzip is not named)
// with a q-value above 0. A missing field means any coding is acceptable in principle, but we
// answer identity then: clients that decode gzip say so.
[[nodiscard]] bool accepts_gzip(std::string_view accept_encoding) noexcept;

// Whether If-None-Match names `etag` (a quoted strong validator), with the weak comparison the
// field uses: "*", `etag` itself or W/`etag` anywhere in the list.
[[nodiscard]] bool etag_listed(std::string_view if_none_match, std::string_view etag) noexcept;

}  // namespace ringcast::protocol
