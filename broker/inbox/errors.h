#pragma once
// The error acks of the inbox event API: {error: {code, message, retryable, retryAfterMs?}}.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ringcast::broker::inbox {

enum class error_code : std::uint8_t { bad_request, forbidden, not_found, rate_limited, unavailable, conflict, count };

constexpr std::string_view to_string(error_code c) noexcept {
  switch (c) {
    case error_code::bad_request: return "bad_request";
    case error_code::forbidden: return "forbidden";
    case error_code::not_found: return "not_found";
    case error_code::rate_limited: return "rate_limited";
    case error_code::unavailable: return "unavailable";
    case error_code::conflict: return "conflict";
    case error_code::count: break;
  }
  return "bad_request";
}

// The ack arguments of a refused event. Only `unavailable` and `rate_limited` are worth retrying.
inline boost::json::array error_ack(error_code code, std::string_view message,
                                    std::optional<std::int64_t> retry_after_ms = std::nullopt) {
  boost::json::object e{{"code", to_string(code)},
                        {"message", message},
                        {"retryable", code == error_code::unavailable || code == error_code::rate_limited}};
  if (retry_after_ms) e["retryAfterMs"] = *retry_after_ms;
  return boost::json::array{boost::json::object{{"error", std::move(e)}}};
}

}  // namespace ringcast::broker::inbox
