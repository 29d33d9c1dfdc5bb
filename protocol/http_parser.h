#pragma once
// Sans-I/O HTTP/1.1 request parser (RFC 9112), server side.
//
// parse_request() is stateless per call, in the picohttpparser spirit: give it everything
// buffered for the connection, starting at the first unconsumed byte. It answers need_more
// (append more bytes and call again with the whole buffer), complete (a request, `consumed`
// bytes long; the next pipelined request starts there) or error (the HTTP status to answer
// with before closing). The verdict is a function of the bytes alone and every error is
// decided from a prefix, so an error stays an error whatever arrives after it.
//
// Strictness, chosen for a server that browsers and socket.io-client talk to and that may sit
// behind proxies (request smuggling is the threat):
//  - lines end with CRLF only. RFC 9112 §2.2 lets a recipient accept a bare LF, but doing so
//    where a front proxy does not is a smuggling vector, and no client we serve sends one:
//    a bare LF or a bare CR is a 400.
//  - empty lines before the request-line are skipped (§2.2); they count as header bytes.
//  - one SP between the request-line parts; whitespace before a field's colon, obs-fold,
//    whitespace before the first field line, CTLs in values: 400 (§3, §5.1, §5.2).
//  - HTTP/1.x with x >= 1 is treated as 1.1 (RFC 9110 §2.5); another major version: 505.
//  - HTTP/1.1 without Host, or any request with two Host lines: 400 (§3.2).
//  - Content-Length and Transfer-Encoding together: 400; Transfer-Encoding in HTTP/1.0: 400;
//    a coding other than chunked: 501; chunked twice: 400 (§6.1, §6.3).
//  - Content-Length that is not 1*DIGIT, overflows, or differs between lines or list
//    elements: 400. Identical repeats ("5, 5") are accepted (RFC 9110 §8.6).
//  - limits (http_limits): the header section (including skipped empty lines) is
//    max_header_bytes at most and holds max_header_count fields at most, else 431; the body
//    is max_body_bytes at most, else 413 (Content-Length checked up front, chunk sizes as
//    they are read). The framing of a chunked body (size lines, extensions, CRLFs, trailers)
//    gets its own budget of max_header_bytes, else 413, so buffered bytes stay bounded and
//    re-parsing a partial chunked body costs O(number of chunks), not O(body).
//  - trailer fields are validated like header fields and then dropped.
//
// Cost: each call re-reads the header section (bounded by max_header_bytes) and walks the
// chunk headers without touching chunk data; the chunked body is copied once, on complete.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/http_header.h"

namespace ringcast::protocol {

enum class http_method : std::uint8_t { get, head, post, put, delete_, options, patch, connect, trace, other };

enum class parse_status : std::uint8_t { need_more, complete, error };

struct parse_result {
  parse_status status = parse_status::need_more;
  std::size_t consumed = 0;  // bytes of the complete request; 0 otherwise
  int error_status = 0;      // 400, 413, 431, 501 or 505 when status == error; 0 otherwise
};

struct http_limits {
  std::size_t max_header_count = 100;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1'000'000;  // Engine.IO's default maxHttpBufferSize
};

// A parsed request. Every view points into the buffer given to parse_request and is valid
// while that buffer is unchanged, except body() of a chunked request, which points into
// storage owned here (so do not keep it across copies or moves of the request). Fields are
// meaningful only after a `complete` result. Keep one per connection: parse_request reuses
// the header vector and the body storage, so steady-state parsing does not allocate.
class http_request {
 public:
  http_method method = http_method::other;
  std::string_view method_name;  // as sent, e.g. "GET"
  std::string_view target;       // request-target as sent
  std::string_view path;         // before '?'; empty for "*", authority-form, and "http://host"
  std::string_view query;        // after '?', before any '#'; still percent-encoded
  int version_minor = 1;         // 0 or 1
  std::string_view host;         // Host field value; empty if absent (HTTP/1.0)
  std::vector<http_header_field> headers;
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = false;         // HTTP/1.1 unless "close"; HTTP/1.0 only with "keep-alive"
  bool upgrade_websocket = false;  // HTTP/1.1, Connection has "upgrade", Upgrade has "websocket"

  std::string_view body() const noexcept { return chunked ? std::string_view(decoded_body_) : body_; }

  // Value of the first field with this name, compared case-insensitively.
  std::optional<std::string_view> find_header(std::string_view name) const noexcept;

 private:
  friend class request_parser;
  void reset() noexcept;
  std::string_view body_;
  std::string decoded_body_;
};

[[nodiscard]] parse_result parse_request(std::string_view buffered, const http_limits& limits, http_request& out) noexcept;

}  // namespace ringcast::protocol
