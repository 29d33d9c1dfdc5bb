#pragma once
// HTTP/1.1 response writer and CORS (sans-I/O): appends bytes to a std::string.
//
// Header names and values given to the writer must be a token and field-vchars (no CR, LF or
// other CTLs); this is the caller's contract, checked by assert in debug builds. Values copied
// from a parsed request (such as Origin) already satisfy it.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/http_header.h"

namespace ringcast::protocol {

// The RFC 9110 reason phrase, or "" for a code it does not name (the status line stays valid).
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

// Status line, the given fields, then Content-Length and, unless keep_alive, Connection: close,
// then the body. 1xx, 204 and 304 get neither Content-Length nor a body (RFC 9110 §8.6, §15).
// The status line always says HTTP/1.1 (RFC 9110 §6.2); an HTTP/1.0 client that asked for
// keep-alive needs the caller to add "Connection: keep-alive" to `headers`.
void write_response(std::string& out, int status, std::span<const http_header_field> headers,
                    std::string_view body, bool keep_alive) noexcept;

// The same response without its body bytes, as the answer to HEAD (RFC 9110 section 9.3.2): the
// Content-Length a GET would have carried, then nothing.
void write_response_head(std::string& out, int status, std::span<const http_header_field> headers,
                         std::size_t body_size, bool keep_alive) noexcept;

// A plain-text response naming the status, with Connection: close: parse errors end the
// connection (400, 413, 431, 501, 505).
void write_error_response(std::string& out, int status) noexcept;

struct cors_policy {
  std::vector<std::string> allowed_origins;  // exact serialized origins, or "*" for any
  bool credentials = false;                  // send Access-Control-Allow-Credentials: true
  unsigned max_age_seconds = 0;              // preflight cache lifetime; 0 omits the field
};

// Appends the CORS fields for a request carrying `origin` (empty when it had no Origin).
//  - "*" without credentials: Access-Control-Allow-Origin: * whatever the origin.
//  - otherwise Vary: Origin always (the answer depends on it), and for an allowed origin
//    Access-Control-Allow-Origin echoing it plus, with credentials, Allow-Credentials: true.
//    "*" with credentials echoes any origin but "null" (sandboxed documents and file: URLs),
//    which only an explicit "null" entry allows.
// The appended views point into `policy`, `origin` or static storage.
void append_cors_headers(const cors_policy& policy, std::string_view origin, std::vector<http_header_field>& out);

// The 204 answer to a CORS preflight (OPTIONS): the fields above and, for an allowed origin,
// Allow-Methods: `methods`, Max-Age when configured, and Allow-Headers echoing
// `requested_headers` (Access-Control-Request-Headers) when it is a valid token list.
void write_preflight_response(std::string& out, const cors_policy& policy, std::string_view origin,
                              std::string_view requested_headers, bool keep_alive,
                              std::string_view methods = "GET, POST") noexcept;

}  // namespace ringcast::protocol
