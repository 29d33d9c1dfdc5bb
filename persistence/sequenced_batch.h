#pragma once
// The group-commit statements of the batch writer. PostgreSQL numbers the new messages of each
// conversation from conversations.last_seq, in the order the owner shard submitted them, inside
// the same transaction that stores them. A retried send (same sender and client message id) gets
// the stored row back and consumes no number, so seq stays gap-free and duplicate-free even when
// a broker restarts between a commit and its ack.
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "persistence/pg_connection.h"

namespace ringcast::persistence {

struct persist_row {
  std::string conversation;  // the conversation's external key (created on first use)
  std::string sender_type;   // customer | staff | ai | system
  std::string sender_id;
  std::string client_message_id;
  std::string content;
};

struct persist_answer {
  std::string id;
  std::int64_t seq = 0;
  std::int64_t created_at_us = 0;
  bool duplicate = false;  // stored by an earlier send with the same client message id
};

// Two statements for one transaction: create the conversations first seen, then store the rows.
std::vector<pg_statement> sequenced_batch(std::span<const persist_row> rows);

// One answer per row, in row order; nullopt if the result does not have that shape.
std::optional<std::vector<persist_answer>> parse_sequenced_batch(const PGresult* res, std::size_t rows);

}  // namespace ringcast::persistence
