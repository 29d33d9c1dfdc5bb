#pragma once
// The inbox operations that the Socket.IO events (inbox_namespace.cc) and the REST API
// (broker/rest/) share, free of any transport: each takes an identity, its arguments as a JSON
// object (an event's payload; REST builds the same object from the path, the query and the body),
// and a completion that gets either the result object or an error {code, message, retryAfterMs}.
// Here are the validation, the access checks, the database statements and the broadcasts; the
// caller turns the outcome into an ack or an HTTP response and counts refusals its own way.
//
// One per shard, used on that shard only. Completions run on the same shard, possibly before the
// call returns (a refusal found at once).
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker/inbox/errors.h"
#include "broker/inbox/identity.h"
#include "broker/inbox/inbox_shard.h"
#include "persistence/inbox_conversations.h"
#include "persistence/watermarks.h"
#include "reactor/unique_function.h"

namespace ringcast::broker::inbox {

struct op_error {
  error_code code = error_code::bad_request;
  std::string message;
  std::optional<std::int64_t> retry_after_ms;
};

struct op_result {
  boost::json::object value;  // the result, when there is no error
  std::optional<op_error> error;

  static op_result ok(boost::json::object v) { return {std::move(v), std::nullopt}; }
  static op_result fail(error_code code, std::string_view message, std::optional<std::int64_t> retry_after_ms = {}) {
    return {{}, op_error{code, std::string(message), retry_after_ms}};
  }
  // From the ack arguments of inbox_shard::send_message ({message...} or {error}).
  static op_result from_ack(const boost::json::array& ack);
};
using op_done = reactor::unique_function<void(op_result)>;

// Whether the caller has checked access to the conversation already (a socket that joined it).
enum class access : bool { check, known };

inline constexpr std::size_t max_id_bytes = 200;
inline constexpr std::size_t max_subject_bytes = 500;

// Valid UTF-8 without NUL: what PostgreSQL text can store.
bool storable(std::string_view s) noexcept;

// A string field: nullopt when absent or null; sets `bad` when present with another type.
std::optional<std::string> string_field(const boost::json::object& o, std::string_view key, bool& bad);
std::optional<std::int64_t> int_field(const boost::json::object& o, std::string_view key, bool& bad);

persistence::reader_type reader_of(const identity& who) noexcept;

// A customer token is the customer of website conversations only, those whose customer's id is
// the token's sub; staff may act on every conversation.
bool may_access(const identity& who, const persistence::inbox_conversation& c) noexcept;

class inbox_operations {
 public:
  explicit inbox_operations(inbox_shard& in) noexcept : in_(in) {}

  inbox_shard& shard() noexcept { return in_; }

  // {status?, channel?, assigned? (bool), assignedToMe?, requiresHuman?, limit?, cursor?} ->
  // {conversations: [... with unread], nextCursor}.
  void list(const identity& who, const boost::json::object& args, op_done done);
  // Reads the conversation and checks access: `next` gets it, or the error.
  using conversation_fn = reactor::unique_function<void(const persistence::inbox_conversation*, op_result)>;
  void find_conversation(const identity& who, const std::string& conversation, conversation_fn next);
  // {conversationId} -> {conversation}.
  void get(const identity& who, const boost::json::object& args, op_done done);
  // Staff only. {conversationId, status?, priority?, assignedStaffId?, requiresHuman?} ->
  // {conversation}; broadcasts conversation:updated.
  void update(const identity& who, const boost::json::object& args, op_done done);
  // {conversationId, content, clientId, attachments?} -> the message with `duplicate`. Durable and
  // idempotent per (sender, clientId); fanned out by the conversation's owner. `sender_socket`
  // (may be empty) does not get its own message:new.
  void send(const identity& who, const boost::json::object& args, access a, std::string sender_socket, op_done done);
  // {conversationId, beforeSeq?, afterSeq?, limit?} -> {messages (oldest first), more}: the newest
  // `limit` before beforeSeq, or with afterSeq the oldest `limit` after it.
  void history(const identity& who, const boost::json::object& args, access a, op_done done);
  // {conversationId, seq} -> {unread} for read (pushes `unread` to the reader's sockets), {} for
  // delivered; a moved mark broadcasts message:status.
  void watermark(const identity& who, const boost::json::object& args, persistence::watermark_kind kind, access a,
                 op_done done);
  // {} -> {total, conversations: {id: count}}.
  void unread(const identity& who, op_done done);

  // ---- for creating conversations (each transport has its own way) ----
  // nullopt when the content and clientId may be stored.
  std::optional<op_error> check_message(const std::string& content, const std::string& client_id) const;
  persistence::persist_row make_row(const identity& who, const std::string& conversation, const std::string& content,
                                    const std::string& client_id, std::optional<std::string> attachments) const;
  // conversation:new to the staff feed.
  void announce_new(const persistence::inbox_conversation& c);

  // Runs one statement on this shard's connection, in its own transaction when `write` (so its
  // result means committed): `next` gets the result and `done`; a database that is away or failed
  // answers `done` with unavailable.
  using result_fn = reactor::unique_function<void(const PGresult*, op_done)>;
  void run(persistence::query q, bool write, op_done done, result_fn next);

 private:
  // Runs `step` once the identity may act on the conversation (at once when `a` is known).
  void after_access(const identity& who, const std::string& conversation, access a, op_done done,
                    reactor::unique_function<void(op_done)> step);
  void push_unread(const identity& who, const std::string& conversation, op_done done);

  inbox_shard& in_;
};

}  // namespace ringcast::broker::inbox
