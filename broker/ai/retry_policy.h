#pragma once
// When a worker calls the backend for a job, and with how much time: attempt n starts after a
// backoff (none for the first, then `backoff`, doubling), and only while the time left before the
// job's due time, minus `reserve` (kept for storing and fanning out the reply), is at least
// `min_attempt` and the backend's typical answer time. The backend gets the time up to
// due - reserve.
#include <algorithm>
#include <chrono>
#include <optional>

#include "broker/ai/backends/backend.h"

namespace ringcast::broker::ai {

struct retry_policy {
  unsigned max_attempts = 3;
  std::chrono::milliseconds backoff{100};
  std::chrono::milliseconds reserve{300};
  std::chrono::milliseconds min_attempt{50};

  // Pause before attempt n (1-based).
  std::chrono::milliseconds backoff_before(unsigned attempt) const noexcept {
    if (attempt <= 1) return std::chrono::milliseconds(0);
    return backoff * (1u << std::min(attempt - 2, 10u));
  }
  // The backend deadline for an attempt starting at `now`, or nullopt: no attempt n. `typical`
  // is how long the backend's answers take lately: a call with less time than that would most
  // likely be cut off, so under overload a worker skips the job (its fallback goes out at once)
  // for one that can still be answered.
  std::optional<ringcast::ai::clock::time_point> attempt_deadline(
      unsigned attempt, ringcast::ai::clock::time_point now, ringcast::ai::clock::time_point due,
      ringcast::ai::clock::duration typical = ringcast::ai::clock::duration::zero()) const noexcept {
    if (attempt == 0 || attempt > max_attempts) return std::nullopt;
    const auto end = due - reserve;
    if (end - now < std::max<ringcast::ai::clock::duration>(min_attempt, typical)) return std::nullopt;
    return end;
  }
};

}  // namespace ringcast::broker::ai
