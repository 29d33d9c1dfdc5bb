#include "persistence/inbox_conversations.h"

#include <algorithm>

#include "persistence/array_literal.h"
#include "persistence/result_fields.h"

namespace ringcast::persistence {
namespace {

#define RINGCAST_EPOCH_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

// The conversation object, from `c` (conversations), `cu` (customers) and the staff sub `staff`.
// A website customer's id is their JWT sub; a channel customer's is "<channel>:<external id>"
// (sms:+15550100), so it can never equal a website sub of the same text by accident.
#define RINGCAST_CONVERSATION_COLUMNS(staff)                                                                   \
  "c.id, CASE WHEN cu.channel = 'website' THEN cu.external_id ELSE cu.channel || ':' || cu.external_id END, " \
  "c.channel, c.status, c.priority, " staff ", c.requires_human, c.last_seq, "                                 \
  RINGCAST_EPOCH_US("c.last_message_at") ", " RINGCAST_EPOCH_US("c.created_at")                                \
  ", c.subject, c.escalation_reason, cu.channel"
constexpr int conversation_columns = 13;

// DO UPDATE so the row comes back even when another broker created the customer a moment ago; the
// name follows the newest token that carries one.
// earlier: the conversation of this customer and channel where the sender ($8, $9) already stored
// the first message's client id ($10): this create is a retry of the one that made it, which is
// answered (created = false) instead of a second conversation.
constexpr const char* create_sql =
    "WITH earlier AS ("
    " SELECT m.conversation_id FROM messages m"
    " JOIN conversations ec ON ec.id = m.conversation_id JOIN customers ecu ON ecu.id = ec.customer_id"
    " WHERE m.sender_type = $8::text AND m.sender_id = $9::text AND m.client_message_id = $10::text"
    "   AND ec.channel = $3::text AND ecu.channel = $5::text"
    "   AND ecu.external_id = CASE WHEN $5::text = 'email' THEN lower($1::text) ELSE $1::text END),"
    " customer AS ("
    " INSERT INTO customers AS cu (channel, external_id, name, email, phone)"
    " VALUES ($5::text, CASE WHEN $5::text = 'email' THEN lower($1::text) ELSE $1::text END, $2::text, $6::text,"
    "         $7::text)"
    " ON CONFLICT (channel, external_id) DO UPDATE"
    " SET name = coalesce(EXCLUDED.name, cu.name), email = coalesce(EXCLUDED.email, cu.email),"
    "     phone = coalesce(EXCLUDED.phone, cu.phone),"
    "     updated_at = CASE WHEN (EXCLUDED.name IS NOT NULL AND EXCLUDED.name IS DISTINCT FROM cu.name)"
    "                         OR (EXCLUDED.email IS NOT NULL AND EXCLUDED.email IS DISTINCT FROM cu.email)"
    "                         OR (EXCLUDED.phone IS NOT NULL AND EXCLUDED.phone IS DISTINCT FROM cu.phone)"
    "                  THEN now() ELSE cu.updated_at END"
    " RETURNING id, external_id, channel),"
    " created AS ("
    " INSERT INTO conversations (customer_id, channel, subject) SELECT id, $3::text, $4::text FROM customer"
    " WHERE NOT EXISTS (SELECT 1 FROM earlier)"
    " RETURNING *)"
    " SELECT " RINGCAST_CONVERSATION_COLUMNS("NULL::text") ", true FROM created c CROSS JOIN customer cu"
    " UNION ALL"
    " SELECT " RINGCAST_CONVERSATION_COLUMNS("s.external_id") ", false"
    " FROM earlier e JOIN conversations c ON c.id = e.conversation_id JOIN customers cu ON cu.id = c.customer_id"
    " LEFT JOIN staff_users s ON s.id = c.assigned_staff_id";

constexpr const char* get_sql =
    "SELECT " RINGCAST_CONVERSATION_COLUMNS("s.external_id")
    " FROM conversations c LEFT JOIN customers cu ON cu.id = c.customer_id"
    " LEFT JOIN staff_users s ON s.id = c.assigned_staff_id WHERE c.id = $1::uuid";

// The customer row, created on first sight: one row, its id.
constexpr const char* ensure_customer_sql =
    "INSERT INTO customers AS cu (channel, external_id, name, email, phone)"
    " VALUES ($1::text, CASE WHEN $1::text = 'email' THEN lower($2::text) ELSE $2::text END, $3::text, $4::text,"
    "         $5::text)"
    " ON CONFLICT (channel, external_id) DO UPDATE SET name = coalesce(EXCLUDED.name, cu.name),"
    "   email = coalesce(EXCLUDED.email, cu.email), phone = coalesce(EXCLUDED.phone, cu.phone)"
    " RETURNING id";

// $4: whether the assignment changes; $5: the new staff sub, NULL to unassign. A staff user seen
// for the first time is created; rows this statement inserts are invisible to its own joins, so
// the sub comes from the parameter when the assignment changed.
constexpr const char* update_sql =
    "WITH staff AS ("
    " INSERT INTO staff_users (external_id) SELECT $5::text WHERE $4::boolean AND $5::text IS NOT NULL"
    " ON CONFLICT (external_id) DO UPDATE SET external_id = EXCLUDED.external_id"
    " RETURNING id),"
    " changed AS ("
    " UPDATE conversations c SET status = coalesce($2::text, c.status),"
    "   priority = coalesce($3::smallint, c.priority),"
    "   assigned_staff_id = CASE WHEN $4::boolean THEN (SELECT id FROM staff) ELSE c.assigned_staff_id END,"
    "   requires_human = coalesce($6::boolean, c.requires_human),"
    "   escalation_reason = CASE WHEN $6::boolean THEN c.escalation_reason WHEN NOT $6::boolean THEN NULL"
    "                       ELSE c.escalation_reason END,"
    "   updated_at = now()"
    " WHERE c.id = $1::uuid RETURNING c.*)"
    " SELECT " RINGCAST_CONVERSATION_COLUMNS("CASE WHEN $4::boolean THEN $5::text ELSE s.external_id END")
    " FROM changed c LEFT JOIN customers cu ON cu.id = c.customer_id"
    " LEFT JOIN staff_users s ON s.id = c.assigned_staff_id";

// $1 viewer type, $2 viewer sub, $3 status or NULL, $4 assigned to me, $5 rows (limit + 1, to know
// whether a next page exists), $6..$8 the cursor or NULLs, $9 'any' / 'none' (assigned to someone,
// to nobody) or NULL, $10 the channel or NULL, $11 requires_human or NULL. The unread count walks the
// (conversation_id, seq) index from the read mark; the viewer's own messages are not unread.
// The cursor compares in timestamp space so the (priority, activity_at DESC, id) indexes apply;
// bigint microseconds times a 1 us interval is exact below 2^53 us (year 2255).
constexpr const char* list_sql =
    "SELECT " RINGCAST_CONVERSATION_COLUMNS("s.external_id") ","
    " CASE WHEN c.last_seq <= coalesce(r.last_read_seq, 0) THEN 0 ELSE"
    "  (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id"
    "   AND m.seq > coalesce(r.last_read_seq, 0) AND NOT (m.sender_type = $1::text AND m.sender_id = $2::text))"
    " END, " RINGCAST_EPOCH_US("c.activity_at") ","
    // What an inbox row shows: the customer's name and the last message (one probe of the
    // (conversation_id, seq) index), its text cut to a preview.
    " cu.name, lm.sender_type, lm.sender_name, left(lm.content, 200)"
    " FROM conversations c LEFT JOIN customers cu ON cu.id = c.customer_id"
    " LEFT JOIN staff_users s ON s.id = c.assigned_staff_id"
    " LEFT JOIN messages lm ON lm.conversation_id = c.id AND lm.seq = c.last_seq"
    " LEFT JOIN read_receipts r"
    "  ON r.conversation_id = c.id AND r.reader_type = $1::text AND r.reader_id = $2::text"
    " WHERE ($1::text = 'staff' OR c.customer_id ="
    "   (SELECT id FROM customers WHERE channel = 'website' AND external_id = $2::text))"
    " AND ($3::text IS NULL OR c.status = $3::text)"
    " AND (NOT $4::boolean OR ($1::text = 'staff' AND c.assigned_staff_id ="
    "   (SELECT id FROM staff_users WHERE external_id = $2::text)))"
    " AND ($9::text IS NULL OR ($9::text = 'none') = (c.assigned_staff_id IS NULL))"
    " AND ($10::text IS NULL OR c.channel = $10::text)"
    " AND ($11::boolean IS NULL OR c.requires_human = $11::boolean)"
    " AND ($6::smallint IS NULL OR c.priority > $6::smallint OR (c.priority = $6::smallint AND"
    "   (c.activity_at < 'epoch'::timestamptz + $7::bigint * interval '1 microsecond' OR"
    "    (c.activity_at = 'epoch'::timestamptz + $7::bigint * interval '1 microsecond' AND c.id > $8::uuid))))"
    " ORDER BY c.priority, c.activity_at DESC, c.id LIMIT $5::integer";

// A staff member's reply claims an unassigned conversation: one row when it did, none otherwise.
constexpr const char* claim_sql =
    "WITH staff AS ("
    " INSERT INTO staff_users (external_id) VALUES ($2::text)"
    " ON CONFLICT (external_id) DO UPDATE SET external_id = EXCLUDED.external_id RETURNING id),"
    " changed AS ("
    " UPDATE conversations c SET assigned_staff_id = (SELECT id FROM staff), updated_at = now()"
    " WHERE c.id = $1::uuid AND c.assigned_staff_id IS NULL RETURNING c.*)"
    " SELECT " RINGCAST_CONVERSATION_COLUMNS("$2::text")
    " FROM changed c LEFT JOIN customers cu ON cu.id = c.customer_id";

// The AI hands the conversation to a human: requires_human with the reason and the answer's
// confidence, one step more urgent (never past 1).
constexpr const char* escalate_sql =
    "WITH changed AS ("
    " UPDATE conversations c SET requires_human = true, escalation_reason = $2::text,"
    "   ai_confidence = $3::real, priority = greatest(1, c.priority - 1), updated_at = now()"
    " WHERE c.id = $1::uuid RETURNING c.*)"
    " SELECT " RINGCAST_CONVERSATION_COLUMNS("s.external_id")
    " FROM changed c LEFT JOIN customers cu ON cu.id = c.customer_id"
    " LEFT JOIN staff_users s ON s.id = c.assigned_staff_id";

// A channel message's conversation, in one statement (the caller's transaction first takes
// lock_channel_customer's lock, so two webhooks of one new customer cannot both open one). The
// customer is found by (channel, external_id), created when missing, renamed when the provider
// names them differently; a known customer with a known conversation writes nothing, so the
// transaction commits without a WAL flush (a flood of webhooks costs reads, not fsyncs).
// Candidates, best first: 1, the conversation that already holds this message (a redelivery
// stores nothing twice there); 2, an e-mail reply's thread, found by the Message-Ids it refers to
// ($6): an earlier mail of this customer, or one of our replies to this customer (the outbound
// delivery keeps the Message-Id it sent, in angle brackets, as the SMTP provider message id of
// outbound_deliveries: `our_replies`); 3, when $7, the customer's newest conversation on the channel that is not
// resolved or closed. None: a new conversation. The last column says whether it was created here.
constexpr const char* open_channel_sql =
    "WITH found AS (SELECT id, external_id, channel, name FROM customers WHERE channel = $1::text AND external_id = $2::text),"
    " added AS ("
    " INSERT INTO customers (channel, external_id, name, email, phone) SELECT $1::text, $2::text, $3::text,"
    "  CASE WHEN $1::text = 'email' THEN $2::text END, CASE WHEN $1::text IN ('sms', 'whatsapp') THEN $2::text END"
    " WHERE NOT EXISTS (SELECT 1 FROM found) ON CONFLICT (channel, external_id) DO NOTHING"
    " RETURNING id, external_id, channel),"
    " renamed AS ("
    " UPDATE customers cu SET name = $3::text, updated_at = now() FROM found"
    " WHERE cu.id = found.id AND $3::text IS NOT NULL AND found.name IS DISTINCT FROM $3::text),"
    " customer AS (SELECT id, external_id, channel FROM found UNION ALL SELECT id, external_id, channel FROM added),"
    " our_replies AS ("
    " SELECT m.conversation_id AS id, m.created_at FROM outbound_deliveries d JOIN messages m ON m.id = d.message_id"
    " JOIN conversations c ON c.id = m.conversation_id"
    " WHERE d.provider = 'smtp'"
    " AND d.provider_message_id IN (SELECT unnest($6::text[]) UNION SELECT btrim(unnest($6::text[]), '<>'))"
    " AND c.customer_id = (SELECT id FROM customer)),"
    " candidates AS ("
    " SELECT 1 AS rank, m.conversation_id AS id, m.created_at FROM messages m"
    "  WHERE m.sender_type = 'customer' AND m.sender_id = $4::text AND m.client_message_id = $5::text"
    " UNION ALL"
    " SELECT 2, m.conversation_id, m.created_at FROM messages m"
    "  WHERE m.sender_type = 'customer' AND m.sender_id = $4::text AND m.client_message_id = ANY($6::text[])"
    " UNION ALL SELECT 2, id, created_at FROM our_replies"
    " UNION ALL"
    " SELECT 3, c.id, c.created_at FROM conversations c"
    "  WHERE $7::boolean AND c.customer_id = (SELECT id FROM customer) AND c.channel = $1::text"
    "  AND c.status NOT IN ('resolved', 'closed')),"
    " chosen AS (SELECT id FROM candidates ORDER BY rank, created_at DESC LIMIT 1),"
    " created AS ("
    " INSERT INTO conversations (customer_id, channel, subject) SELECT id, $1::text, $8::text FROM customer"
    " WHERE NOT EXISTS (SELECT 1 FROM chosen) RETURNING *)"
    " SELECT " RINGCAST_CONVERSATION_COLUMNS("s.external_id") ", false"
    " FROM conversations c JOIN chosen ON chosen.id = c.id CROSS JOIN customer cu"
    " LEFT JOIN staff_users s ON s.id = c.assigned_staff_id"
    " UNION ALL"
    " SELECT " RINGCAST_CONVERSATION_COLUMNS("NULL::text") ", true FROM created c CROSS JOIN customer cu";

#undef RINGCAST_CONVERSATION_COLUMNS
#undef RINGCAST_EPOCH_US

int clamp_limit(int limit) noexcept { return std::clamp(limit, 1, max_list_limit); }

bool parse_conversation_row(const PGresult* res, int i, inbox_conversation& c) {
  return fields::get(res, i, 0, c.id) && fields::get(res, i, 1, c.customer_id) && fields::get(res, i, 2, c.channel) &&
         fields::get(res, i, 3, c.status) && fields::get(res, i, 4, c.priority) &&
         fields::get(res, i, 5, c.assigned_staff_id) && fields::get(res, i, 6, c.requires_human) &&
         fields::get(res, i, 7, c.last_seq) && fields::get(res, i, 8, c.last_message_at_us) &&
         fields::get(res, i, 9, c.created_at_us) && fields::get(res, i, 10, c.subject) &&
         fields::get(res, i, 11, c.escalation_reason) && fields::get(res, i, 12, c.customer_channel);
}

std::optional<std::string> opt(std::optional<int> v) {
  if (!v) return std::nullopt;
  return std::to_string(*v);
}

}  // namespace

bool is_conversation_status(std::string_view s) noexcept {
  return s == "open" || s == "pending" || s == "resolved" || s == "closed";
}

bool is_channel(std::string_view s) noexcept {
  return s == "website" || s == "whatsapp" || s == "instagram" || s == "email" || s == "sms";
}

query create_conversation(std::string_view customer_sub, const std::optional<std::string>& customer_name,
                          std::string_view channel, const std::optional<std::string>& subject,
                          const std::optional<first_message_key>& first) {
  return open_conversation(customer_key{"website", std::string(customer_sub)}, {customer_name, {}, {}}, channel, subject,
                           first);
}

query open_conversation(const customer_key& customer, const customer_details& details, std::string_view channel,
                        const std::optional<std::string>& subject, const std::optional<first_message_key>& first) {
  auto part = [&](std::string first_message_key::*field) {
    return first ? std::optional<std::string>((*first).*field) : std::nullopt;
  };
  return {create_sql,
          {{customer.external_id, details.name, std::string(channel), subject, customer.channel, details.email,
            details.phone, part(&first_message_key::sender_type), part(&first_message_key::sender_id),
            part(&first_message_key::client_message_id)}}};
}

query ensure_customer(const customer_key& customer, const customer_details& details) {
  return {ensure_customer_sql, {{customer.channel, customer.external_id, details.name, details.email, details.phone}}};
}

query get_conversation(std::string_view conversation_id) {
  return {get_sql, {{std::string(conversation_id)}}};
}

query update_conversation(std::string_view conversation_id, const conversation_change& change) {
  const bool assign = change.assigned_staff.has_value();
  return {update_sql,
          {{std::string(conversation_id), change.status, opt(change.priority), std::string(assign ? "t" : "f"),
            assign ? *change.assigned_staff : std::nullopt,
            change.requires_human ? std::optional<std::string>(*change.requires_human ? "t" : "f") : std::nullopt}}};
}

query claim_conversation(std::string_view conversation_id, std::string_view staff_sub) {
  return {claim_sql, {{std::string(conversation_id), std::string(staff_sub)}}};
}

query escalate_conversation(std::string_view conversation_id, std::string_view reason, std::optional<float> confidence) {
  return {escalate_sql,
          {{std::string(conversation_id), std::string(reason),
            confidence ? std::optional<std::string>(std::to_string(*confidence)) : std::nullopt}}};
}

std::optional<std::vector<inbox_conversation>> parse_inbox_conversations(const PGresult* res) {
  if (!fields::has_shape(res, conversation_columns)) return std::nullopt;
  std::vector<inbox_conversation> out(static_cast<std::size_t>(PQntuples(res)));
  for (int i = 0; i < PQntuples(res); ++i)
    if (!parse_conversation_row(res, i, out[static_cast<std::size_t>(i)])) return std::nullopt;
  return out;
}

query lock_channel_customer(std::string_view sender_id) {
  return {"SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))", {{std::string(sender_id)}}};
}

query open_channel_conversation(const channel_conversation& m) {
  std::optional<std::string> refs;
  if (!m.thread_refs.empty()) {
    array_literal a;
    for (const auto& r : m.thread_refs) a.text(r);
    refs = a.take();
  }
  return {open_channel_sql,
          {{m.channel, m.external_id, m.customer_name, m.sender_id, m.client_message_id, std::move(refs),
            std::string(m.join_open ? "t" : "f"), m.subject}}};
}

std::optional<opened_conversation> parse_opened_conversation(const PGresult* res) {
  if (!fields::has_shape(res, conversation_columns + 1) || PQntuples(res) != 1) return std::nullopt;
  opened_conversation out;
  if (!parse_conversation_row(res, 0, out.conversation) || !fields::get(res, 0, conversation_columns, out.created))
    return std::nullopt;
  return out;
}

std::string to_string(const conversation_cursor& c) {
  return std::to_string(c.priority) + "." + std::to_string(c.activity_at_us) + "." + c.id;
}

std::optional<conversation_cursor> parse_cursor(std::string_view s) {
  // "<priority 1..5>.<microseconds>.<uuid>"
  if (s.size() < 2 + 1 + 1 + 36 || s[0] < '1' || s[0] > '5' || s[1] != '.') return std::nullopt;
  conversation_cursor c;
  c.priority = s[0] - '0';
  auto rest = s.substr(2);
  auto dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  if (!fields::parse_int(rest.substr(0, dot), c.activity_at_us)) return std::nullopt;
  auto id = rest.substr(dot + 1);
  if (!is_uuid(id)) return std::nullopt;
  c.id.assign(id);
  return c;
}

query list_conversations(reader_type viewer, std::string_view viewer_sub, const conversation_filter& filter) {
  query q{list_sql,
          {{std::string(to_string(viewer)), std::string(viewer_sub), filter.status,
            std::string(filter.assigned_to_me ? "t" : "f"), std::to_string(clamp_limit(filter.limit) + 1)}}};
  if (filter.after) {
    q.params.values.push_back(std::to_string(filter.after->priority));
    q.params.values.push_back(std::to_string(filter.after->activity_at_us));
    q.params.values.push_back(filter.after->id);
  } else {
    q.params.values.insert(q.params.values.end(), 3, std::nullopt);
  }
  std::optional<std::string> assigned;
  if (filter.assigned) assigned = *filter.assigned ? "any" : "none";
  q.params.values.push_back(std::move(assigned));
  q.params.values.push_back(filter.channel);
  q.params.values.push_back(filter.requires_human ? std::optional<std::string>(*filter.requires_human ? "t" : "f")
                                                  : std::nullopt);
  return q;
}

std::optional<conversation_page> parse_conversation_page(const PGresult* res, int limit) {
  if (!fields::has_shape(res, conversation_columns + 6)) return std::nullopt;
  const int rows = PQntuples(res);
  const int shown = std::min(rows, clamp_limit(limit));
  conversation_page page;
  page.conversations.resize(static_cast<std::size_t>(shown));
  std::int64_t activity_us = 0;
  for (int i = 0; i < shown; ++i) {
    auto& c = page.conversations[static_cast<std::size_t>(i)];
    if (!parse_conversation_row(res, i, c) || !fields::get(res, i, conversation_columns, c.unread) ||
        !fields::get(res, i, conversation_columns + 1, activity_us) ||
        !fields::get(res, i, conversation_columns + 2, c.customer_name))
      return std::nullopt;
    std::optional<std::string> sender_type;
    if (!fields::get(res, i, conversation_columns + 3, sender_type)) return std::nullopt;
    if (sender_type) {
      c.last_message.emplace();
      c.last_message->sender_type = std::move(*sender_type);
      if (!fields::get(res, i, conversation_columns + 4, c.last_message->sender_name) ||
          !fields::get(res, i, conversation_columns + 5, c.last_message->preview))
        return std::nullopt;
    }
  }
  if (rows > shown && shown > 0) {
    const auto& last = page.conversations.back();
    page.next_cursor = to_string(conversation_cursor{last.priority, activity_us, last.id});
  }
  return page;
}

}  // namespace ringcast::persistence
