#include "broker/rest/rest_response.h"

#include <boost/json/serialize.hpp>
#include <vector>

#include "broker/http/http_connection.h"
#include "protocol/http_response.h"

namespace ringcast::broker::rest {

int status_of(inbox::error_code code) noexcept {
  switch (code) {
    case inbox::error_code::bad_request: return 400;
    case inbox::error_code::forbidden: return 403;
    case inbox::error_code::not_found: return 404;
    case inbox::error_code::rate_limited: return 429;
    case inbox::error_code::unavailable: return 503;
    case inbox::error_code::conflict: return 409;
    case inbox::error_code::count: break;
  }
  return 500;
}

void exchange::json(int status, const boost::json::value& body, std::string_view location) {
  send(status, boost::json::serialize(body), location.empty() ? std::string_view{} : "Location", location);
}

void exchange::error(int status, std::string_view code, std::string_view message,
                     std::optional<std::int64_t> retry_after_ms, std::string_view extra_header) {
  boost::json::object e{{"code", code}, {"message", message}};
  if (status == 503 && !retry_after_ms) retry_after_ms = 1000;
  std::string retry;
  if (retry_after_ms && (status == 429 || status == 503)) {
    e["retryAfterMs"] = *retry_after_ms;
    retry = std::to_string(std::max<std::int64_t>(1, (*retry_after_ms + 999) / 1000));
  }
  const std::string body = boost::json::serialize(boost::json::object{{"error", std::move(e)}});
  if (!retry.empty()) return send(status, body, "Retry-After", retry);
  // extra_header is "Name: value" (WWW-Authenticate, Allow).
  const auto colon = extra_header.find(':');
  if (colon == std::string_view::npos) return send(status, body);
  send(status, body, extra_header.substr(0, colon), extra_header.substr(colon + 2));
}

void exchange::result(inbox::op_result r, int ok_status) {
  if (r.error) return error(*r.error);
  json(ok_status, r.value);
}

void exchange::add_headers(std::span<const protocol::http_header_field> fields) {
  for (const auto& f : fields) headers_.emplace_back(f.name, f.value);
}

std::optional<std::string> exchange::release_early() {
  in_handle_ = false;
  return std::exchange(early_, std::nullopt);
}

void exchange::send(int status, std::string body, std::string_view header_name, std::string_view header_value) {
  if (answered_) return;
  answered_ = true;
  broker_stats::bump(stats_.rest_responses[std::size_t(status) % stats_.rest_responses.size()]);
  if (status >= 400) broker_stats::bump(stats_.http_errors[std::size_t(status) % stats_.http_errors.size()]);
  auto make = [&](bool keep_alive) {
    std::vector<protocol::http_header_field> headers{{"Content-Type", "application/json"},
                                                     {"Cache-Control", "no-store"}};
    if (!header_name.empty()) headers.push_back({header_name, header_value});
    for (const auto& [name, value] : headers_) headers.push_back({name, value});
    std::string out;
    protocol::write_response(out, status, headers, body, keep_alive);
    return out;
  };
  if (in_handle_) {
    early_ = make(keep_alive_);
    return;
  }
  (void)answer_held(shard_, conn_, make);
}

}  // namespace ringcast::broker::rest
