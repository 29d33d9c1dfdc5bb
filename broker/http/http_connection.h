#pragma once
// An HTTP/1.1 connection: parses requests (keep-alive, pipelining), hands each to the shard's
// http_service, and can hold a request open (long-poll) until the service answers it.
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/stats/broker_stats.h"
#include "protocol/http_parser.h"
#include "reactor/connection.h"
#include "reactor/per_shard.h"
#include "reactor/shard.h"

namespace ringcast::broker {

class http_connection;

enum class http_outcome : std::uint8_t {
  done,        // answered (the connection continues per keep-alive)
  hold,        // the service will answer later with http_connection::finish_held()
  taken_over,  // the socket was upgraded or moved to another shard: this handler is finished
};

class http_service {
 public:
  virtual ~http_service() = default;
  // `raw` is the request's bytes and `rest` what followed it (pipelined requests, WebSocket frames).
  virtual http_outcome handle(http_connection& hc, const protocol::http_request& req, std::string_view raw,
                              std::string_view rest) = 0;
  // A held request's connection closed before it was answered.
  virtual void on_held_closed(http_connection&) noexcept {}
  // The shard's counters (HTTP errors are counted there).
  virtual broker_stats& stats() noexcept = 0;
};

// Every shard's http_service: a connection handed to another shard finds its service there.
using http_services = reactor::per_shard<http_service>;

// Answers a request that a service held (http_outcome::hold) after an asynchronous step, found
// again by its connection's id: false when that connection closed, was reused or holds nothing
// meanwhile (the answer is dropped). `response` must say `Connection: close` when the request did
// not keep the connection alive; `make` gets keep_alive() and builds the bytes only when needed.
template <class Make>
bool answer_held(reactor::shard& shard, reactor::conn_id id, Make&& make);

class http_connection final : public reactor::connection_handler {
 public:
  http_connection(reactor::connection& c, const http_services& services, const protocol::http_limits& limits);

  void on_data(reactor::connection& c, std::span<const std::byte> data) noexcept override;
  void on_close(reactor::connection& c, reactor::close_reason why) noexcept override;

  // Answers the held (or the in-progress) request with a complete response. Parsing what followed
  // it resumes later in this loop iteration, never inside this call: the caller is usually in the
  // middle of another connection's event, and the next request may end the very session (and free
  // the objects) that caller is still using.
  void finish_held(std::string_view response);
  bool holding() const noexcept { return holding_; }
  // Whether the request being handled or held lets the connection live on: a late answer must say
  // `Connection: close` when it does not (RFC 9112 section 9.6).
  bool keep_alive() const noexcept { return keep_alive_; }

  // Moves the socket, from the start of the current request, to shard `target`.
  void hand_off_current(unsigned target);

  reactor::connection& conn() noexcept { return *conn_; }

 private:
  void process();
  void resume_later();

  reactor::connection* conn_;
  const http_services* services_;
  http_service* service_;
  const protocol::http_limits* limits_;
  protocol::http_request request_;
  std::string in_;
  std::size_t start_ = 0;         // first byte of the request being handled or next to parse
  bool holding_ = false;
  bool keep_alive_ = true;         // of the request being handled or held
  bool gone_ = false;             // upgraded or handed off: ignore everything
  bool resume_posted_ = false;    // a resume_later() task is queued
};

template <class Make>
bool answer_held(reactor::shard& shard, reactor::conn_id id, Make&& make) {
  reactor::connection* c = shard.find(id);
  if (!c || c->closing()) return false;
  auto* hc = dynamic_cast<http_connection*>(c->handler());
  if (!hc || !hc->holding()) return false;
  hc->finish_held(make(hc->keep_alive()));
  return true;
}

}  // namespace ringcast::broker
