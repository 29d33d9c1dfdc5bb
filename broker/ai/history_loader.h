#pragma once
// The recent messages of a conversation, for a backend's prompt: read on the AI worker threads
// (never on a shard) with blocking libpq, one connection per worker thread, opened on first use
// and again after a failure. A read that fails or is slow gives no history rather than delaying
// the answer: statements are cut at `statement_timeout`.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/ai/backends/backend.h"

namespace ringcast::broker::ai {

class history_loader {
 public:
  history_loader(std::string database_url, int turns, std::chrono::milliseconds statement_timeout);
  // The messages before `seq`, oldest first (at most `turns`); empty on any failure.
  std::vector<ringcast::ai::turn> load(const std::string& conversation, std::int64_t seq) const;

 private:
  std::string url_;
  int turns_;
  std::chrono::milliseconds timeout_;
};

}  // namespace ringcast::broker::ai
