#include "persistence/watermarks.h"

#include "persistence/array_literal.h"
#include "persistence/result_fields.h"

namespace ringcast::persistence {
namespace {

// input: one row per watermark (ON CONFLICT may touch a row once per statement), at its highest
// seq. clamped: never past last_seq, and a mark at 0 is no move. Inserted in key order, so two
// batches touching the same watermarks lock them in the same order and cannot deadlock. The WHERE
// of DO UPDATE skips (and RETURNING omits) the marks that would not move.
#define RINGCAST_WATERMARK_INPUT                                                                     \
  "WITH input AS ("                                                                                  \
  " SELECT t.conversation_id, t.reader_type, t.reader_id, max(t.seq) AS seq"                         \
  " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[])"                                   \
  "   AS t(conversation_id, reader_type, reader_id, seq)"                                            \
  " GROUP BY t.conversation_id, t.reader_type, t.reader_id),"                                        \
  " clamped AS ("                                                                                    \
  " SELECT i.conversation_id, i.reader_type, i.reader_id, LEAST(i.seq, c.last_seq) AS seq"           \
  " FROM input i JOIN conversations c ON c.id = i.conversation_id WHERE LEAST(i.seq, c.last_seq) > 0)"

constexpr const char* advance_read_sql =
    RINGCAST_WATERMARK_INPUT
    " INSERT INTO read_receipts AS r (conversation_id, reader_type, reader_id, last_read_seq, last_delivered_seq)"
    " SELECT conversation_id, reader_type, reader_id, seq, seq FROM clamped"
    " ORDER BY conversation_id, reader_type, reader_id"
    " ON CONFLICT (conversation_id, reader_type, reader_id) DO UPDATE"
    " SET last_read_seq = EXCLUDED.last_read_seq,"
    "     last_delivered_seq = GREATEST(r.last_delivered_seq, EXCLUDED.last_read_seq), updated_at = now()"
    " WHERE r.last_read_seq < EXCLUDED.last_read_seq"
    " RETURNING conversation_id, reader_type, reader_id, last_read_seq, last_delivered_seq";

constexpr const char* advance_delivered_sql =
    RINGCAST_WATERMARK_INPUT
    " INSERT INTO read_receipts AS r (conversation_id, reader_type, reader_id, last_delivered_seq)"
    " SELECT conversation_id, reader_type, reader_id, seq FROM clamped"
    " ORDER BY conversation_id, reader_type, reader_id"
    " ON CONFLICT (conversation_id, reader_type, reader_id) DO UPDATE"
    " SET last_delivered_seq = EXCLUDED.last_delivered_seq, updated_at = now()"
    " WHERE r.last_delivered_seq < EXCLUDED.last_delivered_seq"
    " RETURNING conversation_id, reader_type, reader_id, last_read_seq, last_delivered_seq";

#undef RINGCAST_WATERMARK_INPUT

// scope: the reader's conversations, each branch on its own index. Counting walks the
// (conversation_id, seq) index from the read mark, only where something lies above it.
constexpr const char* reader_unread_sql = R"sql(
WITH scope AS (
  SELECT c.id FROM conversations c
  WHERE $1::text = 'customer'
    AND c.customer_id = (SELECT id FROM customers WHERE channel = 'website' AND external_id = $2::text)
  UNION
  SELECT c.id FROM conversations c
  WHERE $1::text = 'staff' AND c.assigned_staff_id = (SELECT id FROM staff_users WHERE external_id = $2::text)
  UNION
  SELECT r.conversation_id FROM read_receipts r
  WHERE $1::text = 'staff' AND r.reader_type = 'staff' AND r.reader_id = $2::text
),
marks AS (
  SELECT c.id, coalesce(r.last_read_seq, 0) AS read_seq, c.last_seq
  FROM scope s JOIN conversations c ON c.id = s.id
  LEFT JOIN read_receipts r ON r.conversation_id = c.id AND r.reader_type = $1::text AND r.reader_id = $2::text
  WHERE c.last_seq > coalesce(r.last_read_seq, 0)
),
counted AS (
  SELECT marks.*, (SELECT count(*) FROM messages m WHERE m.conversation_id = marks.id AND m.seq > marks.read_seq
                     AND NOT (m.sender_type = $1::text AND m.sender_id = $2::text)) AS unread
  FROM marks
)
SELECT id, read_seq, last_seq, unread FROM counted WHERE unread > 0 ORDER BY id
)sql";

// DISTINCT ON keeps each user's last update (ON CONFLICT may touch a row once per statement).
constexpr const char* upsert_presence_sql = R"sql(
INSERT INTO presence AS p (user_type, user_id, status, last_seen)
SELECT DISTINCT ON (t.user_type, t.user_id) t.user_type, t.user_id, t.status,
       coalesce('epoch'::timestamptz + t.seen_us * interval '1 microsecond', now())
FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY
       AS t(user_type, user_id, status, seen_us, ord)
ORDER BY t.user_type, t.user_id, t.ord DESC
ON CONFLICT (user_type, user_id) DO UPDATE
SET status = EXCLUDED.status, last_seen = GREATEST(p.last_seen, EXCLUDED.last_seen)
RETURNING user_type, user_id, status, (extract(epoch FROM last_seen) * 1000000)::bigint
)sql";

