#include "broker/http/http_connection.h"

#include "broker/stats/broker_stats.h"
#include "protocol/http_response.h"

namespace ringcast::broker {

http_connection::http_connection(reactor::connection& c, const http_services& services,
                                 const protocol::http_limits& limits)
    : conn_(&c), services_(&services), service_(&services.on(c.owner())), limits_(&limits) {}

void http_connection::on_data(reactor::connection&, std::span<const std::byte> data) noexcept {
  if (gone_) return;
  in_.append(reinterpret_cast<const char*>(data.data()), data.size());
  // A client may not send more than one header section plus one body ahead of our answers.
  if (holding_ && in_.size() - start_ > limits_->max_header_bytes + limits_->max_body_bytes) {
    conn_->close(reactor::close_reason::protocol_error);
    return;
  }
  process();
}

void http_connection::process() {
  while (!holding_ && !gone_ && !conn_->closing() && start_ < in_.size()) {
    std::string_view buffered = std::string_view(in_).substr(start_);
    protocol::parse_result r = protocol::parse_request(buffered, *limits_, request_);
    if (r.status == protocol::parse_status::need_more) break;
    if (r.status == protocol::parse_status::error) {
      std::string out;
      protocol::write_error_response(out, r.error_status);
      broker_stats::bump(service_->stats().http_errors[std::size_t(r.error_status) % 600]);
      conn_->send(out);
      conn_->close(reactor::close_reason::protocol_error);
      return;
    }
    const bool keep_alive = keep_alive_ = request_.keep_alive;
    http_outcome o = service_->handle(*this, request_, buffered.substr(0, r.consumed), buffered.substr(r.consumed));
    if (o == http_outcome::taken_over) {
      gone_ = true;
      return;
    }
    start_ += r.consumed;
    if (o == http_outcome::hold) {
      holding_ = true;
      break;
    }
    if (!keep_alive) {
      conn_->close(reactor::close_reason::app_closed);
      return;
    }
  }
  if (start_ == in_.size()) {
    in_.clear();
    start_ = 0;
  } else if (start_ > 0 && !holding_) {
    in_.erase(0, start_);
    start_ = 0;
  }
}

void http_connection::finish_held(std::string_view response) {
  if (!holding_) {
    // Answered while the request is still being handled: process() goes on by itself.
    conn_->send(response);
    return;
  }
  holding_ = false;
  conn_->send(response);
  if (!keep_alive_) {
    conn_->close(reactor::close_reason::app_closed);
    return;
  }
  if (start_ < in_.size()) resume_later();
}

void http_connection::resume_later() {
  if (resume_posted_) return;
  resume_posted_ = true;
  reactor::shard& shard = conn_->owner();
  // Found again by id: by then the connection may be closed, upgraded or handed to another shard.
  // Guaranteed: a refused resume would leave the pipelined requests unanswered for good (one per
  // connection at most, so bounded by the connections).
  shard.post_guaranteed(shard.id(), [id = conn_->id()](reactor::shard& sh) {
    reactor::connection* c = sh.find(id);
    if (!c || c->closing()) return;
    if (auto* hc = dynamic_cast<http_connection*>(c->handler())) {
      hc->resume_posted_ = false;
      hc->process();
    }
  });
}

void http_connection::hand_off_current(unsigned target) {
  gone_ = true;
  const http_services* services = services_;
  const protocol::http_limits* limits = limits_;
  conn_->hand_off(target, in_.substr(start_), [services, limits](reactor::connection& moved) {
    return std::unique_ptr<reactor::connection_handler>(new http_connection(moved, *services, *limits));
  });
}

void http_connection::on_close(reactor::connection&, reactor::close_reason) noexcept {
  if (holding_ && !gone_) service_->on_held_closed(*this);
  holding_ = false;
}

}  // namespace ringcast::broker
