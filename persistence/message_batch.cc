// The group-commit batch insert: its SQL, the row checks that keep one bad row from failing a
// batch, the column-array encoding and the answer parser. Declared in queries.h.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <string>

#include "persistence/array_literal.h"
#include "persistence/queries.h"
#include "persistence/result_fields.h"

namespace ringcast::persistence {
namespace {

// The batch as rows, in input order. unnest of several arrays zips them; WITH ORDINALITY keeps the
// input position so every answer finds its way back to the request that caused it.
constexpr const char* input_cte = R"sql(
WITH input AS (
  SELECT *
  FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
              $7::jsonb[], $8::real[], $9::integer[], $10::text[])
       WITH ORDINALITY AS t(conversation_id, seq, sender_type, sender_id, content,
                            client_message_id, attachments, confidence, processing_time_ms,
                            intent, ord)
))sql";

// All sub-statements of one WITH share one snapshot: the final SELECT's scan of `messages` (e)
// sees only rows that existed before this statement, and rows inserted now are known only through
// `inserted`'s RETURNING. Rows with a client id match their answer by client id (a later
// duplicate in the same batch gets the first one's row), rows without one by (conversation, seq).
// last_seq moves only for rows really inserted, and never backwards.
constexpr const char* insert_tail = R"sql(,
inserted AS (
  INSERT INTO messages (conversation_id, seq, sender_type, sender_id, content, client_message_id,
                        attachments, confidence, processing_time_ms, intent)
  SELECT conversation_id, seq, sender_type, sender_id, content, client_message_id,
         attachments, confidence, processing_time_ms, intent
  FROM input
  ORDER BY ord
  ON CONFLICT (sender_type, sender_id, client_message_id) DO NOTHING
  RETURNING id, conversation_id, seq, sender_type, sender_id, client_message_id, created_at
),
bumped AS (
  UPDATE conversations AS c
  SET last_seq = b.max_seq, updated_at = now()
  FROM (SELECT conversation_id, max(seq) AS max_seq FROM inserted GROUP BY conversation_id) AS b
  WHERE c.id = b.conversation_id AND c.last_seq < b.max_seq
)
SELECT coalesce(k.id, s.id, e.id),
       coalesce(k.conversation_id, s.conversation_id, e.conversation_id),
       coalesce(k.seq, s.seq, e.seq),
       (extract(epoch FROM coalesce(k.created_at, s.created_at, e.created_at)) * 1000000)::bigint,
       CASE WHEN s.id IS NOT NULL THEN 'inserted'
            WHEN k.conversation_id = i.conversation_id AND k.seq = i.seq THEN 'inserted'
            WHEN k.id IS NOT NULL OR e.id IS NOT NULL THEN 'existing'
            ELSE 'unresolved' END
FROM input AS i
LEFT JOIN inserted AS k
  ON k.sender_type = i.sender_type AND k.sender_id = i.sender_id
 AND k.client_message_id = i.client_message_id
LEFT JOIN inserted AS s
  ON i.client_message_id IS NULL AND s.conversation_id = i.conversation_id AND s.seq = i.seq
LEFT JOIN messages AS e
  ON e.sender_type = i.sender_type AND e.sender_id = i.sender_id
 AND e.client_message_id = i.client_message_id
ORDER BY i.ord
)sql";

constexpr const char* lookup_tail = R"sql(
SELECT coalesce(k.id, s.id),
       coalesce(k.conversation_id, s.conversation_id),
       coalesce(k.seq, s.seq),
       (extract(epoch FROM coalesce(k.created_at, s.created_at)) * 1000000)::bigint,
       CASE WHEN coalesce(k.id, s.id) IS NULL THEN 'unresolved' ELSE 'existing' END
FROM input AS i
LEFT JOIN messages AS k
  ON k.sender_type = i.sender_type AND k.sender_id = i.sender_id
 AND k.client_message_id = i.client_message_id
LEFT JOIN messages AS s
  ON i.client_message_id IS NULL AND s.conversation_id = i.conversation_id AND s.seq = i.seq
ORDER BY i.ord
)sql";

constexpr int batch_columns = 10;
constexpr int answer_columns = 5;

// Strict UTF-8 as PostgreSQL's UTF8 encoding checks it: no overlong forms, no surrogates, nothing
// past U+10FFFF, and no NUL (a text value cannot hold one, a libpq parameter would end there).
bool storable_text(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c == 0) return false;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
    } else {
      return false;
    }
    if (end - p < len || p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i < len; ++i)
      if ((p[i] & 0xC0) != 0x80) return false;
    p += len;
  }
  return true;
}

bool storable_optional_text(const std::optional<std::string>& s) noexcept {
  return !s || storable_text(*s);
}

