#include "protocol/http_parser.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ringcast::protocol {
namespace {

using m = http_method;
using header_list = std::vector<std::pair<std::string, std::string>>;

// What a connection saw of one complete request, copied out of the buffer.
struct request_summary {
  http_method method = m::other;
  std::string method_name, target, path, query, host;
  int version_minor = 0;
  header_list headers;
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = false;
  bool upgrade_websocket = false;
  std::string body;
  std::size_t consumed = 0;
  bool operator==(const request_summary&) const = default;
};

// Everything a connection fed with some input saw: its requests, then either the error it
// must answer with or the bytes still waiting for more input.
struct replay_outcome {
  std::vector<request_summary> requests;
  int error_status = 0;
  std::size_t leftover = 0;
  bool operator==(const replay_outcome&) const = default;
};

bool inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

request_summary summarize(const http_request& r, std::string_view buffer, std::size_t consumed) {
  // Every non-empty view but a chunked body points into the caller's buffer, within the request.
  const std::string_view request_bytes = buffer.substr(0, consumed);
  for (std::string_view v : {r.method_name, r.target, r.path, r.query, r.host}) {
    EXPECT_TRUE(v.empty() || inside(v, request_bytes));
  }
  for (const auto& h : r.headers) EXPECT_TRUE(inside(h.name, request_bytes) && inside(h.value, request_bytes));
  if (!r.chunked) {
    EXPECT_TRUE(inside(r.body(), request_bytes));
  }
  request_summary s{r.method,         std::string(r.method_name), std::string(r.target), std::string(r.path),
                    std::string(r.query), std::string(r.host),    r.version_minor,      {},
                    r.content_length, r.chunked,                  r.keep_alive,         r.upgrade_websocket,
                    std::string(r.body()), consumed};
  for (const auto& h : r.headers) s.headers.emplace_back(h.name, h.value);
  return s;
}

// Feeds `input` cut at `cuts` (increasing positions) the way a server connection would: parse
// after every arrival, drop each complete request, stop at the first error.
replay_outcome replay(std::string_view input, const std::vector<std::size_t>& cuts, const http_limits& limits) {
  replay_outcome out;
  std::string buffer;
  http_request req;
  std::size_t fed = 0;
  auto arrive = [&](std::size_t upto) {
    buffer.append(input.substr(fed, upto - fed));
    fed = upto;
    while (true) {
      const parse_result r = parse_request(buffer, limits, req);
      if (r.status == parse_status::need_more) {
        EXPECT_EQ(r.consumed, 0u);
        EXPECT_EQ(r.error_status, 0);
        return true;
      }
      if (r.status == parse_status::error) {
        EXPECT_EQ(r.consumed, 0u);
        out.error_status = r.error_status;
        // Sticky: whatever arrives next, the verdict on these bytes stands.
        const std::string everything = buffer + std::string(input.substr(fed));
        const parse_result again = parse_request(everything, limits, req);
        EXPECT_EQ(again.status, parse_status::error);
        EXPECT_EQ(again.error_status, r.error_status);
        return false;
      }
      EXPECT_EQ(r.error_status, 0);
      EXPECT_GT(r.consumed, 0u);
      EXPECT_LE(r.consumed, buffer.size());
      out.requests.push_back(summarize(req, buffer, r.consumed));
      buffer.erase(0, r.consumed);
    }
  };
  bool open = true;
  for (std::size_t cut : cuts) open = open && arrive(cut);
  if (open && arrive(input.size())) out.leftover = buffer.size();
  return out;
}

struct expected_request {
  http_method method;
  std::string target, path, query;
  int version_minor;
  bool keep_alive;
  bool upgrade_websocket;
  std::string body;
  std::size_t consumed;  // 0: the whole input
  std::optional<header_list> headers = std::nullopt;  // checked when given
};

struct request_case {
  std::string name;
  std::string input;
  std::vector<expected_request> requests;
  int error_status = 0;  // 0: the input ends without error, with `leftover` bytes pending
  std::size_t leftover = 0;
  http_limits limits = {};
};

http_limits small_limits() { return {.max_header_count = 3, .max_header_bytes = 64, .max_body_bytes = 16}; }

const std::string polling_get =
    "GET /socket.io/?EIO=4&transport=polling&t=N8hyd6w HTTP/1.1\r\n"
    "Host: localhost:3000\r\n"
    "Accept: */*\r\n"
    "\r\n";

const std::string polling_post =
    "POST /socket.io/?EIO=4&transport=polling&sid=Zr3dKA HTTP/1.1\r\n"
    "Host: localhost:3000\r\n"
    "Content-Type: text/plain;charset=UTF-8\r\n"
    "Content-Length: 20\r\n"
    "\r\n"
    "42[\"message\",\"hi\"]\x1e" "3";

const std::string chunked_post =
    "POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\n"
    "Host: x\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "5;name=value\r\nhello\r\n"
    "6 ; q=\"a \\\"b\\\"\"; flag\r\n world\r\n"
    "0\r\n"
    "X-Trailer: yes\r\n"
    "\r\n";

const std::string upgrade_get =
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
    "Host: localhost:3000\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Upgrade: websocket\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

std::string get_with(std::string_view head) { return "GET / HTTP/1.1\r\nHost: a\r\n" + std::string(head) + "\r\n"; }
std::string post_with(std::string_view head, std::string_view body) {
  return "POST / HTTP/1.1\r\nHost: a\r\n" + std::string(head) + "\r\n" + std::string(body);
}
std::string chunked_with(std::string_view body) { return post_with("Transfer-Encoding: chunked\r\n", body); }

expected_request get_root(std::size_t consumed, bool keep_alive = true) {
  return {m::get, "/", "/", "", 1, keep_alive, false, "", consumed};
}
expected_request post_root(std::size_t consumed, std::string body) {
  return {m::post, "/", "/", "", 1, true, false, std::move(body), consumed};
}

std::vector<request_case> valid_cases() {
  const std::string ok_get = get_with("");
  return {
      {"polling GET",
       polling_get,
       {{m::get, "/socket.io/?EIO=4&transport=polling&t=N8hyd6w", "/socket.io/", "EIO=4&transport=polling&t=N8hyd6w",
         1, true, false, "", polling_get.size(), header_list{{"Host", "localhost:3000"}, {"Accept", "*/*"}}}}},
      {"polling POST with Content-Length",
       polling_post,
       {{m::post, "/socket.io/?EIO=4&transport=polling&sid=Zr3dKA", "/socket.io/", "EIO=4&transport=polling&sid=Zr3dKA",
         1, true, false, "42[\"message\",\"hi\"]\x1e" "3", polling_post.size()}}},
      {"chunked with extensions and trailers",
       chunked_post,
       {{m::post, "/socket.io/?EIO=4&transport=polling&sid=abc", "/socket.io/", "EIO=4&transport=polling&sid=abc", 1,
         true, false, "hello world", chunked_post.size()}}},
      {"chunked sizes in upper case with leading zeros",
       chunked_with("000A\r\n0123456789\r\n00\r\n\r\n"),
       {post_root(chunked_with("000A\r\n0123456789\r\n00\r\n\r\n").size(), "0123456789")}},
      {"chunked with an empty body", chunked_with("0\r\n\r\n"), {post_root(chunked_with("0\r\n\r\n").size(), "")}},
      {"pipelined GET then POST",
       polling_get + polling_post,
       {{m::get, "/socket.io/?EIO=4&transport=polling&t=N8hyd6w", "/socket.io/", "EIO=4&transport=polling&t=N8hyd6w",
         1, true, false, "", polling_get.size()},
        {m::post, "/socket.io/?EIO=4&transport=polling&sid=Zr3dKA", "/socket.io/",
         "EIO=4&transport=polling&sid=Zr3dKA", 1, true, false, "42[\"message\",\"hi\"]\x1e" "3", polling_post.size()}}},
      {"pipelined POST, stray CRLF, GET, then half a request",
       post_with("Content-Length: 2\r\n", "hi") + "\r\n" + ok_get + "GET / HT",
       {post_root(post_with("Content-Length: 2\r\n", "hi").size(), "hi"), get_root(2 + ok_get.size())},
       0,
       8},
      {"empty lines before the request line", "\r\n\r\n" + ok_get, {get_root(4 + ok_get.size())}},
      {"HTTP/1.0 closes by default",
       "GET /healthz HTTP/1.0\r\n\r\n",
       {{m::get, "/healthz", "/healthz", "", 0, false, false, "", 0}}},
      {"HTTP/1.0 keep-alive",
       "GET /metrics HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
       {{m::get, "/metrics", "/metrics", "", 0, true, false, "", 0}}},
      {"HTTP/1.0 close wins over keep-alive",
       "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
       {{m::get, "/", "/", "", 0, false, false, "", 0}}},
      {"HTTP/1.1 Connection: close", get_with("Connection: close\r\n"), {get_root(0, false)}},
      {"HTTP/1.1 close in a token list",
       get_with("Connection: Keep-Alive, CLOSE\r\n"),
       {get_root(get_with("Connection: Keep-Alive, CLOSE\r\n").size(), false)}},
      {"WebSocket upgrade",
       upgrade_get,
       {{m::get, "/socket.io/?EIO=4&transport=websocket", "/socket.io/", "EIO=4&transport=websocket", 1, true, true,
         "", upgrade_get.size()}}},
      {"Upgrade without Connection: upgrade is no upgrade",
       get_with("Upgrade: websocket\r\n"),
       {get_root(get_with("Upgrade: websocket\r\n").size())}},
      {"Upgrade is ignored in HTTP/1.0",
       "GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
       {{m::get, "/", "/", "", 0, false, false, "", 0}}},
      {"HTTP/1.2 is handled as 1.1", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", {get_root(0)}},
      {"OPTIONS *",
       "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
       {{m::options, "*", "", "", 1, true, false, "", 0}}},
      {"absolute-form target",
       "GET http://example.com:3000/socket.io/?EIO=4 HTTP/1.1\r\nHost: example.com:3000\r\n\r\n",
       {{m::get, "http://example.com:3000/socket.io/?EIO=4", "/socket.io/", "EIO=4", 1, true, false, "", 0}}},
      {"absolute-form without a path",
       "GET http://example.com?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
       {{m::get, "http://example.com?x=1", "", "x=1", 1, true, false, "", 0}}},
      {"a fragment is not part of the query",
       "GET /a?b=1#frag HTTP/1.1\r\nHost: a\r\n\r\n",
       {{m::get, "/a?b=1#frag", "/a", "b=1", 1, true, false, "", 0}}},
      {"unknown method is kept raw",
       "M-SEARCH / HTTP/1.1\r\nHost: a\r\n\r\n",
       {{m::other, "/", "/", "", 1, true, false, "", 0}}},
      {"field values lose OWS; empty and obs-text values are fine",
       get_with("X-Empty:\r\nX-Pad: \t v a l \t\r\nX-Utf8: caf\xc3\xa9\r\n"),
       {{m::get, "/", "/", "", 1, true, false, "",
         get_with("X-Empty:\r\nX-Pad: \t v a l \t\r\nX-Utf8: caf\xc3\xa9\r\n").size(),
         header_list{{"Host", "a"}, {"X-Empty", ""}, {"X-Pad", "v a l"}, {"X-Utf8", "caf\xc3\xa9"}}}}},
      {"identical Content-Length repeats",
       post_with("Content-Length: 3\r\ncontent-length: 003\r\nContent-Length: 3, 3\r\n", "abc"),
       {post_root(post_with("Content-Length: 3\r\ncontent-length: 003\r\nContent-Length: 3, 3\r\n", "abc").size(),
                  "abc")}},
      {"Content-Length: 0", post_with("Content-Length: 0\r\n", ""), {post_root(post_with("Content-Length: 0\r\n", "").size(), "")}},
      {"body waits for its last byte", post_with("Content-Length: 5\r\n", "abcd"), {}, 0,
       post_with("Content-Length: 5\r\n", "abcd").size()},
      {"chunked body waits for the final CRLF", chunked_with("1\r\na\r\n0\r\n\r"), {}, 0,
       chunked_with("1\r\na\r\n0\r\n\r").size()},
      {"body exactly at the limit",
       post_with("Content-Length: 16\r\n", "0123456789abcdef"),
       {post_root(post_with("Content-Length: 16\r\n", "0123456789abcdef").size(), "0123456789abcdef")},
       0,
       0,
       {.max_header_count = 3, .max_header_bytes = 64, .max_body_bytes = 16}},
      {"chunked body exactly at the limit",
       chunked_with("a\r\n0123456789\r\n6\r\nabcdef\r\n0\r\n\r\n"),
       {post_root(chunked_with("a\r\n0123456789\r\n6\r\nabcdef\r\n0\r\n\r\n").size(), "0123456789abcdef")},
       0,
       0,
       {.max_header_count = 3, .max_header_bytes = 100, .max_body_bytes = 16}},
  };
}

std::vector<request_case> error_cases() {
  return {
      // Line endings: CRLF only.
      {"bare LF ends the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", {}, 400},
      {"bare LF ends a field line", "GET / HTTP/1.1\r\nHost: a\n\r\n", {}, 400},
      {"bare LF ends the header section", "GET / HTTP/1.1\r\nHost: a\r\n\n", {}, 400},
      {"bare LF before the request line", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", {}, 400},
      {"bare CR in a value", get_with("X: a\rb\r\n"), {}, 400},
      {"bare CR after the chunk size", chunked_with("1\ra\r\n0\r\n\r\n"), {}, 400},
      // Request line.
      {"two spaces after the method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", {}, 400},
      {"trailing space after the version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", {}, 400},
      {"tab as separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", {}, 400},
      {"missing version", "GET /\r\nHost: a\r\n\r\n", {}, 400},
      {"lower-case protocol name", "GET / http/1.1\r\nHost: a\r\n\r\n", {}, 400},
      {"version with two minor digits", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", {}, 400},
      {"non-token method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", {}, 400},
      {"non-ASCII byte in the target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", {}, 400},
      {"NUL in the target", std::string("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n", 30), {}, 400},
      {"asterisk-form outside OPTIONS", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", {}, 400},
      {"authority-form outside CONNECT", "GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", {}, 400},
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", {}, 505},
      {"HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", {}, 505},
      // Field lines.
      {"obs-fold", get_with("X: a\r\n b\r\n"), {}, 400},
      {"whitespace before the first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", {}, 400},
      {"whitespace before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", {}, 400},
      {"empty field name", get_with(": a\r\n"), {}, 400},
      {"non-token field name", get_with("X(a): b\r\n"), {}, 400},
      {"field line without a colon", get_with("X-No-Colon\r\n"), {}, 400},
      {"control character in a value", get_with("X: a\x01" "b\r\n"), {}, 400},
      {"DEL in a value", get_with("X: a\x7f\r\n"), {}, 400},
      {"NUL in a value", get_with(std::string("X: a\0b\r\n", 8)), {}, 400},
      {"HTTP/1.1 without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", {}, 400},
      {"two Host lines", get_with("Host: b\r\n"), {}, 400},
      // Framing (request smuggling).
      {"Content-Length and Transfer-Encoding",
       post_with("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), {}, 400},
      {"Transfer-Encoding and Content-Length",
       post_with("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"), {}, 400},
      {"Content-Length with letters", post_with("Content-Length: 1a\r\n", "a"), {}, 400},
      {"negative Content-Length", post_with("Content-Length: -1\r\n", ""), {}, 400},
      {"Content-Length with a plus sign", post_with("Content-Length: +1\r\n", "a"), {}, 400},
      {"Content-Length with inner space", post_with("Content-Length: 1 1\r\n", "a"), {}, 400},
      {"empty Content-Length", post_with("Content-Length: \r\n", ""), {}, 400},
      {"Content-Length overflowing 64 bits", post_with("Content-Length: 18446744073709551616\r\n", ""), {}, 400},
      {"differing Content-Length lines", post_with("Content-Length: 3\r\nContent-Length: 4\r\n", "abcd"), {}, 400},
      {"differing Content-Length list", post_with("Content-Length: 3, 4\r\n", "abcd"), {}, 400},
      {"Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {}, 400},
      {"chunked applied twice", post_with("Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n"), {}, 400},
      {"empty Transfer-Encoding", post_with("Transfer-Encoding: \r\n", ""), {}, 400},
      {"unknown transfer coding", post_with("Transfer-Encoding: gzip\r\n", ""), {}, 501},
      {"unknown coding before chunked", post_with("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), {}, 501},
      {"unknown coding on a second line",
       post_with("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", "0\r\n\r\n"), {}, 501},
      // Chunked syntax.
      {"chunk size that is not hex", chunked_with("zz\r\n"), {}, 400},
      {"chunk size missing", chunked_with("\r\n"), {}, 400},
      {"chunk data longer than its size", chunked_with("1\r\nab\r\n0\r\n\r\n"), {}, 400},
      {"whitespace after the size without extension", chunked_with("1 \r\na\r\n0\r\n\r\n"), {}, 400},
      {"chunk extension without a name", chunked_with("1;=x\r\na\r\n0\r\n\r\n"), {}, 400},
      {"chunk extension with an empty value", chunked_with("1;a=\r\na\r\n0\r\n\r\n"), {}, 400},
      {"control character in a quoted extension", chunked_with("1;a=\"\x01\"\r\na\r\n0\r\n\r\n"), {}, 400},
      {"malformed trailer", chunked_with("0\r\nX : y\r\n\r\n"), {}, 400},
      {"obs-fold in a trailer", chunked_with("0\r\nX: y\r\n z\r\n\r\n"), {}, 400},
      // Limits.
      {"Content-Length over the body limit", post_with("Content-Length: 17\r\n", ""), {}, 413, 0, small_limits()},
      {"chunks summing over the body limit", chunked_with("a\r\n0123456789\r\n7\r\n"), {}, 413, 0,
       {.max_header_count = 3, .max_header_bytes = 100, .max_body_bytes = 16}},
      {"huge chunk size", chunked_with("fffffffffffffffffffffffff\r\n"), {}, 413},
      {"chunk extensions over the framing budget",
       chunked_with("1;" + std::string(100, 'x') + "\r\na\r\n0\r\n\r\n"), {}, 413,
       0, {.max_header_count = 3, .max_header_bytes = 100, .max_body_bytes = 16}},
      {"trailers over the framing budget", chunked_with("0\r\nX: " + std::string(100, 'y') + "\r\n\r\n"), {}, 413,
       0, {.max_header_count = 3, .max_header_bytes = 100, .max_body_bytes = 16}},
      {"too many header fields", get_with("A: 1\r\nB: 2\r\nC: 3\r\n"), {}, 431, 0, small_limits()},
      {"header section over the byte limit", get_with("X: " + std::string(60, 'x') + "\r\n"), {}, 431, 0,
       small_limits()},
      {"CRLF flood over the byte limit", [] {
         std::string s;
         for (int i = 0; i < 40; ++i) s += "\r\n";
         return s;
       }(), {}, 431, 0, small_limits()},
      {"a limit error wins over a later syntax error", get_with("X: " + std::string(70, 'x') + "\x01\r\n"), {}, 431,
       0, small_limits()},
      {"a syntax error before the limit wins", get_with("X: \x01" + std::string(70, 'x') + "\r\n"), {}, 400, 0,
       small_limits()},
      {"error after a complete request", polling_get + "GET / HTTP/1.1\nHost: a\r\n\r\n",
       {{m::get, "/socket.io/?EIO=4&transport=polling&t=N8hyd6w", "/socket.io/", "EIO=4&transport=polling&t=N8hyd6w",
         1, true, false, "", polling_get.size()}},
       400},
  };
}

void check_expected(const replay_outcome& got, const request_case& c) {
  ASSERT_EQ(got.requests.size(), c.requests.size());
  for (std::size_t i = 0; i < c.requests.size(); ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    const request_summary& g = got.requests[i];
    const expected_request& e = c.requests[i];
    EXPECT_EQ(g.method, e.method);
    EXPECT_EQ(g.target, e.target);
    EXPECT_EQ(g.path, e.path);
    EXPECT_EQ(g.query, e.query);
    EXPECT_EQ(g.version_minor, e.version_minor);
    EXPECT_EQ(g.keep_alive, e.keep_alive);
    EXPECT_EQ(g.upgrade_websocket, e.upgrade_websocket);
    EXPECT_EQ(g.body, e.body);
    EXPECT_EQ(g.consumed, e.consumed == 0 ? c.input.size() : e.consumed);
    if (e.headers) {
      EXPECT_EQ(g.headers, *e.headers);
    }
  }
  EXPECT_EQ(got.error_status, c.error_status);
  EXPECT_EQ(got.leftover, c.leftover);
}

// One-shot, every two-chunk split, and one byte at a time must all see the same thing.
void run_case(const request_case& c) {
  SCOPED_TRACE(c.name);
  const replay_outcome one_shot = replay(c.input, {}, c.limits);
  check_expected(one_shot, c);
  for (std::size_t split = 0; split <= c.input.size(); ++split) {
    const replay_outcome got = replay(c.input, {split}, c.limits);
    ASSERT_EQ(got, one_shot) << "split at " << split;
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < c.input.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(replay(c.input, every_byte, c.limits), one_shot) << "byte at a time";
}

TEST(HttpParser, ValidRequestsAtEverySplit) {
  for (const request_case& c : valid_cases()) run_case(c);
}

TEST(HttpParser, ErrorsAtEverySplit) {
  for (const request_case& c : error_cases()) run_case(c);
}

TEST(HttpParser, RecordsMethodHostLengthAndFraming) {
  http_request req;
  ASSERT_EQ(parse_request(polling_post, {}, req).status, parse_status::complete);
  EXPECT_EQ(req.method_name, "POST");
  EXPECT_EQ(req.host, "localhost:3000");
  EXPECT_EQ(req.content_length, 20u);
  EXPECT_FALSE(req.chunked);

  ASSERT_EQ(parse_request(chunked_post, {}, req).status, parse_status::complete);
  EXPECT_TRUE(req.chunked);
  EXPECT_FALSE(req.content_length.has_value());
  EXPECT_EQ(req.headers.size(), 2u);  // trailers are dropped

  ASSERT_EQ(parse_request("GET / HTTP/1.0\r\n\r\n", {}, req).status, parse_status::complete);
  EXPECT_EQ(req.host, "");
  EXPECT_EQ(req.version_minor, 0);
}

TEST(HttpParser, FindHeaderIgnoresCaseAndTakesTheFirst) {
  http_request req;
  const std::string input = get_with("x-token: one\r\nX-TOKEN: two\r\n");
  ASSERT_EQ(parse_request(input, {}, req).status, parse_status::complete);
  EXPECT_EQ(req.find_header("X-Token"), "one");
  EXPECT_EQ(req.find_header("HOST"), "a");
  EXPECT_EQ(req.find_header("X-Tok"), std::nullopt);
  EXPECT_EQ(req.find_header("Cookie"), std::nullopt);
}

TEST(HttpParser, ChunkedBodyIsOwnedByTheRequest) {
  std::string buffer = chunked_post;
  http_request req;
  ASSERT_EQ(parse_request(buffer, {}, req).status, parse_status::complete);
  buffer.assign(buffer.size(), '#');
  EXPECT_EQ(req.body(), "hello world");
}

TEST(HttpParser, ReusesHeaderAndBodyStorage) {
  http_request req;
  ASSERT_EQ(parse_request(chunked_post, {}, req).status, parse_status::complete);
  ASSERT_EQ(parse_request(upgrade_get, {}, req).status, parse_status::complete);
  const auto* headers = req.headers.data();
  const auto header_capacity = req.headers.capacity();
  ASSERT_EQ(parse_request(chunked_post, {}, req).status, parse_status::complete);
  const char* body = req.body().data();
  ASSERT_EQ(parse_request(upgrade_get, {}, req).status, parse_status::complete);
  ASSERT_EQ(parse_request(chunked_post, {}, req).status, parse_status::complete);
  EXPECT_EQ(req.headers.data(), headers);
  EXPECT_EQ(req.headers.capacity(), header_capacity);
  EXPECT_EQ(req.body().data(), body);
}

TEST(HttpParser, DefaultLimitsMatchEngineIo) {
  http_request req;
  const http_limits defaults;
  EXPECT_EQ(defaults.max_body_bytes, 1'000'000u);
  EXPECT_EQ(defaults.max_header_count, 100u);
  EXPECT_EQ(defaults.max_header_bytes, 16'384u);
  const parse_result over = parse_request(post_with("Content-Length: 1000001\r\n", ""), defaults, req);
  EXPECT_EQ(over.status, parse_status::error);
  EXPECT_EQ(over.error_status, 413);
  EXPECT_EQ(parse_request(post_with("Content-Length: 1000000\r\n", ""), defaults, req).status, parse_status::need_more);

  std::string many;
  for (int i = 0; i < 99; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(parse_request(get_with(many), defaults, req).status, parse_status::complete);
  const parse_result too_many = parse_request(get_with(many + "X-Last: v\r\n"), defaults, req);
  EXPECT_EQ(too_many.status, parse_status::error);
  EXPECT_EQ(too_many.error_status, 431);
}

TEST(HttpParser, HeaderByteLimitIsInclusive) {
  const std::string input = get_with("X-Fill: " + std::string(200, 'f') + "\r\n");
  http_request req;
  http_limits limits;
  limits.max_header_bytes = input.size();
  EXPECT_EQ(parse_request(input, limits, req).status, parse_status::complete);
  limits.max_header_bytes = input.size() - 1;
  const parse_result r = parse_request(input, limits, req);
  EXPECT_EQ(r.status, parse_status::error);
  EXPECT_EQ(r.error_status, 431);
  // The limit covers the header section only: a body does not count against it.
  const std::string post = post_with("Content-Length: 300\r\n", std::string(300, 'b'));
  limits.max_header_bytes = post.size() - 300;
  EXPECT_EQ(parse_request(post, limits, req).status, parse_status::complete);
}

TEST(HttpParser, EmptyInputNeedsMore) {
  http_request req;
  const parse_result r = parse_request("", {}, req);
  EXPECT_EQ(r.status, parse_status::need_more);
  EXPECT_EQ(r.consumed, 0u);
}

}  // namespace
}  // namespace ringcast::protocol
