// Readers and conversation statements. The batch insert lives in sequenced_batch.cc.
#include "persistence/queries.h"

#include <algorithm>
#include <string>

#include "persistence/array_literal.h"
#include "persistence/result_fields.h"

namespace ringcast::persistence {
namespace {

// timestamptz as microseconds since the epoch: extract() returns numeric, so this is exact.
#define RINGCAST_EPOCH_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

constexpr const char* find_or_create_sql = R"sql(
INSERT INTO conversations (external_key) VALUES ($1::text)
ON CONFLICT (external_key) DO UPDATE SET external_key = EXCLUDED.external_key
RETURNING id, last_seq, xmax = 0
)sql";
// DO UPDATE rather than DO NOTHING: it returns the row even when another broker inserted it after
// our snapshot, where DO NOTHING plus a SELECT would return nothing. The no-op update leaves the
// key unchanged, so it takes no lock that conflicts with the foreign-key checks of inserts.
// xmax = 0 only on a row version this statement inserted.

constexpr const char* conversation_columns =
    "id, external_key, customer_id, assigned_staff_id, channel, status, priority, requires_human,"
    " ai_confidence, escalation_reason, last_seq, " RINGCAST_EPOCH_US("created_at") ", "
    RINGCAST_EPOCH_US("updated_at");
constexpr int conversation_column_count = 13;

// The last two: a channel reply's outbound delivery status and, when failed, its reason (an index
// probe per row on outbound_deliveries' unique message_id; NULL for every other message).
#define RINGCAST_MESSAGE_COLUMNS                                                              \
  "id, conversation_id, seq, sender_type, sender_id, content, client_message_id,"             \
  " attachments::text, confidence, processing_time_ms, intent, " RINGCAST_EPOCH_US("created_at") \
  ", sender_name, (SELECT d.status FROM outbound_deliveries d WHERE d.message_id = messages.id),"  \
  " (SELECT d.error FROM outbound_deliveries d WHERE d.message_id = messages.id AND d.status = 'failed')"
constexpr int message_column_count = 15;

constexpr const char* history_range_sql =
    "SELECT " RINGCAST_MESSAGE_COLUMNS
    " FROM messages"
    " WHERE conversation_id = $1::uuid AND seq BETWEEN $2::bigint AND $3::bigint"
    " ORDER BY seq LIMIT $4::integer";

// The inner query walks the (conversation_id, seq) index backwards and stops after n rows.
constexpr const char* history_newest_sql =
    "SELECT * FROM (SELECT " RINGCAST_MESSAGE_COLUMNS
    " FROM messages WHERE conversation_id = $1::uuid ORDER BY seq DESC LIMIT $2::integer) AS newest"
    " ORDER BY seq";

constexpr const char* history_since_sql =
    "SELECT " RINGCAST_MESSAGE_COLUMNS
    " FROM messages WHERE conversation_id = $1::uuid AND seq > $2::bigint ORDER BY seq LIMIT $3::integer";

// One row more than asked for tells whether older messages exist.
constexpr const char* history_before_sql =
    "SELECT * FROM (SELECT " RINGCAST_MESSAGE_COLUMNS
    " FROM messages WHERE conversation_id = $1::uuid AND ($2::bigint IS NULL OR seq < $2::bigint)"
    " ORDER BY seq DESC LIMIT $3::integer) AS older ORDER BY seq";

#undef RINGCAST_MESSAGE_COLUMNS
#undef RINGCAST_EPOCH_US

// A read mark never moves backwards and never past the conversation's last committed message, so a
// client cannot mark future messages read. A read message was delivered: the delivered mark
// follows (the schema checks last_delivered_seq >= last_read_seq).
constexpr const char* mark_read_sql = R"sql(
INSERT INTO read_receipts AS r (conversation_id, reader_type, reader_id, last_read_seq, last_delivered_seq)
SELECT c.id, $2::text, $3::text, LEAST($4::bigint, c.last_seq), LEAST($4::bigint, c.last_seq)
FROM conversations AS c WHERE c.id = $1::uuid
ON CONFLICT (conversation_id, reader_type, reader_id) DO UPDATE
SET last_read_seq = GREATEST(r.last_read_seq, EXCLUDED.last_read_seq),
    last_delivered_seq = GREATEST(r.last_delivered_seq, EXCLUDED.last_read_seq), updated_at = now()
)sql";

