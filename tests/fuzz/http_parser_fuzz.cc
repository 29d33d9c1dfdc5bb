// Feeds the HTTP request parser the way a connection does, in chunks whose sizes come from the
// input (a chunk_plan, tests/fuzz/chunks.h, after the limits byte), and traps on any broken invariant: results within the buffer, views
// inside it, verdicts that never change once given, and the same requests however the bytes
// were split. ctest runs it with tests/data/fuzz/http_parser.dict and the seeds in tests/data/fuzz/http_parser/.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chunks.h"
#include "protocol/http_parser.h"
#include "protocol/url.h"

namespace {

using namespace ringcast::protocol;

// A trap rather than assert, so the checks stay in any build type and libFuzzer reports a crash.
void require(bool ok) {
  if (!ok) __builtin_trap();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

struct seen_request {
  std::string method, target, path, query, host, body;
  std::vector<std::string> headers;
  int version_minor = 0;
  bool keep_alive = false;
  bool upgrade_websocket = false;
  bool chunked = false;
  std::size_t consumed = 0;
  bool operator==(const seen_request&) const = default;
};

struct outcome {
  std::vector<seen_request> requests;
  int error_status = 0;
  std::size_t leftover = 0;
  bool operator==(const outcome&) const = default;
};

seen_request check_and_copy(const http_request& r, std::string_view bytes, const http_limits& limits) {
  for (std::string_view v : {r.method_name, r.target, r.host}) require(inside(v, bytes));
  require(!r.method_name.empty() && !r.target.empty());
  require(inside(r.path, r.target) && inside(r.query, r.target));
  require(r.version_minor == 0 || r.version_minor == 1);
  require(r.headers.size() <= limits.max_header_count);
  for (const auto& h : r.headers) require(!h.name.empty() && inside(h.name, bytes) && inside(h.value, bytes));
  require(r.body().size() <= limits.max_body_bytes);
  if (r.chunked) {
    require(!r.content_length.has_value());
  } else {
    require(inside(r.body(), bytes) && r.body().size() == r.content_length.value_or(0));
  }
  require(!r.upgrade_websocket || r.version_minor == 1);
  (void)query_param(r.query, "sid");

  seen_request s{std::string(r.method_name), std::string(r.target), std::string(r.path), std::string(r.query),
                 std::string(r.host), std::string(r.body())};
  for (const auto& h : r.headers) s.headers.push_back(std::string(h.name) + ':' + std::string(h.value));
  s.version_minor = r.version_minor;
  s.keep_alive = r.keep_alive;
  s.upgrade_websocket = r.upgrade_websocket;
  s.chunked = r.chunked;
  s.consumed = bytes.size();
  return s;
}

// A connection that receives `input` in the plan's chunks.
outcome replay(std::string_view input, ringcast::fuzz::chunk_plan plan, const http_limits& limits) {
  outcome out;
  std::string buffer;
  http_request req;
  http_request again;
  std::size_t fed = 0;
  for (const std::string_view chunk : plan.split(input)) {
    buffer.append(chunk);
    fed += chunk.size();
    const std::string_view rest = input.substr(fed);
    while (true) {
      const parse_result r = parse_request(buffer, limits, req);
      if (r.status == parse_status::need_more) {
        require(r.consumed == 0 && r.error_status == 0);
        break;
      }
      const std::string with_rest = buffer + std::string(rest);
      const parse_result later = parse_request(with_rest, limits, again);
      if (r.status == parse_status::error) {
        require(r.consumed == 0);
        const int s = r.error_status;
        require(s == 400 || s == 413 || s == 431 || s == 501 || s == 505);
        require(later.status == parse_status::error && later.error_status == s);
        out.error_status = s;
        return out;
      }
      require(r.status == parse_status::complete && r.error_status == 0);
      require(r.consumed > 0 && r.consumed <= buffer.size());
      const seen_request s = check_and_copy(req, std::string_view(buffer).substr(0, r.consumed), limits);
      require(later.status == parse_status::complete && later.consumed == r.consumed);
      require(check_and_copy(again, std::string_view(with_rest).substr(0, later.consumed), limits) == s);
      out.requests.push_back(s);
      buffer.erase(0, r.consumed);
    }
  }
  out.leftover = buffer.size();
  return out;
}

http_limits limits_for(std::uint8_t selector) {
  switch (selector % 4) {
    case 1:
      return {.max_header_count = 4, .max_header_bytes = 96, .max_body_bytes = 32};
    case 2:
      return {.max_header_count = 1, .max_header_bytes = 40, .max_body_bytes = 4};
    case 3:
      return {.max_header_count = 16, .max_header_bytes = 512, .max_body_bytes = 300};
    default:
      return {};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const http_limits limits = limits_for(data[0]);
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const ringcast::fuzz::chunk_plan plan = ringcast::fuzz::chunk_plan::take(input);
  const outcome split = replay(input, plan, limits);
  const outcome whole = replay(input, ringcast::fuzz::chunk_plan::whole(), limits);
  require(split == whole);
  return 0;
}
