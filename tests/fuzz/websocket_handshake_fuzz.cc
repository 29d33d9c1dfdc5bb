// The WebSocket opening handshake on arbitrary input, two ways chosen by bit 0 of the first byte.
// Clear: [mode][key length][key][version length][version][extension offer], checked directly:
// validate_upgrade against the RFC's rule, the rejection and 101 responses as HTTP.
// Set: [mode][plan: see chunks.h][request], a whole upgrade request read by the HTTP parser in
// chunks and then handled as accept_websocket does; chunked and whole reads must agree.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chunks.h"
#include "protocol/base64.h"
#include "protocol/http_header.h"
#include "protocol/http_parser.h"
#include "protocol/permessage_deflate.h"
#include "protocol/websocket_handshake.h"

namespace {

using namespace ringcast::protocol;

// A trap rather than assert, so the checks stay in any build type and libFuzzer reports a crash.
void require(bool ok) {
  if (!ok) __builtin_trap();
}

// RFC 6455 section 4.2.1: the version is exactly "13" and the key the base64 of 16 bytes,
// checked with the general decoder rather than the handshake's own fixed-size path.
handshake_error expected_verdict(std::string_view key, std::string_view version) {
  if (version != "13") return handshake_error::bad_version;
  const std::optional<std::string> bytes = base64_decode(key);
  if (!bytes || bytes->size() != 16) return handshake_error::bad_key;
  return handshake_error::ok;
}

// Field lines after the status line of a response, each "Name: value" with a token name and
// field characters only; -1 unless it is one complete header section.
int header_lines(std::string_view response) {
  const std::size_t status_end = response.find("\r\n");
  if (status_end == std::string_view::npos || !response.ends_with("\r\n\r\n")) return -1;
  std::string_view rest = response.substr(status_end + 2, response.size() - status_end - 4);
  int n = 0;
  while (!rest.empty()) {
    const std::size_t end = rest.find("\r\n");
    if (end == std::string_view::npos) return -1;
    const std::string_view line = rest.substr(0, end);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return -1;
    for (char c : line.substr(colon + 1)) {
      if (!http_chars::is(c, http_chars::field_char)) return -1;
    }
    rest.remove_prefix(end + 2);
    ++n;
  }
  return n;
}

void check_verdict(std::string_view key, std::string_view version, std::string_view offer) {
  const handshake_error e = validate_upgrade(key, version);
  require(e == expected_verdict(key, version));
  const std::string_view rejection = handshake_rejection_response(e);
  if (e != handshake_error::ok) {
    require(rejection.starts_with(e == handshake_error::bad_version ? "HTTP/1.1 426 " : "HTTP/1.1 400 "));
    require(header_lines(rejection) >= 2);
    require(rejection.find("Content-Length: 0\r\n") != std::string_view::npos);
    return;
  }
  require(rejection.empty());
  require(key.size() == 24 && key.ends_with("=="));

  const std::string accept = websocket_accept(key);
  const std::optional<std::string> digest = base64_decode(accept);
  require(accept.size() == 28 && digest && digest->size() == 20);
  std::string extensions;
  if (const auto agreed = negotiate_permessage_deflate(offer)) extensions = format_deflate_response(*agreed);
  const std::string response = build_upgrade_response(key, extensions);
  require(response.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
  // A negotiated extension adds exactly one line: nothing from the offer reaches the response raw.
  require(header_lines(response) == (extensions.empty() ? 3 : 4));
  require(response.find("\r\nSec-WebSocket-Accept: " + accept + "\r\n") != std::string::npos);
}

struct handled {
  parse_status status = parse_status::need_more;
  std::size_t consumed = 0;
  int error_status = 0;
  std::string response;  // what accept_websocket would send, for a complete upgrade request
  bool operator==(const handled&) const = default;
};

// The first request of `input`, read in the plan's chunks the way a connection buffers it.
handled read_upgrade(std::string_view input, ringcast::fuzz::chunk_plan plan) {
  std::string buffer;
  http_request req;
  handled h;
  for (const std::string_view chunk : plan.split(input)) {
    buffer.append(chunk);
    const parse_result r = parse_request(buffer, {}, req);
    h = {r.status, r.consumed, r.error_status, {}};
    if (r.status != parse_status::need_more) break;
  }
  if (h.status != parse_status::complete || !req.upgrade_websocket) return h;
  require(req.version_minor == 1);
  const std::string_view key = req.find_header("sec-websocket-key").value_or("");
  const std::string_view version = req.find_header("sec-websocket-version").value_or("");
  require(trim_ows(key) == key && trim_ows(version) == version);
  std::string offers;
  for (const auto& f : req.headers) {
    if (!ascii_iequals(f.name, "sec-websocket-extensions")) continue;
    if (!offers.empty()) offers += ", ";
    offers += f.value;
  }
  check_verdict(key, version, offers);
  const handshake_error e = validate_upgrade(key, version);
  if (e != handshake_error::ok) {
    h.response = handshake_rejection_response(e);
    return h;
  }
  const auto agreed = negotiate_permessage_deflate(offers);
  h.response = build_upgrade_response(key, agreed ? format_deflate_response(*agreed) : std::string());
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) != 0) {
    const ringcast::fuzz::chunk_plan plan = ringcast::fuzz::chunk_plan::take(input);
    require(read_upgrade(input, plan) == read_upgrade(input, ringcast::fuzz::chunk_plan::whole()));
    return 0;
  }
  const auto field = [&input] {
    if (input.empty()) return std::string_view();
    const std::size_t n = std::min<std::size_t>(static_cast<std::uint8_t>(input[0]), input.size() - 1);
    const std::string_view f = input.substr(1, n);
    input.remove_prefix(1 + n);
    return f;
  };
  const std::string_view key = field();
  const std::string_view version = field();
  check_verdict(key, version, input);
  return 0;
}