constexpr const char* conversation_watermarks_sql =
    "SELECT conversation_id, reader_type, reader_id, last_read_seq, last_delivered_seq FROM read_receipts"
    " WHERE conversation_id = $1::uuid ORDER BY reader_type, reader_id LIMIT $2::integer";

constexpr const char* presence_of_sql = R"sql(
SELECT user_type, user_id, status, (extract(epoch FROM last_seen) * 1000000)::bigint
FROM presence WHERE user_type = $1::text AND user_id = ANY ($2::text[]) ORDER BY user_id
)sql";

bool get_reader(const PGresult* res, int row, int col, reader_type& out) {
  auto s = fields::view(res, row, col);
  if (fields::is_null(res, row, col) || (s != "customer" && s != "staff")) return false;
  out = s == "staff" ? reader_type::staff : reader_type::customer;
  return true;
}

}  // namespace

query advance_watermarks(watermark_kind kind, std::span<const watermark_update> updates) {
  array_literal ids, types, readers, seqs;
  for (const auto& u : updates) {
    ids.text(u.conversation_id);
    types.text(to_string(u.reader));
    readers.text(u.reader_id);
    seqs.integer(u.seq);
  }
  return {kind == watermark_kind::read ? advance_read_sql : advance_delivered_sql,
          {{ids.take(), types.take(), readers.take(), seqs.take()}}};
}

std::optional<std::vector<watermark_change>> parse_watermark_changes(const PGresult* res) {
  if (!fields::has_shape(res, 5)) return std::nullopt;
  std::vector<watermark_change> out(static_cast<std::size_t>(PQntuples(res)));
  for (int i = 0; i < PQntuples(res); ++i) {
    auto& w = out[static_cast<std::size_t>(i)];
    if (!fields::get(res, i, 0, w.conversation_id) || !get_reader(res, i, 1, w.reader) ||
        !fields::get(res, i, 2, w.reader_id) || !fields::get(res, i, 3, w.last_read_seq) ||
        !fields::get(res, i, 4, w.last_delivered_seq))
      return std::nullopt;
  }
  return out;
}

query conversation_watermarks(std::string_view conversation_id, int limit) {
  return {conversation_watermarks_sql, {{std::string(conversation_id), std::to_string(limit)}}};
}

query reader_unread(reader_type reader, std::string_view reader_id) {
  return {reader_unread_sql, {{std::string(to_string(reader)), std::string(reader_id)}}};
}

std::optional<reader_unread_counts> parse_reader_unread(const PGresult* res) {
  auto rows = parse_unread_counts(res);
  if (!rows) return std::nullopt;
  reader_unread_counts out;
  for (const auto& u : *rows) out.total += u.unread;
  out.conversations = std::move(*rows);
  return out;
}

std::string_view to_string(presence_status s) noexcept {
  switch (s) {
    case presence_status::online: return "online";
    case presence_status::away: return "away";
    case presence_status::offline: return "offline";
  }
  return "offline";
}

std::optional<presence_status> parse_presence_status(std::string_view s) noexcept {
  for (auto p : {presence_status::online, presence_status::away, presence_status::offline})
    if (to_string(p) == s) return p;
  return std::nullopt;
}

query upsert_presence(std::span<const presence_update> updates) {
  array_literal types, users, statuses, seen;
  for (const auto& u : updates) {
    types.text(to_string(u.user));
    users.text(u.user_id);
    statuses.text(to_string(u.status));
    seen.integer(u.last_seen_us);
  }
  return {upsert_presence_sql, {{types.take(), users.take(), statuses.take(), seen.take()}}};
}

query presence_of(reader_type user, std::span<const std::string> user_ids) {
  array_literal ids;
  for (const auto& id : user_ids) ids.text(id);
  return {presence_of_sql, {{std::string(to_string(user)), ids.take()}}};
}

std::optional<std::vector<presence_record>> parse_presence(const PGresult* res) {
  if (!fields::has_shape(res, 4)) return std::nullopt;
  std::vector<presence_record> out(static_cast<std::size_t>(PQntuples(res)));
  for (int i = 0; i < PQntuples(res); ++i) {
    auto& p = out[static_cast<std::size_t>(i)];
    auto status = parse_presence_status(fields::view(res, i, 2));
    if (!status || !get_reader(res, i, 0, p.user) || !fields::get(res, i, 1, p.user_id) ||
        !fields::get(res, i, 3, p.last_seen_us))
      return std::nullopt;
    p.status = *status;
  }
  return out;
}

}  // namespace ringcast::persistence
