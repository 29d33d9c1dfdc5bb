#pragma once
// The inbox event API's conversation statements: create, get, update and the viewer's list with a
// keyset cursor, and their parsers. Identities are JWT subjects: a customer is the website
// customer whose external_id is the sub, a staff user the one whose external_id is the sub; both
// are created on first sight. Authorization stays in the broker: get() returns the customer's sub
// so the broker can check it before acting; only the list filters by viewer, because it must.
//
// Statements follow queries.h: SQL text, text parameters (cast in the SQL), text results,
// timestamps as microseconds since the Unix epoch. Parameters the SQL casts to uuid, status and
// priority must be valid (is_uuid in queries.h, is_conversation_status, priority 1..5): a bad cast or a check
// violation fails the statement, and in a pipeline the units behind it come back aborted.
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/queries.h"

namespace ringcast::persistence {

// open | pending | resolved | closed
bool is_conversation_status(std::string_view s) noexcept;
// website | whatsapp | instagram | email | sms
bool is_channel(std::string_view s) noexcept;

// The conversation object of the event API.
struct inbox_conversation {
  std::string id;
  // A website customer's external id (their JWT sub), "<channel>:<external id>" for the others;
  // none for bench rooms.
  std::optional<std::string> customer_id;
  std::string channel;
  std::string status;
  int priority = 3;
  std::optional<std::string> assigned_staff_id;  // the staff user's sub; none when unassigned
  bool requires_human = false;
  std::int64_t last_seq = 0;
  std::optional<std::int64_t> last_message_at_us;
  std::int64_t created_at_us = 0;
  std::optional<std::string> subject;
  // Why the AI handed it to a human (low_confidence, complaint, customer_request, ai_timeout, ...).
  std::optional<std::string> escalation_reason;
  // The customer's channel: only a "website" customer is the customer of a token whose sub matches.
  std::optional<std::string> customer_channel;
  // Lists only (conversation_page): messages from others above the viewer's read mark, the
  // customer's name, and the last message (its first 200 characters) when there is one.
  std::int64_t unread = 0;
  std::optional<std::string> customer_name;
  struct message_preview {
    std::string sender_type;
    std::optional<std::string> sender_name;
    std::string preview;
  };
  std::optional<message_preview> last_message;
};

// The first message a create stores, by its idempotency key: a create whose sender already stored
// this client id in a conversation of the same customer and channel is a retry.
struct first_message_key {
  std::string sender_type;
  std::string sender_id;
  std::string client_message_id;
};

// Creates a conversation for the website customer `customer_sub` (created on first sight with
// `customer_name`; a later non-null name replaces the stored one). One row (parse_opened_conversation):
// the new conversation with created = true, or, for a retry (`first` names a message already
// stored), the conversation of that message with created = false.
query create_conversation(std::string_view customer_sub, const std::optional<std::string>& customer_name,
                          std::string_view channel, const std::optional<std::string>& subject,
                          const std::optional<first_message_key>& first = std::nullopt);

// A customers row: (website, JWT sub), (whatsapp|sms, E.164 phone), (instagram, IGSID),
// (email, lower(address)): the statements apply PostgreSQL's lower() to an email key themselves.
struct customer_key {
  std::string channel;
  std::string external_id;
};
// Filled in (never cleared) on the row when given.
struct customer_details {
  std::optional<std::string> name, email, phone;
};
// The same as create_conversation for any customer, found or created by `customer`. One row.
query open_conversation(const customer_key& customer, const customer_details& details, std::string_view channel,
                        const std::optional<std::string>& subject,
                        const std::optional<first_message_key>& first = std::nullopt);
// Finds or creates the customer: one row, its id.
query ensure_customer(const customer_key& customer, const customer_details& details);

// The conversation by id: one row, or none when there is no such conversation.
query get_conversation(std::string_view conversation_id);

// What update_conversation changes; unset fields stay as they are.
struct conversation_change {
  std::optional<std::string> status;
  std::optional<int> priority;
  // Set: assign to this staff sub (created on first sight), or unassign when the inner is empty.
  std::optional<std::optional<std::string>> assigned_staff;
  // Set: requires a human or not; false also clears the escalation reason (the AI may answer again).
  std::optional<bool> requires_human;
};
// Applies the change: one row (the conversation afterwards), or none when there is no such
// conversation.
query update_conversation(std::string_view conversation_id, const conversation_change& change);

// Assigns the conversation to `staff_sub` (created on first sight) if nobody has it: one row (the
// conversation afterwards) when it did, none when it was assigned already or does not exist.
query claim_conversation(std::string_view conversation_id, std::string_view staff_sub);

// The AI hands the conversation to a human: requires_human, the reason, the answer's confidence,
// priority one step more urgent. One row (the conversation afterwards), or none.
query escalate_conversation(std::string_view conversation_id, std::string_view reason, std::optional<float> confidence);

// The rows of get_conversation and update_conversation; nullopt when the
// result is not that shape (a failed statement included).
std::optional<std::vector<inbox_conversation>> parse_inbox_conversations(const PGresult* res);

// ---- channel messages (webhooks) ----

// Who wrote on a channel and what their message refers to.
struct channel_conversation {
  std::string channel;      // whatsapp | sms | instagram | email
  std::string external_id;  // the customer on that channel: E.164 phone, IGSID, lower-cased address
  std::optional<std::string> customer_name;  // replaces the stored name when set
  std::string sender_id;          // the message's sender_id: "<channel>:<external_id>"
  std::string client_message_id;  // the provider's message id
  std::vector<std::string> thread_refs;  // e-mail: In-Reply-To and References Message-Ids
  bool join_open = true;  // false: no thread found opens a new conversation (e-mail)
  std::optional<std::string> subject;  // of a conversation opened here
};

// Serializes the find-or-create of one channel customer's conversation (a transaction-scoped
// advisory lock on the sender id): run it before open_channel_conversation in one transaction.
query lock_channel_customer(std::string_view sender_id);
// Finds or creates the customer and the conversation the message belongs to (inbox_conversations.cc
// says the order of the candidates). One row.
query open_channel_conversation(const channel_conversation& m);

struct opened_conversation {
  inbox_conversation conversation;
  bool created = false;
};
std::optional<opened_conversation> parse_opened_conversation(const PGresult* res);

// ---- the viewer's list ----

inline constexpr int max_list_limit = 100;

// Where a page ended: the last row's sort key. Opaque to clients (to_string / parse_cursor).
struct conversation_cursor {
  int priority = 3;
  std::int64_t activity_at_us = 0;
  std::string id;
};
std::string to_string(const conversation_cursor& c);
// nullopt for anything to_string did not produce (the string comes from a client).
std::optional<conversation_cursor> parse_cursor(std::string_view s);

struct conversation_filter {
  std::optional<std::string> status;  // a valid status, or every status
  bool assigned_to_me = false;        // staff only: assigned to the viewer (a customer sees none)
  std::optional<bool> assigned;       // assigned to someone (true) or to nobody (false)
  std::optional<std::string> channel;  // a valid channel
  std::optional<bool> requires_human;
  int limit = 50;                     // clamped to 1..max_list_limit
  std::optional<conversation_cursor> after;
};

// A customer sees the conversations whose customer is their sub, staff see all; most urgent
// (priority 1) first, then most recent activity (last message, else creation), then id. Each row
// carries the viewer's unread count.
query list_conversations(reader_type viewer, std::string_view viewer_sub, const conversation_filter& filter);

struct conversation_page {
  std::vector<inbox_conversation> conversations;
  std::optional<std::string> next_cursor;  // set when more rows follow
};
// `limit`: the filter's limit as given to list_conversations (clamped the same way).
std::optional<conversation_page> parse_conversation_page(const PGresult* res, int limit);

}  // namespace ringcast::persistence