// Counting walks the (conversation_id, seq) index from the read mark; the reader's own messages
// are not unread to them.
constexpr const char* unread_counts_sql = R"sql(
SELECT c.id, coalesce(r.last_read_seq, 0), c.last_seq,
       (SELECT count(*) FROM messages AS m
        WHERE m.conversation_id = c.id AND m.seq > coalesce(r.last_read_seq, 0)
          AND NOT (m.sender_type = $1::text AND m.sender_id = $2::text))
FROM unnest($3::uuid[]) WITH ORDINALITY AS w(id, ord)
JOIN conversations AS c ON c.id = w.id
LEFT JOIN read_receipts AS r
  ON r.conversation_id = c.id AND r.reader_type = $1::text AND r.reader_id = $2::text
ORDER BY w.ord
)sql";

std::string number(std::int64_t v) { return std::to_string(v); }

}  // namespace

bool is_uuid(std::string_view s) noexcept {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
    if (dash ? ch != '-' : !hex) return false;
  }
  return true;
}

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

std::vector<const char*> query_params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values.size());
  for (const auto& v : values) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

std::string_view to_string(reader_type t) noexcept {
  return t == reader_type::staff ? "staff" : "customer";
}

query find_or_create_conversation(std::string_view external_key) {
  return {find_or_create_sql, {{std::string(external_key)}}};
}

std::optional<conversation_ref> parse_conversation_ref(const PGresult* res) {
  if (!fields::has_shape(res, 3) || PQntuples(res) != 1) return std::nullopt;
  conversation_ref ref;
  if (!fields::get(res, 0, 0, ref.id) || !fields::get(res, 0, 1, ref.last_seq) ||
      !fields::get(res, 0, 2, ref.created))
    return std::nullopt;
  return ref;
}

query conversation_list(std::string_view status, int limit) {
  static const std::string sql = std::string("SELECT ") + conversation_columns +
                                 " FROM conversations WHERE status = $1::text"
                                 " ORDER BY priority, updated_at DESC, id LIMIT $2::integer";
  return {sql.c_str(), {{std::string(status), number(limit)}}};
}

std::optional<std::vector<conversation_summary>> parse_conversation_list(const PGresult* res) {
  if (!fields::has_shape(res, conversation_column_count)) return std::nullopt;
  std::vector<conversation_summary> out(static_cast<std::size_t>(PQntuples(res)));
  for (int i = 0; i < PQntuples(res); ++i) {
    auto& c = out[static_cast<std::size_t>(i)];
    bool ok = fields::get(res, i, 0, c.id) && fields::get(res, i, 1, c.external_key) &&
              fields::get(res, i, 2, c.customer_id) && fields::get(res, i, 3, c.assigned_staff_id) &&
              fields::get(res, i, 4, c.channel) && fields::get(res, i, 5, c.status) &&
              fields::get(res, i, 6, c.priority) && fields::get(res, i, 7, c.requires_human) &&
              fields::get(res, i, 8, c.ai_confidence) &&
              fields::get(res, i, 9, c.escalation_reason) && fields::get(res, i, 10, c.last_seq) &&
              fields::get(res, i, 11, c.created_at_us) && fields::get(res, i, 12, c.updated_at_us);
    if (!ok) return std::nullopt;
  }
  return out;
}

query history_range(std::string_view conversation_id, std::int64_t from_seq, std::int64_t to_seq,
                    int limit) {
  return {history_range_sql,
          {{std::string(conversation_id), number(from_seq), number(to_seq), number(limit)}}};
}

query history_newest(std::string_view conversation_id, int n) {
  return {history_newest_sql, {{std::string(conversation_id), number(n)}}};
}

