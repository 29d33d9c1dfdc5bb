#include "persistence/sequenced_batch.h"

#include <algorithm>

#include "persistence/array_literal.h"
#include "persistence/queries.h"
#include "persistence/result_fields.h"

namespace ringcast::persistence {
namespace {

constexpr const char* create_conversations_sql =
    "INSERT INTO conversations (external_key) SELECT DISTINCT k FROM unnest($1::text[]) AS k "
    "WHERE k IS NOT NULL ON CONFLICT (external_key) DO NOTHING";

// input: a row names its conversation by external key ($1) or by id ($6), the other is NULL.
// input.later_copy: the key came earlier in this batch (a retry of a row of the same batch).
// firsts: one row per idempotency key.
// existing: keys stored by earlier sends. fresh: the rest, numbered per conversation in input
// order. bumped: reserves the numbers (and row-locks the conversations). It moves updated_at and
// last_message_at only when they are a second old: both are indexed (the inbox list), and an
// update that changes no indexed column is a HOT update, which a busy conversation needs (one
// update per batch; otherwise every one adds index entries and dead rows the next one wades
// through). So last_message_at may be up to a second older than the last message. The answer joins every
// input row to its stored row by the idempotency key (sender, client id), which is unique per
// sender, not per conversation: when the stored row is in another conversation the input row is
// a conflict (a reused client id, not a retry), and nothing is stored for it. A row whose
// conversation id does not exist reaches the insert without a bumped base and fails it on the
// foreign key (23503), so the writer's one-by-one retry fails that row alone.
// outbox: a staff or AI message in a channel conversation (not the website) gets its outbound
// delivery row here, from the channel `bumped` already returns: no extra read, and nothing at all
// for website conversations.
constexpr const char* insert_sql = R"sql(
WITH input AS (
  SELECT t.ord, coalesce(t.conversation_id, c.id) AS conversation_id, t.sender_type, t.sender_id,
         t.client_message_id, t.content, t.sender_name, t.attachments, t.wants_ai, t.urgent, t.confidence, t.intent,
         t.processing_time_ms, t.job_id, t.job_outcome, t.response_ms,
         row_number() OVER (PARTITION BY t.sender_type, t.sender_id, t.client_message_id ORDER BY t.ord) > 1
           AS later_copy
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::jsonb[],
              $9::boolean[], $10::boolean[], $11::real[], $12::text[], $13::integer[], $14::bigint[], $15::text[],
              $16::integer[])
         WITH ORDINALITY
         AS t(external_key, sender_type, sender_id, client_message_id, content, conversation_id, sender_name,
              attachments, wants_ai, urgent, confidence, intent, processing_time_ms, job_id, job_outcome,
              response_ms, ord)
  LEFT JOIN conversations c ON c.external_key = t.external_key
),
firsts AS (
  SELECT * FROM input WHERE NOT later_copy
),
existing AS (
  SELECT m.id, m.seq, m.created_at, m.conversation_id, m.sender_type, m.sender_id, m.client_message_id
  FROM messages m JOIN firsts f
    ON m.sender_type = f.sender_type AND m.sender_id = f.sender_id AND m.client_message_id = f.client_message_id
),
fresh AS (
  SELECT f.*, row_number() OVER (PARTITION BY f.conversation_id ORDER BY f.ord) AS n
  FROM firsts f
  WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.sender_type = f.sender_type
                      AND e.sender_id = f.sender_id AND e.client_message_id = f.client_message_id)
),
bumped AS (
  UPDATE conversations c SET last_seq = c.last_seq + x.cnt,
    updated_at = CASE WHEN c.updated_at > now() - interval '1 second' THEN c.updated_at ELSE now() END,
    last_message_at = CASE WHEN c.last_message_at > now() - interval '1 second' THEN c.last_message_at ELSE now() END
  FROM (SELECT conversation_id, count(*) AS cnt FROM fresh GROUP BY conversation_id) x
  WHERE c.id = x.conversation_id
  RETURNING c.id, c.last_seq - x.cnt AS base, c.channel
),
inserted AS (
  INSERT INTO messages (conversation_id, seq, sender_type, sender_id, client_message_id, content, sender_name,
                        attachments, confidence, intent, processing_time_ms)
  SELECT f.conversation_id, coalesce(b.base, 0) + f.n, f.sender_type, f.sender_id, f.client_message_id, f.content,
         f.sender_name, f.attachments, f.confidence, f.intent, f.processing_time_ms
  FROM fresh f LEFT JOIN bumped b ON b.id = f.conversation_id
  RETURNING id, seq, created_at, conversation_id, sender_type, sender_id, client_message_id
),
jobs AS (
  INSERT INTO ai_jobs (conversation_id, message_id, priority, deadline_at)
  SELECT m.conversation_id, m.id, CASE WHEN f.urgent THEN 1 ELSE c.priority END,
         now() + $17::integer * interval '1 millisecond'
  FROM inserted m
  JOIN fresh f ON f.sender_type = m.sender_type AND f.sender_id = m.sender_id
              AND f.client_message_id = m.client_message_id
  JOIN conversations c ON c.id = m.conversation_id
  WHERE f.wants_ai AND c.external_key IS NULL AND c.assigned_staff_id IS NULL AND NOT c.requires_human
  RETURNING id, message_id, priority
),
finished AS (
  UPDATE ai_jobs j SET status = CASE WHEN f.job_outcome = 'failed' THEN 'failed' ELSE 'completed' END,
         outcome = f.job_outcome, response_ms = f.response_ms, completed_at = now(), updated_at = now()
  FROM fresh f
  WHERE j.id = f.job_id AND j.status IN ('pending', 'processing')
),
outbox AS (
  INSERT INTO outbound_deliveries (message_id, conversation_id, channel)
  SELECT m.id, m.conversation_id, b.channel
  FROM inserted m JOIN bumped b ON b.id = m.conversation_id
  WHERE b.channel <> 'website' AND m.sender_type IN ('staff', 'ai')
  RETURNING id, message_id
),
answers AS (
  SELECT inserted.*, false AS duplicate FROM inserted
  UNION ALL
  SELECT existing.*, true FROM existing
)
SELECT a.id, a.seq, (extract(epoch FROM a.created_at) * 1000000)::bigint, a.duplicate OR i.later_copy,
       a.conversation_id <> i.conversation_id, CASE WHEN i.later_copy THEN NULL ELSE j.id END, j.priority,
       CASE WHEN cu.channel = 'website' THEN cu.external_id END, st.external_id,
       CASE WHEN i.later_copy THEN NULL ELSE o.id END
