#pragma once
// Command-line options of ringcast-load.
#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>

namespace ringcast::bench {

enum class scenario_kind : std::uint8_t { fanout, echo, conns, persist, inbox };
// sio: HTTP upgrade + WebSocket + Engine.IO v4 + Socket.IO v5; ws: plain WebSocket messages.
enum class wire_protocol : std::uint8_t { sio, ws };

struct options {
  std::string url = "127.0.0.1:3000";  // host:port, optionally http:// or ws:// and a path
  sockaddr_in server{};                 // resolved from url
  std::string host_header;              // host:port, for the Host header
  std::string path;                     // request target; default /socket.io/?EIO=4&transport=websocket
  wire_protocol protocol = wire_protocol::sio;
  scenario_kind scenario = scenario_kind::fanout;
  std::uint32_t clients = 100;  // fanout: subscribers; echo/persist: connections; conns: held connections
  double rate = 0;              // fanout: publishes per second; inbox: sends per second in all (0: closed loop with `window`)
  std::uint32_t window = 0;     // fanout: publishes in flight; echo/persist: requests in flight per connection;
                                // inbox: sends in flight per customer
  double duration_s = 10;       // measured window
  double warmup_s = 2;          // load runs this long before measuring starts
  double drain_s = 15;          // fanout: how long to wait for late deliveries after the load stops
  double settle_s = 2;          // conns: wait after the last connection before reading RSS
  double connect_timeout_s = 60;
  std::uint32_t threads = 1;
  std::uint32_t sources = 0;     // source addresses 127.0.0.1..N; 0: one per 28,000 connections
  std::uint32_t payload = 100;   // bytes of the message a subscriber receives (fanout), of the echo data, or
                                 // of an inbox message's content
  std::uint32_t handshakes_in_flight = 64;  // per thread: connections being set up at once
  std::string room = "bench";
  std::uint32_t conversations = 20;  // inbox: conversations, one customer each
  std::uint32_t staff_pool = 0;      // inbox: watchers drawn from this many staff sockets (0: 2 per conversation)
  std::string jwt_secret;            // inbox: HS256 key the sessions' tokens are signed with
  bool ai_replies = false;           // inbox: customers ask knowledge-base questions; the AI's replies are timed
  int server_pid = 0;
  bool json_only = false;
  bool spin = false;  // poll without sleeping (no wake-ups for the server to pay; uses a whole core)
  std::string label;  // copied into the JSON line (e.g. "ringcast" or "node")
};

// Parses argv; on error (or --help) returns nullopt with a message in `error` (usage for --help).
std::optional<options> parse_options(int argc, char** argv, std::string& error);
std::string usage();
const char* name_of(scenario_kind s) noexcept;

}  // namespace ringcast::bench
