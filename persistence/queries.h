#pragma once
// The conversation, history and receipt statements, as SQL text plus text-format parameters, and
// the parsers that turn their results into structs. The group-commit insert of messages is in
// sequenced_batch.h. Nothing here knows how a statement is sent (blocking, pipelined, on which
// ring); pg_connection and batch_writer do that.
//
// All parameters are text format (PQsendQueryParams with paramTypes, paramLengths and
// paramFormats NULL, resultFormat 0): every placeholder carries an explicit cast in the SQL.
// Timestamps come back as microseconds since the Unix epoch.
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::persistence {

// Parameters in text format; nullopt is SQL NULL.
struct query_params {
  std::vector<std::optional<std::string>> values;

  int count() const noexcept { return static_cast<int>(values.size()); }
  // The paramValues array for libpq; valid while `values` is unchanged.
  std::vector<const char*> pointers() const;
};

struct query {
  const char* sql;  // static storage, NUL-terminated
  query_params params;
};

// The canonical 8-4-12 hex form (either case), which PostgreSQL's uuid input accepts. Check ids
// from clients with it: a failed cast fails the statement (and, pipelined, the units behind it).
bool is_uuid(std::string_view s) noexcept;

enum class sender_type : unsigned char { customer, staff, ai, system };
std::string_view to_string(sender_type t) noexcept;
std::optional<sender_type> parse_sender_type(std::string_view s) noexcept;

// Who reads (receipts, unread counts): the two kinds of people in a conversation.
enum class reader_type : unsigned char { customer, staff };
std::string_view to_string(reader_type t) noexcept;

// ---- conversations ----

// Finds the conversation named `external_key` or creates it (status open, channel website,
// priority 3). Always one row, even when two brokers race: id, last_seq, created.
query find_or_create_conversation(std::string_view external_key);

struct conversation_ref {
  std::string id;
  std::int64_t last_seq = 0;
  bool created = false;
};
std::optional<conversation_ref> parse_conversation_ref(const PGresult* res);

// Conversations in `status`, most urgent (priority 1) first, then most recently active.
query conversation_list(std::string_view status, int limit);

struct conversation_summary {
  std::string id;
  std::optional<std::string> external_key;
  std::optional<std::string> customer_id;
  std::optional<std::string> assigned_staff_id;
  std::string channel;
  std::string status;
  int priority = 3;
  bool requires_human = false;
  std::optional<float> ai_confidence;
  std::optional<std::string> escalation_reason;
  std::int64_t last_seq = 0;
  std::int64_t created_at_us = 0;
  std::int64_t updated_at_us = 0;
};
std::optional<std::vector<conversation_summary>> parse_conversation_list(const PGresult* res);

// ---- history ----

// Messages with from_seq <= seq <= to_seq, oldest first, at most `limit`.
query history_range(std::string_view conversation_id, std::int64_t from_seq, std::int64_t to_seq,
                    int limit);
// The newest `n` messages, returned oldest first.
query history_newest(std::string_view conversation_id, int n);

struct message_record {
  std::string id;
  std::string conversation_id;
  std::int64_t seq = 0;
  persistence::sender_type sender_type = persistence::sender_type::customer;
  std::string sender_id;
  std::optional<std::string> sender_name;
  std::string content;
  std::optional<std::string> client_message_id;
  std::optional<std::string> attachments_json;  // as jsonb prints it (normalized)
  std::optional<float> confidence;
  std::optional<std::int32_t> processing_time_ms;
  std::optional<std::string> intent;
  std::int64_t created_at_us = 0;
  // A staff or AI message in a channel conversation: its outbound delivery's status (pending,
  // sending, sent, delivered, read, failed) and, when failed, why. None for other messages.
  std::optional<std::string> delivery_status;
  std::optional<std::string> delivery_error;
};
std::optional<std::vector<message_record>> parse_history(const PGresult* res);

// A page of history and whether more messages lie beyond it.
struct history_page {
  std::vector<message_record> messages;  // oldest first
  bool more = false;
};

// Replay after a reconnect: messages with seq > since_seq, oldest first, history_since_page at a
// time; `more` says to ask again from the last seq returned.
inline constexpr int history_since_page = 500;
query history_since(std::string_view conversation_id, std::int64_t since_seq);
std::optional<history_page> parse_history_since(const PGresult* res);

// Scrolling back: the newest `limit` (clamped to 1..history_before_max) messages with
// seq < before_seq, or the newest of all without before_seq, returned oldest first; `more` says
// older ones exist.
inline constexpr int history_before_max = 100;
query history_before(std::string_view conversation_id, std::optional<std::int64_t> before_seq, int limit);
std::optional<history_page> parse_history_before(const PGresult* res, int limit);

// ---- read receipts and unread counts ----

// Moves the reader's read mark forward to `seq` (never backwards).
query mark_read(std::string_view conversation_id, reader_type reader, std::string_view reader_id,
                std::int64_t seq);

// Per listed conversation: the reader's read mark, the conversation's last_seq and how many
// messages after the mark were sent by someone else. Conversations that do not exist are left out.
query unread_counts(reader_type reader, std::string_view reader_id,
                    std::span<const std::string> conversation_ids);

struct unread_count {
  std::string conversation_id;
  std::int64_t last_read_seq = 0;
  std::int64_t last_seq = 0;
  std::int64_t unread = 0;
};
std::optional<std::vector<unread_count>> parse_unread_counts(const PGresult* res);

}  // namespace ringcast::persistence