FROM input i JOIN answers a
  ON a.sender_type = i.sender_type AND a.sender_id = i.sender_id AND a.client_message_id = i.client_message_id
LEFT JOIN jobs j ON j.message_id = a.id AND NOT a.duplicate
LEFT JOIN outbox o ON o.message_id = a.id AND NOT a.duplicate
LEFT JOIN conversations c ON c.id = a.conversation_id
LEFT JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN staff_users st ON st.id = c.assigned_staff_id
ORDER BY i.ord
)sql";

}  // namespace

std::string_view validate(const persist_row& row) noexcept {
  if (row.conversation.empty()) return "conversation is empty";
  if (row.key == conversation_key::id && !is_uuid(row.conversation)) return "conversation is not a uuid";
  if (row.client_message_id.empty()) return "client_message_id is empty";
  if (!parse_sender_type(row.sender_type)) return "sender_type is not customer, staff, ai or system";
  if (row.conversation.size() > max_key_bytes || row.sender_id.size() > max_key_bytes ||
      row.client_message_id.size() > max_key_bytes)
    return "conversation, sender_id or client_message_id is too long";
  return {};
}

std::vector<pg_statement> sequenced_batch(std::span<const persist_row> rows, std::chrono::milliseconds ai_deadline) {
  array_literal keys, types, senders, client_ids, contents, ids, names, attachments, wants_ai, urgent, confidence,
      intent, processing, job, outcome, response;
  for (const auto& r : rows) {
    wants_ai.text(r.wants_ai ? "t" : "f");
    urgent.text(r.urgent ? "t" : "f");
    if (r.ai) {
      confidence.real(r.ai->confidence);
      intent.text(std::string_view(r.ai->intent));
      processing.integer(std::int64_t(r.ai->processing_time_ms));
      job.integer(r.ai->job_id ? std::optional<std::int64_t>(r.ai->job_id) : std::nullopt);
      outcome.text(std::string_view(r.ai->outcome));
      response.integer(std::int64_t(r.ai->response_ms));
    } else {
      confidence.null();
      intent.null();
      processing.null();
      job.null();
      outcome.null();
      response.null();
    }
    if (r.key == conversation_key::id) {
      keys.null();
      ids.text(std::string_view(r.conversation));
    } else {
      keys.text(std::string_view(r.conversation));
      ids.null();
    }
    names.text_or_null(r.sender_name);
    attachments.text_or_null(r.attachments_json);
    types.text(std::string_view(r.sender_type));
    senders.text(std::string_view(r.sender_id));
    client_ids.text(std::string_view(r.client_message_id));
    contents.text(std::string_view(r.content));
  }
  std::string key_array = keys.take();
  std::vector<pg_statement> out;
  // A plan for this batch's arrays, not the prepared generic one (1.7x slower at saturation).
  out.push_back({"SET LOCAL plan_cache_mode = force_custom_plan", {}});
  const bool any_key = std::any_of(rows.begin(), rows.end(),
                                   [](const persist_row& r) { return r.key == conversation_key::external_key; });
  if (any_key) out.push_back({create_conversations_sql, {key_array}});
  out.push_back({insert_sql,
                 {std::move(key_array), types.take(), senders.take(), client_ids.take(), contents.take(), ids.take(),
                  names.take(), attachments.take(), wants_ai.take(), urgent.take(), confidence.take(), intent.take(),
                  processing.take(), job.take(), outcome.take(), response.take(),
                  std::to_string(ai_deadline.count())}});
  return out;
}

std::optional<std::vector<persist_answer>> parse_sequenced_batch(const PGresult* res, std::size_t rows) {
  if (!fields::has_shape(res, 10) || std::size_t(PQntuples(res)) != rows) return std::nullopt;
  std::vector<persist_answer> out(rows);
  for (int i = 0; i < int(rows); ++i) {
    auto& a = out[std::size_t(i)];
    if (!fields::get(res, i, 0, a.id) || !fields::get(res, i, 1, a.seq) || !fields::get(res, i, 2, a.created_at_us) ||
        !fields::get(res, i, 3, a.duplicate) || !fields::get(res, i, 4, a.conflict))
      return std::nullopt;
    std::optional<std::int64_t> job;
    std::optional<int> priority;
    if (!fields::get(res, i, 5, job) || !fields::get(res, i, 6, priority) || !fields::get(res, i, 7, a.customer) ||
        !fields::get(res, i, 8, a.assigned_staff))
      return std::nullopt;
    std::optional<std::int64_t> delivery;
    if (!fields::get(res, i, 9, delivery)) return std::nullopt;
    a.delivery = delivery.value_or(0);
    a.ai_job = job.value_or(0);
    a.ai_priority = priority.value_or(0);
  }
  return out;
}

}  // namespace ringcast::persistence
