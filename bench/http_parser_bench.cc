// Parsing cost of the requests an Engine.IO server sees most: the long-polling GET a browser
// sends every 25 s per connection, and the POST that carries a client's packets.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "protocol/http_parser.h"
#include "protocol/http_response.h"
#include "protocol/url.h"

namespace {

using namespace ringcast::protocol;

// What Chrome sends for a socket.io-client v4 poll: 396 bytes.
const std::string polling_get =
    "GET /socket.io/?EIO=4&transport=polling&t=PZ3mYdK&sid=Zr3dKAcz8PHbRbNSAAAB HTTP/1.1\r\n"
    "Host: chat.example.com\r\n"
    "Connection: keep-alive\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36\r\n"
    "Accept: */*\r\n"
    "Origin: https://app.example.com\r\n"
    "Referer: https://app.example.com/\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "\r\n";

const std::string polling_post =
    "POST /socket.io/?EIO=4&transport=polling&t=PZ3mYe1&sid=Zr3dKAcz8PHbRbNSAAAB HTTP/1.1\r\n"
    "Host: chat.example.com\r\n"
    "Connection: keep-alive\r\n"
    "Content-Length: 57\r\n"
    "Content-Type: text/plain;charset=UTF-8\r\n"
    "Origin: https://app.example.com\r\n"
    "\r\n"
    "42[\"message:send\",{\"conversation\":\"c-42\",\"text\":\"hello\"}]";

// A benchmark of a request that fails to parse would measure the wrong path.
bool parses(const std::string& input, benchmark::State& state) {
  http_request req;
  if (parse_request(input, {}, req).status == parse_status::complete) return true;
  state.SkipWithError("request does not parse");
  return false;
}

void bm_parse_polling_get(benchmark::State& state) {
  http_request req;
  const http_limits limits;
  if (!parses(polling_get, state)) return;
  for (auto _ : state) {
    const parse_result r = parse_request(polling_get, limits, req);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(req.keep_alive);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * polling_get.size()));
  state.counters["request_bytes"] = static_cast<double>(polling_get.size());
}
BENCHMARK(bm_parse_polling_get);

void bm_parse_polling_get_and_query(benchmark::State& state) {
  http_request req;
  const http_limits limits;
  for (auto _ : state) {
    const parse_result r = parse_request(polling_get, limits, req);
    auto sid = query_param(req.query, "sid");
    auto transport = query_param(req.query, "transport");
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(sid);
    benchmark::DoNotOptimize(transport);
  }
}
BENCHMARK(bm_parse_polling_get_and_query);

void bm_parse_polling_post(benchmark::State& state) {
  http_request req;
  const http_limits limits;
  if (!parses(polling_post, state)) return;
  for (auto _ : state) {
    const parse_result r = parse_request(polling_post, limits, req);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(req.body());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * polling_post.size()));
}
BENCHMARK(bm_parse_polling_post);

// The answer to a poll: an Engine.IO payload with CORS for a listed origin.
void bm_write_polling_response(benchmark::State& state) {
  const cors_policy cors{{"https://app.example.com"}, true};
  std::vector<http_header_field> fields;
  std::string out;
  for (auto _ : state) {
    fields.clear();
    out.clear();
    fields.push_back({"Content-Type", "text/plain; charset=UTF-8"});
    append_cors_headers(cors, "https://app.example.com", fields);
    write_response(out, 200, fields, "42[\"message\",{\"text\":\"hello\"}]", true);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(bm_write_polling_response);

}  // namespace
