#include "bench/loadgen/options.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <charconv>
#include <cstring>
#include <functional>
#include <string_view>
#include <vector>

namespace ringcast::bench {
namespace {

struct flag_spec {
  std::string_view name;
  std::string_view value;  // empty: a switch
  std::string_view help;
  std::function<bool(options&, std::string_view)> apply;
};

template <class T>
bool number(std::string_view s, T& out, T min, T max) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) return false;
  out = v;
  return true;
}

const std::vector<flag_spec>& flags() {
  static const std::vector<flag_spec> table = {
      {"url", "HOST:PORT[/PATH]", "server to load (http:// or ws:// prefix allowed; default 127.0.0.1:3000)",
       [](options& o, std::string_view v) {
         o.url = v;
         return true;
       }},
      {"scenario", "NAME", "fanout | echo | conns | persist | inbox (default fanout)",
       [](options& o, std::string_view v) {
         if (v == "fanout") o.scenario = scenario_kind::fanout;
         else if (v == "echo") o.scenario = scenario_kind::echo;
         else if (v == "conns") o.scenario = scenario_kind::conns;
         else if (v == "persist") o.scenario = scenario_kind::persist;
         else if (v == "inbox") o.scenario = scenario_kind::inbox;
         else return false;
         return true;
       }},
      {"protocol", "sio|ws", "Socket.IO (default) or plain WebSocket messages (echo and conns only)",
       [](options& o, std::string_view v) {
         if (v == "sio") o.protocol = wire_protocol::sio;
         else if (v == "ws") o.protocol = wire_protocol::ws;
         else return false;
         return true;
       }},
      {"clients", "N", "subscribers (fanout), connections (echo, persist, conns); default 100",
       [](options& o, std::string_view v) { return number<std::uint32_t>(v, o.clients, 1, 10'000'000); }},
      {"rate", "MSGS_PER_S", "fanout: publish at this fixed rate; inbox: messages/s over all customers, each "
                             "sending R/C on its own schedule (0, the default: closed loop with --window)",
       [](options& o, std::string_view v) {
         std::string s(v);
         char* end = nullptr;
         o.rate = std::strtod(s.c_str(), &end);
         return end && *end == '\0' && o.rate >= 0 && o.rate <= 10'000'000;
       }},
      {"window", "N", "fanout: closed loop, at most N publishes not yet delivered to every subscriber (default 16); "
                      "echo/persist: requests in flight per connection (default 1); "
                      "inbox: sends in flight per customer (default 16)",
       [](options& o, std::string_view v) { return number<std::uint32_t>(v, o.window, 1, 1'000'000); }},
      {"duration", "S", "measured seconds (default 10)",
       [](options& o, std::string_view v) { return number<double>(v, o.duration_s, 0.1, 86400); }},
      {"warmup", "S", "seconds of load before measuring (default 2)",
       [](options& o, std::string_view v) { return number<double>(v, o.warmup_s, 0, 3600); }},
      {"drain", "S", "fanout, inbox: seconds to wait for late acks and deliveries at the end (default 15; ends "
                     "when all arrived)",
       [](options& o, std::string_view v) { return number<double>(v, o.drain_s, 0, 600); }},
      {"settle", "S", "conns: seconds between the last connection and the RSS reading (default 2)",
       [](options& o, std::string_view v) { return number<double>(v, o.settle_s, 0, 600); }},
      {"connect-timeout", "S", "give up on connections not set up after this (default 60)",
       [](options& o, std::string_view v) { return number<double>(v, o.connect_timeout_s, 1, 3600); }},
      {"threads", "N", "generator threads, each with its own epoll and connections (default 1)",
       [](options& o, std::string_view v) { return number<std::uint32_t>(v, o.threads, 1, 256); }},
      {"sources", "N", "source addresses 127.0.0.1..127.0.0.N (default: one per 28,000 connections)",
       [](options& o, std::string_view v) { return number<std::uint32_t>(v, o.sources, 1, 254); }},
      {"payload", "BYTES", "size of a delivered message (fanout), of echoed data, or of an inbox message's content "
                           "(default 100)",
       [](options& o, std::string_view v) { return number<std::uint32_t>(v, o.payload, 60, 1'000'000); }},
      {"handshakes", "N", "connections being set up at once, per thread (default 64)",
       [](options& o, std::string_view v) { return number<std::uint32_t>(v, o.handshakes_in_flight, 1, 100'000); }},
      {"room", "NAME", "fanout: room the subscribers join (default bench)",
       [](options& o, std::string_view v) {
         o.room = v;
         return !v.empty() && v.find_first_of("\"\\") == std::string_view::npos;
       }},
      {"conversations", "C", "inbox: conversations, each with one customer sending (default 20)",
       [](options& o, std::string_view v) { return number<std::uint32_t>(v, o.conversations, 1, 1'000'000); }},
      {"staff-pool", "N", "inbox: each conversation's 2 watchers are 2 of N shared staff sockets, round-robin "
                          "(default: 2 staff sockets of its own). A socket then joins ~2C/N conversations: mind "
                          "ringcast's --max-joined-conversations (default 100)",
       [](options& o, std::string_view v) { return number<std::uint32_t>(v, o.staff_pool, 2, 1'000'000); }},
      {"jwt-secret", "S", "inbox (required): the server's --jwt-secret; every session gets its own HS256 token",
       [](options& o, std::string_view v) {
         o.jwt_secret = v;
         return !v.empty();
       }},
      {"ai-replies", "", "inbox: customers send questions of the sample knowledge base and time the AI's reply to each "
                         "(from the ack: the commit); no watchers, only the staff feed socket; closed loop: "
                         "--window questions awaiting a reply per customer",
       [](options& o, std::string_view) {
         o.ai_replies = true;
         return true;
       }},
      {"server-pid", "PID", "server process: its CPU (and RSS for conns) is reported from /proc",
       [](options& o, std::string_view v) { return number<int>(v, o.server_pid, 1, 1 << 30); }},
      {"label", "TEXT", "copied into the JSON line",
       [](options& o, std::string_view v) {
         o.label = v;
         return v.find_first_of("\"\\") == std::string_view::npos;
       }},
      {"spin", "", "busy-poll: never sleep in epoll_wait, so server sends never have to wake the generator",
       [](options& o, std::string_view) {
         o.spin = true;
         return true;
       }},
      {"json", "", "print only the JSON result line (no human summary)",
       [](options& o, std::string_view) {
         o.json_only = true;
         return true;
       }},
  };
  return table;
}

// "http://host:port/path" -> host, port, path.
bool resolve(options& o, std::string& error) {
  std::string_view u = o.url;
  for (std::string_view scheme : {"http://", "ws://"})
    if (u.substr(0, scheme.size()) == scheme) u.remove_prefix(scheme.size());
  const auto slash = u.find('/');
  std::string_view authority = u.substr(0, slash);
  if (slash != std::string_view::npos) o.path = u.substr(slash);
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos) {
    error = "--url needs host:port";
    return false;
  }
  const std::string host(authority.substr(0, colon));
  std::uint16_t port = 0;
  if (!number<std::uint16_t>(authority.substr(colon + 1), port, 1, 65535)) {
    error = "bad port in --url";
    return false;
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) {
    error = "cannot resolve " + host + " (IPv4 only)";
    return false;
  }
  std::memcpy(&o.server, res->ai_addr, sizeof(o.server));
  freeaddrinfo(res);
  o.server.sin_port = htons(port);
  o.host_header = std::string(authority);
  return true;
}

}  // namespace

const char* name_of(scenario_kind s) noexcept {
  switch (s) {
    case scenario_kind::fanout: return "fanout";
    case scenario_kind::echo: return "echo";
    case scenario_kind::conns: return "conns";
    case scenario_kind::persist: return "persist";
    case scenario_kind::inbox: return "inbox";
  }
  return "?";
}

std::string usage() {
  std::string out =
      "ringcast-load: Socket.IO v4 (Engine.IO v4 over WebSocket) and plain WebSocket load generator\n"
      "usage: ringcast-load --url 127.0.0.1:3000 --scenario fanout --clients 1000 --window 64 [flags]\n"
      "       ringcast-load --url 127.0.0.1:3000 --scenario inbox --jwt-secret S --conversations 20 --rate 5000\n\n";
  for (const auto& f : flags()) {
    std::string left("  --");
    left.append(f.name);
    if (!f.value.empty()) left.append(" ").append(f.value);
    if (left.size() < 28) left.resize(28, ' ');
    else left.append("\n").append(28, ' ');
    out.append(left).append(f.help).append("\n");
  }
  return out;
}

std::optional<options> parse_options(int argc, char** argv, std::string& error) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      error = usage();
      return std::nullopt;
    }
    if (arg.substr(0, 2) != "--") {
      error = "unexpected argument " + std::string(arg);
      return std::nullopt;
    }
    arg.remove_prefix(2);
    std::string_view value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    const flag_spec* spec = nullptr;
    for (const auto& f : flags())
      if (f.name == arg) spec = &f;
    if (!spec) {
      error = "unknown flag --" + std::string(arg);
      return std::nullopt;
    }
    if (!spec->value.empty() && !has_value) {
      if (i + 1 >= argc) {
        error = "--" + std::string(arg) + " needs a value";
        return std::nullopt;
      }
      value = argv[++i];
    }
    if (!spec->apply(o, value)) {
      error = "bad value for --" + std::string(arg) + ": " + std::string(value);
      return std::nullopt;
    }
  }
  if (!resolve(o, error)) return std::nullopt;
  if (o.path.empty()) o.path = o.protocol == wire_protocol::sio ? "/socket.io/?EIO=4&transport=websocket" : "/";
  const bool events = o.scenario == scenario_kind::fanout || o.scenario == scenario_kind::persist ||
                      o.scenario == scenario_kind::inbox;
  if (o.protocol == wire_protocol::ws && events) {
    error = "--protocol ws supports the echo and conns scenarios (fanout, persist and inbox are Socket.IO events)";
    return std::nullopt;
  }
  if ((o.scenario == scenario_kind::fanout || o.scenario == scenario_kind::inbox) && o.rate > 0 && o.window > 0) {
    error = "--rate and --window exclude each other";
    return std::nullopt;
  }
  if (o.scenario == scenario_kind::inbox && o.jwt_secret.empty()) {
    error = "the inbox scenario needs --jwt-secret (the server's)";
    return std::nullopt;
  }
  if (o.ai_replies && (o.scenario != scenario_kind::inbox || o.staff_pool)) {
    error = "--ai-replies is a mode of the inbox scenario, without --staff-pool (it has no watchers)";
    return std::nullopt;
  }
  if (o.window == 0) o.window = o.scenario == scenario_kind::fanout || o.scenario == scenario_kind::inbox ? 16 : 1;
  return o;
}

}  // namespace ringcast::bench
