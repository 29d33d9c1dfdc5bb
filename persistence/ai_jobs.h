#pragma once
// The AI jobs' statements besides the group-commit ones (sequenced_batch.h creates and finishes
// jobs with their messages): cancelling a job a human made moot, reading the jobs a crash left
// open, and deleting old finished jobs in small batches. Conventions as in queries.h.
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/queries.h"

namespace ringcast::persistence {

// Finishes an open job with outcome "cancelled" (a staff message came first); no row if it was
// already finished.
query cancel_ai_job(std::int64_t job);

// At start, before open_ai_jobs: open jobs whose conversation meanwhile got a human (assigned
// staff, or requires_human) are finished as "cancelled".
query cancel_moot_ai_jobs();

// Every open job with its message, oldest first: id, conversation, priority, seq, content, and
// the milliseconds left until its deadline (negative when past).
query open_ai_jobs();
struct open_ai_job {
  std::int64_t id = 0;
  std::string conversation;
  int priority = 3;
  std::int64_t seq = 0;
  std::string content;
  std::int64_t left_ms = 0;
};
std::optional<std::vector<open_ai_job>> parse_open_ai_jobs(const PGresult* res);

// Conversations resolved or closed (last change) in the past `window_s` seconds: how many, and how
// many of those had no staff message (the AI resolution rate). One row: (by_ai, total).
query ai_resolution(std::int64_t window_s);
struct ai_resolution_counts {
  std::int64_t by_ai = 0;
  std::int64_t total = 0;
};
std::optional<ai_resolution_counts> parse_ai_resolution(const PGresult* res);

// Deletes up to `batch` jobs finished more than `older_than_s` seconds ago; the command tag
// (PQcmdTuples) says how many.
query delete_finished_ai_jobs(std::int64_t older_than_s, int batch);

}  // namespace ringcast::persistence
