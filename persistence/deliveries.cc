#include "persistence/deliveries.h"

#include "persistence/result_fields.h"

namespace ringcast::persistence {
namespace {

// The recipient is the customer's id on the conversation's channel (customers are keyed by
// (channel, external_id): an E.164 phone, an IGSID or a lower-cased address), else the phone or
// e-mail column of a customer known from elsewhere. reply_to (e-mail only): the customer's last
// message before this one (its client id is the mail's Message-Id).
constexpr const char* claim_sql = R"sql(
UPDATE outbound_deliveries d SET status = 'sending', attempts = d.attempts + 1, updated_at = now()
FROM messages m JOIN conversations c ON c.id = m.conversation_id LEFT JOIN customers cu ON cu.id = c.customer_id
WHERE d.id = $1::bigint AND d.status = 'pending' AND m.id = d.message_id
RETURNING d.id, d.conversation_id, m.seq, m.id, d.channel,
  coalesce(CASE WHEN cu.channel = d.channel THEN cu.external_id END,
           CASE d.channel WHEN 'email' THEN lower(cu.email) WHEN 'instagram' THEN NULL ELSE cu.phone END),
  m.content, c.subject,
  CASE WHEN d.channel = 'email' THEN
    (SELECT p.client_message_id FROM messages p WHERE p.conversation_id = d.conversation_id
       AND p.sender_type = 'customer' AND p.seq < m.seq ORDER BY p.seq DESC LIMIT 1) END,
  cu.name, d.attempts
)sql";

#define RINGCAST_DELIVERY_CHANGE_COLUMNS \
  " d.id, d.conversation_id, m.seq, m.id, d.channel, d.status, d.provider, d.provider_message_id, d.error, d.attempts"

constexpr const char* finish_sql =
    "UPDATE outbound_deliveries d SET status = $2::text, provider = coalesce($3::text, d.provider),"
    " provider_message_id = coalesce($4::text, d.provider_message_id), error = $5::text,"
    " next_attempt_at = CASE WHEN $2::text = 'pending' THEN now() + $6::bigint * interval '1 millisecond'"
    "   ELSE d.next_attempt_at END,"
    " sent_at = CASE WHEN $2::text = 'sent' THEN now() ELSE d.sent_at END, updated_at = now()"
    " FROM messages m WHERE d.id = $1::bigint AND d.status = 'sending' AND m.id = d.message_id"
    " RETURNING" RINGCAST_DELIVERY_CHANGE_COLUMNS;

// The states each status may be reached from: forward only.
#define RINGCAST_DELIVERY_FORWARD                                                                  \
  " AND d.status = ANY (CASE $3::text WHEN 'delivered' THEN ARRAY['sent'] WHEN 'read' THEN"        \
  " ARRAY['sent', 'delivered'] WHEN 'failed' THEN ARRAY['sent'] ELSE ARRAY[]::text[] END)"

constexpr const char* status_sql =
    "UPDATE outbound_deliveries d SET status = $3::text, error = coalesce($4::text, d.error), updated_at = now()"
    " FROM messages m WHERE d.provider = $1::text AND d.provider_message_id = $2::text AND m.id = d.message_id"
    RINGCAST_DELIVERY_FORWARD " RETURNING" RINGCAST_DELIVERY_CHANGE_COLUMNS;

constexpr const char* watermark_sql =
    "UPDATE outbound_deliveries d SET status = $3::text, updated_at = now()"
    " FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN customers cu ON cu.id = c.customer_id"
    " WHERE d.provider = $1::text AND m.id = d.message_id AND cu.channel = d.channel AND cu.external_id = $2::text"
    " AND d.sent_at <= to_timestamp($4::bigint / 1000.0)" RINGCAST_DELIVERY_FORWARD
    " RETURNING" RINGCAST_DELIVERY_CHANGE_COLUMNS;

#undef RINGCAST_DELIVERY_FORWARD
#undef RINGCAST_DELIVERY_CHANGE_COLUMNS

constexpr const char* interrupt_sql =
    "UPDATE outbound_deliveries SET status = 'failed', updated_at = now(),"
    " error = 'interrupted: the broker stopped while the provider was being called; not sent again, since it may"
    " have been delivered' WHERE status = 'sending' RETURNING id";

constexpr const char* open_sql =
    "SELECT id, conversation_id, greatest(0, (extract(epoch FROM (next_attempt_at - now())) * 1000)::bigint)"
    " FROM outbound_deliveries WHERE status = 'pending' ORDER BY next_attempt_at, id";

}  // namespace

