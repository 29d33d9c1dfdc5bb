#include "persistence/metrics_summary.h"

#include "persistence/result_fields.h"

namespace ringcast::persistence {
namespace {

// Times in milliseconds. The window bounds what happened (a job finished, a message or
// conversation created, a conversation resolved); requiresHuman and the pending and processing
// AI jobs are the state now. First response: from a conversation's first customer message to the
// first staff message after it, for conversations created in the window that have one.
constexpr const char* summary_sql = R"sql(
WITH w AS (SELECT now() - $1::integer * interval '1 minute' AS since),
ai AS (
  SELECT avg(response_ms)::float8 AS avg_ms,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY response_ms) AS p95_ms, count(*) AS n
  FROM ai_jobs WHERE response_ms IS NOT NULL AND completed_at >= (SELECT since FROM w)),
resolved AS (
  SELECT count(*) AS total,
         count(*) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.sender_type = 'staff')) AS by_ai
  FROM conversations c WHERE c.status IN ('resolved', 'closed') AND c.updated_at >= (SELECT since FROM w)),
by_channel AS (
  SELECT c.channel, count(*) AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id
  WHERE m.created_at >= (SELECT since FROM w) GROUP BY c.channel),
created AS (SELECT * FROM conversations WHERE created_at >= (SELECT since FROM w)),
queue AS (
  SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
         count(*) FILTER (WHERE status = 'processing') AS processing,
         count(*) FILTER (WHERE status = 'failed' AND updated_at >= (SELECT since FROM w)) AS failed
  FROM ai_jobs WHERE status IN ('pending', 'processing', 'failed')),
first_response AS (
  SELECT extract(epoch FROM (s.at - f.at)) * 1000 AS ms
  FROM created c
  CROSS JOIN LATERAL (SELECT min(created_at) AS at FROM messages
                      WHERE conversation_id = c.id AND sender_type = 'customer') f
  CROSS JOIN LATERAL (SELECT min(created_at) AS at FROM messages
                      WHERE conversation_id = c.id AND sender_type = 'staff' AND created_at >= f.at) s
  WHERE s.at IS NOT NULL)
SELECT json_build_object(
  'windowMinutes', $1::integer,
  'aiResponseTime', (SELECT json_build_object('count', n, 'averageMs', avg_ms, 'p95Ms', p95_ms) FROM ai),
  'aiResolution', (SELECT json_build_object('resolved', total, 'resolvedByAi', by_ai,
                                            'rate', CASE WHEN total > 0 THEN by_ai::float8 / total END)
                   FROM resolved),
  'messagesByChannel', coalesce((SELECT json_object_agg(channel, n) FROM by_channel), '{}'::json),
  'conversationsByChannel',
    coalesce((SELECT json_object_agg(channel, n) FROM (SELECT channel, count(*) AS n FROM created GROUP BY channel) x),
             '{}'::json),
  'conversationsByStatus',
    coalesce((SELECT json_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM created GROUP BY status) x),
             '{}'::json),
  'requiresHuman', (SELECT count(*) FROM conversations WHERE requires_human AND status IN ('open', 'pending')),
  'aiQueue', (SELECT json_build_object('pending', pending, 'processing', processing, 'failed', failed) FROM queue),
  'staffFirstResponse', (SELECT json_build_object('count', count(*), 'averageMs', avg(ms)::float8,
                                                  'p95Ms', percentile_cont(0.95) WITHIN GROUP (ORDER BY ms))
                         FROM first_response),
  'generatedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text
)sql";

}  // namespace

query metrics_summary(int window_minutes) { return {summary_sql, {{std::to_string(window_minutes)}}}; }

std::optional<std::string> parse_metrics_summary(const PGresult* res) {
  std::string out;
  if (!fields::has_shape(res, 1) || PQntuples(res) != 1 || !fields::get(res, 0, 0, out)) return std::nullopt;
  return out;
}

}  // namespace ringcast::persistence
