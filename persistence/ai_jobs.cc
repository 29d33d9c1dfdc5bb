#include "persistence/ai_jobs.h"

#include "persistence/result_fields.h"

namespace ringcast::persistence {
namespace {

constexpr const char* cancel_sql =
    "UPDATE ai_jobs SET status = 'completed', outcome = 'cancelled', completed_at = now(), updated_at = now()"
    " WHERE id = $1::bigint AND status IN ('pending', 'processing') RETURNING id";

constexpr const char* cancel_moot_sql =
    "UPDATE ai_jobs j SET status = 'completed', outcome = 'cancelled', completed_at = now(), updated_at = now()"
    " FROM conversations c WHERE c.id = j.conversation_id AND j.status IN ('pending', 'processing')"
    " AND (c.assigned_staff_id IS NOT NULL OR c.requires_human)";

constexpr const char* open_sql =
    "SELECT j.id, j.conversation_id, j.priority, m.seq, m.content,"
    " (extract(epoch FROM (coalesce(j.deadline_at, j.created_at) - now())) * 1000)::bigint"
    " FROM ai_jobs j JOIN messages m ON m.id = j.message_id"
    " WHERE j.status IN ('pending', 'processing') ORDER BY j.id";

constexpr const char* resolution_sql =
    "SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id"
    "   AND m.sender_type = 'staff')), count(*)"
    " FROM conversations c WHERE c.status IN ('resolved', 'closed')"
    " AND c.updated_at > now() - $1::bigint * interval '1 second'";

constexpr const char* delete_sql =
    "DELETE FROM ai_jobs WHERE id IN (SELECT id FROM ai_jobs WHERE status IN ('completed', 'failed')"
    " AND completed_at < now() - $1::bigint * interval '1 second' LIMIT $2::integer)";

}  // namespace

query cancel_ai_job(std::int64_t job) { return {cancel_sql, {{std::to_string(job)}}}; }

query cancel_moot_ai_jobs() { return {cancel_moot_sql, {}}; }

query open_ai_jobs() { return {open_sql, {}}; }

std::optional<std::vector<open_ai_job>> parse_open_ai_jobs(const PGresult* res) {
  if (!fields::has_shape(res, 6)) return std::nullopt;
  std::vector<open_ai_job> out(static_cast<std::size_t>(PQntuples(res)));
  for (int i = 0; i < PQntuples(res); ++i) {
    auto& j = out[static_cast<std::size_t>(i)];
    if (!fields::get(res, i, 0, j.id) || !fields::get(res, i, 1, j.conversation) || !fields::get(res, i, 2, j.priority) ||
        !fields::get(res, i, 3, j.seq) || !fields::get(res, i, 4, j.content) || !fields::get(res, i, 5, j.left_ms))
      return std::nullopt;
  }
  return out;
}

query ai_resolution(std::int64_t window_s) { return {resolution_sql, {{std::to_string(window_s)}}}; }

std::optional<ai_resolution_counts> parse_ai_resolution(const PGresult* res) {
  ai_resolution_counts c;
  if (!fields::has_shape(res, 2) || PQntuples(res) != 1 || !fields::get(res, 0, 0, c.by_ai) ||
      !fields::get(res, 0, 1, c.total))
    return std::nullopt;
  return c;
}

query delete_finished_ai_jobs(std::int64_t older_than_s, int batch) {
  return {delete_sql, {{std::to_string(older_than_s), std::to_string(batch)}}};
}

}  // namespace ringcast::persistence
