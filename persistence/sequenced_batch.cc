#include "persistence/sequenced_batch.h"

#include <algorithm>
#include <unordered_map>

#include "persistence/array_literal.h"
#include "persistence/queries.h"
#include "persistence/result_fields.h"

namespace ringcast::persistence {
namespace {

constexpr const char* create_conversations_sql =
    "INSERT INTO conversations (external_key) SELECT DISTINCT k FROM unnest($1::text[]) AS k "
    "WHERE k IS NOT NULL ON CONFLICT (external_key) DO NOTHING";

// The rows reach the statement without repeats: a row equal to an earlier one of the batch in
// conversation and idempotency key (sender, client id) is answered from that row here
// (first_copies()), not sent. A sent row whose key came earlier in the batch in another
// conversation is a later copy: it is answered like its first copy, as a conflict.
// input: a row names its conversation by external key ($1) or by id ($6), the other is NULL; the
// stored_* columns are the row stored by an earlier send with the same key, if any.
// numbered: the new rows (no stored one) numbered per conversation in input order.
// bumped: reserves the numbers (and row-locks the conversations). It moves updated_at and
// last_message_at only when they are a second old: both are indexed (the inbox list), and an
// update that changes no indexed column is a HOT update, which a busy conversation needs (one
// update per batch; otherwise every one adds index entries and dead rows the next one wades
// through). So last_message_at may be up to a second older than the last message. It returns
// what the rest needs of the conversation as it is now (the row is locked), with its people.
// fresh: each new row with its seq, its id, and the ids of the AI job and the outbound delivery
// it brings (drawn here, so nothing needs to join the inserted rows back to the input).
// A new row's AI job: a customer's message (wants_ai) in a conversation by id with no assigned
// staff that does not require a human. Its outbound delivery: a staff or AI message in a
// channel conversation (not the website).
// A row whose stored row is in another conversation is a conflict (a reused client id, not a
// retry), and nothing is stored for it. A row whose conversation id does not exist has no bumped
// base and fails the insert on the foreign key (23503), so the writer's one-by-one retry fails
// that row alone.
// Every join here is of the batch's rows to an index or to the batch's conversations, never of
// two batch-sized sets to each other, so one generic plan serves every batch size. The lookups
// by key are written as per-row subqueries so that even a plan made while the tables were empty
// (the first batches of a new database) probes their indexes instead of scanning them.
constexpr const char* insert_sql = R"sql(
WITH input AS (
  SELECT t.ord,
         coalesce(t.conversation_id, (SELECT c.id FROM conversations c WHERE c.external_key = t.external_key))
           AS conversation_id,
         t.sender_type, t.sender_id,
         t.client_message_id, t.content, t.sender_name, t.attachments, t.wants_ai, t.urgent, t.confidence, t.intent,
         t.processing_time_ms, t.job_id, t.job_outcome, t.response_ms,
         m.id AS stored_id, m.seq AS stored_seq, m.created_at AS stored_at, m.conversation_id AS stored_conversation,
         row_number() OVER (PARTITION BY t.sender_type, t.sender_id, t.client_message_id ORDER BY t.ord) > 1
           AS later_copy
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::jsonb[],
              $9::boolean[], $10::boolean[], $11::real[], $12::text[], $13::integer[], $14::bigint[], $15::text[],
              $16::integer[])
         WITH ORDINALITY
         AS t(external_key, sender_type, sender_id, client_message_id, content, conversation_id, sender_name,
              attachments, wants_ai, urgent, confidence, intent, processing_time_ms, job_id, job_outcome,
              response_ms, ord)
  LEFT JOIN LATERAL (
    SELECT m.id, m.seq, m.created_at, m.conversation_id FROM messages m
    WHERE m.sender_type = t.sender_type AND m.sender_id = t.sender_id AND m.client_message_id = t.client_message_id
    LIMIT 1
  ) m ON true
),
numbered AS (
  SELECT i.*, row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.ord) AS n
  FROM input i WHERE i.stored_id IS NULL AND NOT i.later_copy
),
bumped AS (
  UPDATE conversations c SET last_seq = c.last_seq + x.cnt,
    updated_at = CASE WHEN c.updated_at > now() - interval '1 second' THEN c.updated_at ELSE now() END,
    last_message_at = CASE WHEN c.last_message_at > now() - interval '1 second' THEN c.last_message_at ELSE now() END
  FROM (SELECT conversation_id, count(*) AS cnt FROM numbered GROUP BY conversation_id) x
  WHERE c.id = x.conversation_id
  RETURNING c.id, c.last_seq - x.cnt AS base, c.channel, c.priority, c.customer_id, c.assigned_staff_id,
            c.external_key IS NULL AND c.assigned_staff_id IS NULL AND NOT c.requires_human AS ai_may_answer
),
people AS MATERIALIZED (
  SELECT b.*, CASE WHEN cu.channel = 'website' THEN cu.external_id END AS customer, st.external_id AS staff
  FROM bumped b
  LEFT JOIN customers cu ON cu.id = b.customer_id
  LEFT JOIN staff_users st ON st.id = b.assigned_staff_id
),
fresh AS (
  SELECT n.*, gen_random_uuid() AS id, coalesce(p.base, 0) + n.n AS seq, p.channel, p.customer, p.staff,
         CASE WHEN n.wants_ai AND p.ai_may_answer THEN nextval('ai_jobs_id_seq') END AS new_job,
         CASE WHEN n.urgent THEN 1 ELSE p.priority END AS job_priority,
         CASE WHEN p.channel <> 'website' AND n.sender_type IN ('staff', 'ai')
              THEN nextval('outbound_deliveries_id_seq') END AS new_delivery
  FROM numbered n LEFT JOIN people p ON p.id = n.conversation_id
),
inserted AS (
  INSERT INTO messages (id, conversation_id, seq, sender_type, sender_id, client_message_id, content, sender_name,
                        attachments, confidence, intent, processing_time_ms, created_at)
  SELECT id, conversation_id, seq, sender_type, sender_id, client_message_id, content, sender_name, attachments,
         confidence, intent, processing_time_ms, now()
  FROM fresh
),
jobs AS (
  INSERT INTO ai_jobs (id, conversation_id, message_id, priority, deadline_at) OVERRIDING SYSTEM VALUE
  SELECT new_job, conversation_id, id, job_priority, now() + $17::integer * interval '1 millisecond'
  FROM fresh WHERE new_job IS NOT NULL
),
finished AS (
  UPDATE ai_jobs j SET status = CASE WHEN f.job_outcome = 'failed' THEN 'failed' ELSE 'completed' END,
         outcome = f.job_outcome, response_ms = f.response_ms, completed_at = now(), updated_at = now()
  FROM fresh f
  WHERE j.id = f.job_id AND j.status IN ('pending', 'processing')
),
outbox AS (
  INSERT INTO outbound_deliveries (id, message_id, conversation_id, channel) OVERRIDING SYSTEM VALUE
  SELECT new_delivery, id, conversation_id, channel FROM fresh WHERE new_delivery IS NOT NULL
)
SELECT id, seq, (extract(epoch FROM now()) * 1000000)::bigint, false, false, new_job,
       CASE WHEN new_job IS NOT NULL THEN job_priority END, customer, staff, new_delivery, ord
