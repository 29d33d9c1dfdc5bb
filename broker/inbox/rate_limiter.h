#pragma once
// At most `limit` events per `window` for each key (a user in a conversation, a user), as a token
// bucket: a burst of `limit` passes at once, then one more each window/limit. Refusals say when the
// next event would pass, for the `retryAfterMs` of a rate_limited ack. Buckets that refilled
// completely are forgotten by sweep(), so idle keys cost nothing. Owned by one shard.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ringcast::broker::inbox {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  rate_limiter(unsigned limit, std::chrono::milliseconds window) noexcept : limit_(limit), window_(window) {}

  // 0 when the event may pass (and is counted); otherwise the milliseconds until one would.
  std::int64_t take(std::string_view key, clock::time_point now);
  // Drops the keys whose bucket is full again; call now and then (a timer).
  void sweep(clock::time_point now);
  std::size_t keys() const noexcept { return buckets_.size(); }

 private:
  struct bucket {
    double tokens;
    clock::time_point updated;
  };
  double refill(bucket& b, clock::time_point now) const noexcept;

  unsigned limit_;
  std::chrono::milliseconds window_;
  struct key_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, bucket, key_hash, std::equal_to<>> buckets_;
};

}  // namespace ringcast::broker::inbox
