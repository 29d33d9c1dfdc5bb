// Query strings and request targets on arbitrary bytes: form_decode against a plain reading of
// the rules in protocol/url.h, query_reader's pairs against the bytes they came from, and
// query_param against a lookup built from the reader. The request-target is split into path and
// query by the HTTP parser, so that split is checked through a one-line request.
// Input: [key length][key][query]; the query also serves as the request-target.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/http_header.h"
#include "protocol/http_parser.h"
#include "protocol/url.h"

namespace {

using namespace ringcast::protocol;

// A trap rather than assert, so the checks stay in any build type and libFuzzer reports a crash.
void require(bool ok) {
  if (!ok) __builtin_trap();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The decoding rules of url.h written out again, independently of its implementation.
std::string reference_decode(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '+') {
      out += ' ';
    } else if (raw[i] == '%' && i + 2 < raw.size() && hex(raw[i + 1]) >= 0 && hex(raw[i + 2]) >= 0) {
      out += static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
      i += 2;
    } else {
      out += raw[i];
    }
  }
  return out;
}

std::string decode(std::string_view raw) {
  std::string out = "kept";
  form_decode(raw, out);
  require(out.compare(0, 4, "kept") == 0);
  out.erase(0, 4);
  require(out.size() <= raw.size());
  require(out == reference_decode(raw));
  return out;
}

struct pair {
  std::string key, value;
};

std::vector<pair> check_reader(std::string_view query) {
  // The non-empty '&'-separated pieces, in order: what the reader must return.
  std::vector<std::string_view> pieces;
  for (std::size_t start = 0; start <= query.size();) {
    const std::size_t amp = std::min(query.find('&', start), query.size());
    if (amp > start) pieces.push_back(query.substr(start, amp - start));
    start = amp + 1;
  }

  query_reader raw_reader(query);
  query_reader reader(query);
  std::vector<pair> pairs;
  std::string_view key, value;
  std::string dkey = "stale", dvalue = "stale";
  for (const std::string_view piece : pieces) {
    require(raw_reader.next_raw(key, value));
    require(inside(key, piece) && inside(value, piece));
    require(key.data() == piece.data());
    const std::size_t eq = piece.find('=');
    require(key == piece.substr(0, eq));
    require(value == (eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1)));
    require(reader.next(dkey, dvalue));
    require(dkey == decode(key) && dvalue == decode(value));
    pairs.push_back({dkey, dvalue});
  }
  require(!raw_reader.next_raw(key, value));
  require(!reader.next(dkey, dvalue));
  require(!reader.next(dkey, dvalue));
  return pairs;
}

void check_lookup(std::string_view query, std::string_view key, const std::vector<pair>& pairs) {
  std::optional<std::string> expected;
  for (const auto& p : pairs) {
    if (p.key == key) {
      expected = p.value;
      break;
    }
  }
  require(query_param(query, key) == expected);
}

void check_target(std::string_view target) {
  const std::string request = "GET " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n\r\n";
  http_request req;
  const parse_result r = parse_request(request, {}, req);
  if (r.status != parse_status::complete) return;
  require(r.consumed == request.size() && req.target == target);
  for (char c : target) require(http_chars::is(c, http_chars::target_char));
  require(inside(req.path, req.target) && inside(req.query, req.target));
  require(req.path.find_first_of("?#") == std::string_view::npos);
  require(req.query.find('#') == std::string_view::npos);
  const std::string_view before_fragment = target.substr(0, target.find('#'));
  std::string_view rest = before_fragment;
  if (target.front() != '/') {
    // Absolute-form: path and query follow the authority, which ends at the first '/' or '?'.
    const std::size_t sep = before_fragment.find("://");
    require(sep != std::string_view::npos);
    rest = before_fragment.substr(sep + 3);
    rest.remove_prefix(std::min(rest.find_first_of("/?"), rest.size()));
  }
  // Cut at the first '?'; a '?' with nothing after it is an empty query.
  const std::size_t q = rest.find('?');
  require(req.path == rest.substr(0, q));
  require(req.query == (q == std::string_view::npos ? std::string_view() : rest.substr(q + 1)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t key_size = std::min<std::size_t>(data[0], input.size());
  const std::string_view key = input.substr(0, key_size);
  const std::string_view query = input.substr(key_size);

  decode(key);
  const std::vector<pair> pairs = check_reader(query);
  check_lookup(query, key, pairs);
  check_lookup(query, decode(key), pairs);
  for (const auto& p : pairs) check_lookup(query, p.key, pairs);
  if (!query.empty()) check_target(query);
  return 0;
}
