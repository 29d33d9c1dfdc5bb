#pragma once
// The group-commit statements of the batch writer. PostgreSQL numbers the new messages of each
// conversation from conversations.last_seq, in the order the owner shard submitted them, inside
// the same transaction that stores them. A retried send (same sender and client message id) gets
// the stored row back and consumes no number, so seq stays gap-free and duplicate-free even when
// a broker restarts between a commit and its ack.
#include <libpq-fe.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/pg_connection.h"

namespace ringcast::persistence {

// How persist_row::conversation names the conversation.
enum class conversation_key : std::uint8_t {
  external_key,  // a client-chosen name (the bench profile's rooms), created on first use
  id,            // the conversation's uuid (the inbox); it must exist, or the row fails (23503)
};

// What an AI reply carries beyond an ordinary message, and the job it completes (in the same
// transaction that stores it, so a job is finished exactly when its reply exists).
struct ai_reply {
  float confidence = 0;
  std::string intent;
  std::int32_t processing_time_ms = 0;
  std::int64_t job_id = 0;
  std::string outcome;  // answered | escalated | fallback | failed
  std::int32_t response_ms = 0;  // the customer's commit to this reply's submit
};

struct persist_row {
  std::string conversation;  // per `key`
  std::string sender_type;   // customer | staff | ai | system
  std::string sender_id;
  std::string client_message_id;
  std::string content;
  std::optional<std::string> sender_name;       // the display name when sent
  std::optional<std::string> attachments_json;  // one JSON value (stored as jsonb); valid JSON
                                                // without \u0000, which jsonb refuses
  conversation_key key = conversation_key::external_key;
  // A customer's message that the AI should answer: an ai_jobs row is created with it when its
  // conversation (by id) has no assigned staff and does not require a human. `urgent` makes the
  // job's priority 1 instead of the conversation's.
  bool wants_ai = false;
  bool urgent = false;
  std::optional<ai_reply> ai;  // sender_type "ai" only
};

struct persist_answer {
  std::string id;
  std::int64_t seq = 0;
  std::int64_t created_at_us = 0;
  bool duplicate = false;  // stored by an earlier send with the same client message id
  // The sender's client message id is already taken in another conversation: nothing was stored,
  // and id/seq/created_at name that other row (the caller must not hand them to the client).
  bool conflict = false;
  // The AI job created with this message (wants_ai and the conversation had no human), or 0.
  std::int64_t ai_job = 0;
  int ai_priority = 0;
  // The outbound delivery created with this message (a staff or AI message in a channel
  // conversation: whatsapp, sms, instagram or email), or 0.
  std::int64_t delivery = 0;
  // The conversation's people when the batch committed (JWT subs), for the unread push: its
  // customer (its JWT sub; none unless a website customer, whom a token names), and its assigned
  // staff user (none when unassigned).
  std::optional<std::string> customer;
  std::optional<std::string> assigned_staff;
};

// The longest conversation, sender_id and client_message_id validate() accepts: they are keys of
// unique btree indexes, whose entries may not exceed 2704 bytes (sender_type, sender_id and
// client_message_id share one entry), and random text does not compress.
inline constexpr std::size_t max_key_bytes = 1024;

// Why the database would refuse this row's shape, or empty when it is acceptable: sender_type
// one of the four kinds, the key fields at most max_key_bytes, conversation and
// client_message_id non-empty, a conversation id a uuid (the schema would take an empty client id, but it would make every
// later send of that sender a "retry" of the first). One bad row fails its whole batch (the
// writer then sends each row alone and only the bad one fails), so the broker checks each row
// before it joins one. Text encoding is not checked here: every field must also be UTF-8 without
// NUL, which the broker checks with its protocol layer's validator (broker/persist_event.h),
// keeping this layer free of protocol code.
std::string_view validate(const persist_row& row) noexcept;

// The statements of one transaction (it must be one: the first is a SET LOCAL): create the
// conversations first seen (by external key; left out when no row names one), then store the
// rows, moving each conversation's last_seq and last_message_at. The last statement's result is
// the answer.
// A new AI job's deadline_at is now() + ai_deadline (only read at restart: the running broker
// keeps its own timer).
std::vector<pg_statement> sequenced_batch(std::span<const persist_row* const> rows,
                                          std::chrono::milliseconds ai_deadline = std::chrono::milliseconds(5500));
std::vector<pg_statement> sequenced_batch(std::span<const persist_row> rows,
                                          std::chrono::milliseconds ai_deadline = std::chrono::milliseconds(5500));

// One answer per row of the batch sequenced_batch() was given, in row order; nullopt if the
// result does not have that shape. A row whose client id came earlier in the same batch gets
// that row's answer with duplicate = true (and conflict = true when that row is in another
// conversation); it was not sent.
std::optional<std::vector<persist_answer>> parse_sequenced_batch(const PGresult* res,
                                                                 std::span<const persist_row* const> rows);
std::optional<std::vector<persist_answer>> parse_sequenced_batch(const PGresult* res, std::span<const persist_row> rows);

}  // namespace ringcast::persistence