std::optional<std::vector<message_record>> parse_history(const PGresult* res) {
  if (!fields::has_shape(res, message_column_count)) return std::nullopt;
  std::vector<message_record> out(static_cast<std::size_t>(PQntuples(res)));
  for (int i = 0; i < PQntuples(res); ++i) {
    auto& m = out[static_cast<std::size_t>(i)];
    auto sender = parse_sender_type(fields::view(res, i, 3));
    if (!sender) return std::nullopt;
    m.sender_type = *sender;
    bool ok = fields::get(res, i, 0, m.id) && fields::get(res, i, 1, m.conversation_id) &&
              fields::get(res, i, 2, m.seq) && fields::get(res, i, 4, m.sender_id) &&
              fields::get(res, i, 5, m.content) && fields::get(res, i, 6, m.client_message_id) &&
              fields::get(res, i, 7, m.attachments_json) && fields::get(res, i, 8, m.confidence) &&
              fields::get(res, i, 9, m.processing_time_ms) && fields::get(res, i, 10, m.intent) &&
              fields::get(res, i, 11, m.created_at_us) && fields::get(res, i, 12, m.sender_name) &&
              fields::get(res, i, 13, m.delivery_status) && fields::get(res, i, 14, m.delivery_error);
    if (!ok) return std::nullopt;
  }
  return out;
}

query history_since(std::string_view conversation_id, std::int64_t since_seq) {
  return {history_since_sql, {{std::string(conversation_id), number(since_seq), number(history_since_page + 1)}}};
}

std::optional<history_page> parse_history_since(const PGresult* res) {
  auto rows = parse_history(res);
  if (!rows) return std::nullopt;
  history_page page{std::move(*rows)};
  if (page.messages.size() > std::size_t(history_since_page)) {
    page.messages.resize(history_since_page);
    page.more = true;
  }
  return page;
}

query history_before(std::string_view conversation_id, std::optional<std::int64_t> before_seq, int limit) {
  const int n = std::clamp(limit, 1, history_before_max);
  return {history_before_sql,
          {{std::string(conversation_id), before_seq ? std::optional(number(*before_seq)) : std::nullopt,
            number(n + 1)}}};
}

std::optional<history_page> parse_history_before(const PGresult* res, int limit) {
  auto rows = parse_history(res);
  if (!rows) return std::nullopt;
  history_page page{std::move(*rows)};
  const std::size_t n = std::size_t(std::clamp(limit, 1, history_before_max));
  if (page.messages.size() > n) {
    // The extra row is the oldest one, first in seq order.
    page.messages.erase(page.messages.begin(), page.messages.end() - std::ptrdiff_t(n));
    page.more = true;
  }
  return page;
}

query mark_read(std::string_view conversation_id, reader_type reader, std::string_view reader_id,
                std::int64_t seq) {
  return {mark_read_sql,
          {{std::string(conversation_id), std::string(to_string(reader)), std::string(reader_id),
            number(seq)}}};
}

query unread_counts(reader_type reader, std::string_view reader_id,
                    std::span<const std::string> conversation_ids) {
  array_literal ids;
  for (const auto& id : conversation_ids) ids.text(id);
  return {unread_counts_sql,
          {{std::string(to_string(reader)), std::string(reader_id), ids.take()}}};
}

std::optional<std::vector<unread_count>> parse_unread_counts(const PGresult* res) {
  if (!fields::has_shape(res, 4)) return std::nullopt;
  std::vector<unread_count> out(static_cast<std::size_t>(PQntuples(res)));
  for (int i = 0; i < PQntuples(res); ++i) {
    auto& u = out[static_cast<std::size_t>(i)];
    if (!fields::get(res, i, 0, u.conversation_id) || !fields::get(res, i, 1, u.last_read_seq) ||
        !fields::get(res, i, 2, u.last_seq) || !fields::get(res, i, 3, u.unread))
      return std::nullopt;
  }
  return out;
}

}  // namespace ringcast::persistence
