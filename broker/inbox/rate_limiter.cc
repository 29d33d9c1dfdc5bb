#include "broker/inbox/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace ringcast::broker::inbox {

double rate_limiter::refill(bucket& b, clock::time_point now) const noexcept {
  const double per_ms = double(limit_) / double(window_.count());
  const double elapsed = double(std::chrono::duration_cast<std::chrono::milliseconds>(now - b.updated).count());
  if (elapsed > 0) {
    b.tokens = std::min(double(limit_), b.tokens + elapsed * per_ms);
    b.updated = now;
  }
  return per_ms;
}

std::int64_t rate_limiter::take(std::string_view key, clock::time_point now) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) it = buckets_.emplace(std::string(key), bucket{double(limit_), now}).first;
  bucket& b = it->second;
  const double per_ms = refill(b, now);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return std::max<std::int64_t>(1, std::int64_t(std::ceil((1.0 - b.tokens) / per_ms)));
}

void rate_limiter::sweep(clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    if (it->second.tokens >= double(limit_)) it = buckets_.erase(it);
    else ++it;
  }
}

}  // namespace ringcast::broker::inbox