FROM fresh
UNION ALL
SELECT stored_id, stored_seq, (extract(epoch FROM stored_at) * 1000000)::bigint, true,
       coalesce(stored_conversation <> conversation_id, true), NULL, NULL, NULL, NULL, NULL, ord
FROM input WHERE stored_id IS NOT NULL OR later_copy
ORDER BY 11
)sql";

// A row's idempotency key, and with its conversation.
std::string idempotency_key(const persist_row& r) {
  std::string key = r.sender_type;
  key += '\0';
  key += r.sender_id;
  key += '\0';
  key += r.client_message_id;
  return key;
}
std::string repeat_key(const persist_row& r) {
  std::string key = idempotency_key(r);
  key += '\0';
  key += r.key == conversation_key::id ? 'i' : 'k';
  key += r.conversation;
  return key;
}

// For each row, the index of the first row of the batch with its conversation and idempotency
// key (itself when it is the first).
std::vector<std::size_t> first_copies(std::span<const persist_row* const> rows) {
  std::unordered_map<std::string, std::size_t> seen;
  std::vector<std::size_t> out(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) out[i] = seen.try_emplace(repeat_key(*rows[i]), i).first->second;
  return out;
}

std::vector<const persist_row*> row_pointers(std::span<const persist_row> rows) {
  std::vector<const persist_row*> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(&r);
  return out;
}

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

