#include "broker/http_connection.h"

#include "broker/metrics.h"
#include "protocol/http_response.h"

namespace ringcast::broker {

http_connection::http_connection(reactor::connection& c, http_service_locator locate,
                                 const protocol::http_limits& limits)
    : conn_(&c), locate_(locate), service_(&locate(c.owner())), limits_(&limits) {}

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
      broker_stats::bump(stats_of(conn_->owner()).http_errors[std::size_t(r.error_status) % 600]);
      conn_->send(out);
      conn_->close(reactor::close_reason::protocol_error);
      return;
    }
    const bool keep_alive = request_.keep_alive;
    http_outcome o = service_->handle(*this, request_, buffered.substr(0, r.consumed), buffered.substr(r.consumed));
    if (o == http_outcome::taken_over) {
      gone_ = true;
      return;
    }
    start_ += r.consumed;
    if (o == http_outcome::hold) {
      holding_ = true;
      held_keep_alive_ = keep_alive;
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
  if (!held_keep_alive_) {
    conn_->close(reactor::close_reason::app_closed);
    return;
  }
  process();
}

void http_connection::hand_off_current(unsigned target) {
  gone_ = true;
  http_service_locator locate = locate_;
  const protocol::http_limits* limits = limits_;
  conn_->hand_off(target, in_.substr(start_), [locate, limits](reactor::connection& moved) {
    return std::unique_ptr<reactor::connection_handler>(new http_connection(moved, locate, *limits));
  });
}

void http_connection::on_close(reactor::connection&, reactor::close_reason) noexcept {
  if (holding_ && !gone_) service_->on_held_closed(*this);
  holding_ = false;
}

}  // namespace ringcast::broker
