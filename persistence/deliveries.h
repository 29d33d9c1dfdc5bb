#pragma once
// The outbound deliveries' statements (the outbox of replies to channel customers). Rows are
// created with their messages by the group-commit statement (sequenced_batch.h). The delivery
// threads claim a row (pending -> sending) before calling the provider and finish the attempt
// with its outcome; the provider's status callbacks move a sent row forward only
// (sent -> delivered -> read; sent -> failed). Conventions as in queries.h.
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/queries.h"

namespace ringcast::persistence {

// Claims a pending delivery for one attempt: status sending, attempts + 1. No row when it is not
// pending (claimed by another thread, finished, or gone). The row has what the provider needs.
query claim_delivery(std::int64_t id);
struct claimed_delivery {
  std::int64_t id = 0;
  std::string conversation;
  std::int64_t seq = 0;
  std::string message_id;
  std::string channel;                  // whatsapp | sms | instagram | email
  std::optional<std::string> recipient; // the customer's address on the channel (none: cannot send)
  std::string content;
  std::optional<std::string> subject;   // the conversation's
  std::optional<std::string> reply_to;  // email only: the customer's last message's client id (its Message-Id)
  std::optional<std::string> customer_name;
  int attempts = 0;                     // this one included
};
std::optional<std::vector<claimed_delivery>> parse_claimed_delivery(const PGresult* res);

// What became of one delivery, as a status change for the staff sockets.
struct delivery_change {
  std::int64_t id = 0;
  std::string conversation;
  std::int64_t seq = 0;
  std::string message_id;
  std::string channel;
  std::string status;  // pending (a retry is due) | sent | delivered | read | failed
  std::optional<std::string> provider;
  std::optional<std::string> provider_message_id;
  std::optional<std::string> error;
  int attempts = 0;
};
// The rows of finish_attempt and the status statements.
std::optional<std::vector<delivery_change>> parse_delivery_changes(const PGresult* res);

// Ends a claimed attempt: `status` sent (with the provider and its message id), pending (another
// attempt after `retry_after_ms`, the reason kept in error) or failed (the reason). No row if
// the delivery was not sending.
struct attempt_outcome {
  std::string status;
  std::optional<std::string> provider;
  std::optional<std::string> provider_message_id;
  std::optional<std::string> error;
  std::int64_t retry_after_ms = 0;
};
query finish_attempt(std::int64_t id, const attempt_outcome& o);

// A provider's status callback for its message id: delivered, read or failed (with the reason).
// Only forward: delivered from sent; read from sent or delivered; failed from sent. A row per
// delivery that moved (none for a late or repeated status, or an unknown id).
query provider_status(std::string_view provider, std::string_view provider_message_id, std::string_view status,
                      const std::optional<std::string>& error = std::nullopt);
// Instagram's watermarks: every delivery sent to `recipient` (an IGSID) at or before
// `watermark_ms` (Unix milliseconds) is delivered / read. Forward only, as above.
query provider_status_by_watermark(std::string_view provider, std::string_view recipient, std::string_view status,
                                   std::int64_t watermark_ms);

// At start, before any claim: deliveries a crash left sending. Whether the provider got them is
// unknown, and sending again could deliver twice, so they are failed with the reason
// "interrupted". The rows that changed.
query interrupt_sending_deliveries();

// Every pending delivery, soonest first: id, conversation, milliseconds until its next attempt
// (0 when due).
query open_deliveries();
struct open_delivery {
  std::int64_t id = 0;
  std::string conversation;
  std::int64_t due_in_ms = 0;
};
std::optional<std::vector<open_delivery>> parse_open_deliveries(const PGresult* res);

}  // namespace ringcast::persistence