std::vector<pg_statement> sequenced_batch(std::span<const persist_row* const> rows,
                                          std::chrono::milliseconds ai_deadline) {
  array_literal keys, types, senders, client_ids, contents, ids, names, attachments, wants_ai, urgent, confidence,
      intent, processing, job, outcome, response;
  const auto firsts = first_copies(rows);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (firsts[i] != i) continue;
    const auto& r = *rows[i];
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
  // One plan for every batch: planning this statement for each batch's arrays took longer than
  // running it (2.5 ms against 5 ms for 40 rows), and its joins do not depend on the batch size.
  out.push_back({"SET LOCAL plan_cache_mode = force_generic_plan", {}});
  const bool any_key = std::any_of(rows.begin(), rows.end(),
                                   [](const persist_row* r) { return r->key == conversation_key::external_key; });
  if (any_key) out.push_back({create_conversations_sql, {key_array}});
  out.push_back({insert_sql,
                 {std::move(key_array), types.take(), senders.take(), client_ids.take(), contents.take(), ids.take(),
                  names.take(), attachments.take(), wants_ai.take(), urgent.take(), confidence.take(), intent.take(),
                  processing.take(), job.take(), outcome.take(), response.take(),
                  std::to_string(ai_deadline.count())}});
  return out;
}

std::optional<std::vector<persist_answer>> parse_sequenced_batch(const PGresult* res,
                                                                 std::span<const persist_row* const> rows) {
  const auto firsts = first_copies(rows);
  std::vector<std::size_t> sent;  // the rows the statement saw, in its order (ord 1, 2, ...)
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (firsts[i] == i) sent.push_back(i);
  if (!fields::has_shape(res, 11) || std::size_t(PQntuples(res)) != sent.size()) return std::nullopt;
  std::vector<persist_answer> out(rows.size());
  // The first sent row of each idempotency key, for the later copies.
  std::unordered_map<std::string, std::size_t> first_of_key;
  for (int k = 0; k < int(sent.size()); ++k) {
    const std::size_t i = sent[std::size_t(k)];
    auto& a = out[i];
    const auto [first, is_first] = first_of_key.try_emplace(idempotency_key(*rows[i]), i);
    std::int64_t ord = 0;
    std::optional<std::string> id;
    if (!fields::get(res, k, 0, id) || !fields::get(res, k, 10, ord) || ord != k + 1) return std::nullopt;
    if (!id) {
      // A later copy in another conversation: its first copy's answer, a conflict.
      if (is_first) return std::nullopt;
      a = out[first->second];
      a.duplicate = a.conflict = true;
      a.ai_job = a.ai_priority = 0;
      a.delivery = 0;
      continue;
    }
    a.id = std::move(*id);
    std::optional<std::int64_t> job, delivery;
    std::optional<int> priority;
    if (!fields::get(res, k, 1, a.seq) || !fields::get(res, k, 2, a.created_at_us) ||
        !fields::get(res, k, 3, a.duplicate) || !fields::get(res, k, 4, a.conflict) || !fields::get(res, k, 5, job) ||
        !fields::get(res, k, 6, priority) || !fields::get(res, k, 7, a.customer) ||
        !fields::get(res, k, 8, a.assigned_staff) || !fields::get(res, k, 9, delivery))
      return std::nullopt;
    a.delivery = delivery.value_or(0);
    a.ai_job = job.value_or(0);
    a.ai_priority = priority.value_or(0);
  }
  // A repeat (same conversation, same key) gets its first row's answer as a duplicate: nothing of
  // its own was stored, and no job or delivery was created for it.
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::size_t f = firsts[i];
    if (f == i) continue;
    auto& a = out[i];
    a = out[f];
    a.duplicate = true;
    a.ai_job = a.ai_priority = 0;
    a.delivery = 0;
  }
  return out;
}

std::vector<pg_statement> sequenced_batch(std::span<const persist_row> rows, std::chrono::milliseconds ai_deadline) {
  return sequenced_batch(row_pointers(rows), ai_deadline);
}

std::optional<std::vector<persist_answer>> parse_sequenced_batch(const PGresult* res, std::span<const persist_row> rows) {
  return parse_sequenced_batch(res, row_pointers(rows));
}

}  // namespace ringcast::persistence
