#pragma once
// When a failed delivery is tried again. A provider's answer is one of three: sent; a failure
// worth retrying (no connection, a timeout, 429, 5xx, an SMTP 4xx); a final refusal (any other
// 4xx, an SMTP 5xx, no address for the customer). A retryable failure is tried again after
// `backoff`, doubling each time up to `max_backoff`, until `max_attempts` calls were made; then
// it fails with the last reason.
#include <algorithm>
#include <chrono>
#include <cstdint>

namespace ringcast::broker::delivery {

enum class send_verdict : std::uint8_t { sent, retryable, final };

// The verdict on an HTTP status (0: no response at all).
constexpr send_verdict verdict_of_http(long status) noexcept {
  if (status >= 200 && status < 300) return send_verdict::sent;
  if (status == 0 || status == 429 || status >= 500) return send_verdict::retryable;
  return send_verdict::final;
}

// The verdict on an SMTP reply code of a failed transfer (0: no reply at all): 4xx is
// transient by RFC 5321, 5xx permanent.
constexpr send_verdict verdict_of_smtp(long code) noexcept {
  return code >= 500 && code < 600 ? send_verdict::final : send_verdict::retryable;
}

struct delivery_policy {
  unsigned max_attempts = 5;
  std::chrono::milliseconds backoff{1000};
  std::chrono::milliseconds max_backoff{300'000};

  // After `attempts` calls (the failed one included), wait this long before the next; 0: no next.
  std::chrono::milliseconds retry_after(send_verdict v, unsigned attempts) const noexcept {
    if (v != send_verdict::retryable || attempts >= max_attempts || attempts == 0)
      return std::chrono::milliseconds(0);
    const auto doubled = backoff * (std::int64_t{1} << std::min(attempts - 1, 20u));
    return std::max(std::chrono::milliseconds(1), std::min(doubled, max_backoff));
  }
};

}  // namespace ringcast::broker::delivery