bool canonical_uuid(std::string_view s) noexcept {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (dash ? c != '-' : !hex) return false;
  }
  return true;
}

// jsonb refuses "\u0000" in any string or key, which a JSON parser accepts.
bool jsonb_storable(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::string:
      return v.get_string().find('\0') == boost::json::string::npos;
    case boost::json::kind::array:
      for (const auto& e : v.get_array())
        if (!jsonb_storable(e)) return false;
      return true;
    case boost::json::kind::object:
      for (const auto& kv : v.get_object())
        if (kv.key().find('\0') != std::string_view::npos || !jsonb_storable(kv.value()))
          return false;
      return true;
    default:
      return true;
  }
}

}  // namespace

std::string_view to_string(sender_type t) noexcept {
  switch (t) {
    case sender_type::customer: return "customer";
    case sender_type::staff: return "staff";
    case sender_type::ai: return "ai";
    case sender_type::system: return "system";
  }
  return "system";
}

std::optional<sender_type> parse_sender_type(std::string_view s) noexcept {
  for (auto t : {sender_type::customer, sender_type::staff, sender_type::ai, sender_type::system})
    if (to_string(t) == s) return t;
  return std::nullopt;
}

std::string_view validate(const message_row& row) {
  if (!canonical_uuid(row.conversation_id)) return "conversation_id is not a uuid";
  if (row.seq <= 0) return "seq must be positive";
  if (!storable_text(row.sender_id)) return "sender_id is not valid UTF-8 text";
  if (!storable_text(row.content)) return "content is not valid UTF-8 text";
  if (!storable_optional_text(row.client_message_id)) return "client_message_id is not valid UTF-8 text";
  if (!storable_optional_text(row.intent)) return "intent is not valid UTF-8 text";
  if (row.processing_time_ms && *row.processing_time_ms < 0)
    return "processing_time_ms must not be negative";
  if (row.attachments_json) {
    if (!storable_text(*row.attachments_json)) return "attachments are not valid UTF-8 text";
    boost::json::error_code ec;
    auto doc = boost::json::parse(*row.attachments_json, ec);
    if (ec) return "attachments are not valid JSON";
    if (!jsonb_storable(doc)) return "attachments contain \\u0000";
  }
  return {};
}

const char* batch_insert_sql() noexcept {
  static const std::string sql = std::string(input_cte) + insert_tail;
  return sql.c_str();
}

const char* batch_lookup_sql() noexcept {
  static const std::string sql = std::string(input_cte) + lookup_tail;
  return sql.c_str();
}

query_params encode_batch_params(std::span<const message_row> rows) {
  array_literal conversation, seq, sender, sender_id, content, client_id, attachments, confidence,
      processing, intent;
  std::size_t content_bytes = 0;
  for (const auto& r : rows) content_bytes += r.content.size() + 3;
  content.reserve(content_bytes + content_bytes / 16 + 2);  // room for some escapes
  conversation.reserve(rows.size() * 39 + 2);
  for (const auto& r : rows) {
    conversation.text(r.conversation_id);
    seq.integer(r.seq);
    sender.text(to_string(r.sender_type));
    sender_id.text(r.sender_id);
    content.text(r.content);
    client_id.text_or_null(r.client_message_id);
    attachments.text_or_null(r.attachments_json);
    confidence.real(r.confidence);
    if (r.processing_time_ms)
      processing.integer(std::int64_t{*r.processing_time_ms});
    else
      processing.null();
    intent.text_or_null(r.intent);
  }
  query_params p;
  p.values.reserve(batch_columns);
  for (auto* a : {&conversation, &seq, &sender, &sender_id, &content, &client_id, &attachments,
                  &confidence, &processing, &intent})
    p.values.emplace_back(a->take());
  return p;
}

std::optional<std::vector<batch_answer>> parse_batch_result(const PGresult* res) {
  if (!fields::has_shape(res, answer_columns)) return std::nullopt;
  std::vector<batch_answer> out(static_cast<std::size_t>(PQntuples(res)));
  for (int i = 0; i < PQntuples(res); ++i) {
    auto& a = out[static_cast<std::size_t>(i)];
    auto state = fields::view(res, i, 4);
    if (state == "unresolved") {
      a.state = batch_answer::outcome::unresolved;
      continue;
    }
    if (state == "inserted")
      a.state = batch_answer::outcome::inserted;
    else if (state == "existing")
      a.state = batch_answer::outcome::existing;
    else
      return std::nullopt;
    if (!fields::get(res, i, 0, a.id) || !fields::get(res, i, 1, a.conversation_id) ||
        !fields::get(res, i, 2, a.seq) || !fields::get(res, i, 3, a.created_at_us))
      return std::nullopt;
  }
  return out;
}

}  // namespace ringcast::persistence