query claim_delivery(std::int64_t id) { return {claim_sql, {{std::to_string(id)}}}; }

std::optional<std::vector<claimed_delivery>> parse_claimed_delivery(const PGresult* res) {
  if (!fields::has_shape(res, 11)) return std::nullopt;
  std::vector<claimed_delivery> out(static_cast<std::size_t>(PQntuples(res)));
  for (int i = 0; i < PQntuples(res); ++i) {
    auto& d = out[static_cast<std::size_t>(i)];
    if (!fields::get(res, i, 0, d.id) || !fields::get(res, i, 1, d.conversation) || !fields::get(res, i, 2, d.seq) ||
        !fields::get(res, i, 3, d.message_id) || !fields::get(res, i, 4, d.channel) ||
        !fields::get(res, i, 5, d.recipient) || !fields::get(res, i, 6, d.content) ||
        !fields::get(res, i, 7, d.subject) || !fields::get(res, i, 8, d.reply_to) ||
        !fields::get(res, i, 9, d.customer_name) || !fields::get(res, i, 10, d.attempts))
      return std::nullopt;
  }
  return out;
}

std::optional<std::vector<delivery_change>> parse_delivery_changes(const PGresult* res) {
  if (!fields::has_shape(res, 10)) return std::nullopt;
  std::vector<delivery_change> out(static_cast<std::size_t>(PQntuples(res)));
  for (int i = 0; i < PQntuples(res); ++i) {
    auto& d = out[static_cast<std::size_t>(i)];
    if (!fields::get(res, i, 0, d.id) || !fields::get(res, i, 1, d.conversation) || !fields::get(res, i, 2, d.seq) ||
        !fields::get(res, i, 3, d.message_id) || !fields::get(res, i, 4, d.channel) ||
        !fields::get(res, i, 5, d.status) || !fields::get(res, i, 6, d.provider) ||
        !fields::get(res, i, 7, d.provider_message_id) || !fields::get(res, i, 8, d.error) ||
        !fields::get(res, i, 9, d.attempts))
      return std::nullopt;
  }
  return out;
}

query finish_attempt(std::int64_t id, const attempt_outcome& o) {
  return {finish_sql,
          {{std::to_string(id), o.status, o.provider, o.provider_message_id, o.error,
            std::to_string(o.retry_after_ms)}}};
}

query provider_status(std::string_view provider, std::string_view provider_message_id, std::string_view status,
                      const std::optional<std::string>& error) {
  return {status_sql, {{std::string(provider), std::string(provider_message_id), std::string(status), error}}};
}

query provider_status_by_watermark(std::string_view provider, std::string_view recipient, std::string_view status,
                                   std::int64_t watermark_ms) {
  return {watermark_sql,
          {{std::string(provider), std::string(recipient), std::string(status), std::to_string(watermark_ms)}}};
}

query interrupt_sending_deliveries() { return {interrupt_sql, {}}; }

query open_deliveries() { return {open_sql, {}}; }

std::optional<std::vector<open_delivery>> parse_open_deliveries(const PGresult* res) {
  if (!fields::has_shape(res, 3)) return std::nullopt;
  std::vector<open_delivery> out(static_cast<std::size_t>(PQntuples(res)));
  for (int i = 0; i < PQntuples(res); ++i) {
    auto& d = out[static_cast<std::size_t>(i)];
    if (!fields::get(res, i, 0, d.id) || !fields::get(res, i, 1, d.conversation) || !fields::get(res, i, 2, d.due_in_ms))
      return std::nullopt;
  }
  return out;
}

}  // namespace ringcast::persistence
