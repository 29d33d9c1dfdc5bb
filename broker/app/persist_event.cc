#include "broker/app/persist_event.h"

#include <boost/json/object.hpp>

#include "broker/app/broker_app.h"
#include "protocol/utf8.h"

namespace ringcast::broker {
namespace {

struct reply_to {
  unsigned shard;
  std::string session;
  std::string nsp;
  std::uint64_t ack_id;
};

boost::json::array error_args(std::string_view code, std::string_view message, bool retryable) {
  boost::json::object e;
  e["code"] = code;
  e["message"] = message;
  e["retryable"] = retryable;
  boost::json::object o;
  o["error"] = std::move(e);
  return boost::json::array{std::move(o)};
}

boost::json::array result_args(const persistence::persist_result& r) {
  if (r.state == persistence::persist_result::status::conflict) return error_args("conflict", r.error, false);
  if (r.state != persistence::persist_result::status::ok) return error_args("write_failed", r.error, false);
  boost::json::object o;
  o["id"] = r.answer.id;
  o["seq"] = r.answer.seq;
  o["createdAt"] = r.answer.created_at_us / 1000;
  o["duplicate"] = r.answer.duplicate;
  return boost::json::array{std::move(o)};
}

// Runs on the shard that holds the client's socket; the client may have gone meanwhile (it will
// retry with the same clientId and get the same answer).
void answer(const broker_apps& apps, reactor::shard& from, reply_to to, boost::json::array args) {
  // The write is committed: its answer must not be lost to a busy mailbox (answers are bounded by
  // the writer's backlog).
  from.post_guaranteed(to.shard, [&apps, to = std::move(to), args = std::move(args)](reactor::shard& sh) {
    eio_session* session = apps.on(sh).socketio_engine().find(to.session);
    if (!session) return;
    if (sio_socket* s = sio_server::find_socket(*session, to.nsp)) s->ack(to.ack_id, args);
  });
}

// The text of `content`: a string, or a binary attachment that must be UTF-8.
const std::string* content_text(const boost::json::value& v, const std::vector<std::string>& attachments,
                                std::string& holder) {
  if (v.is_string()) {
    holder = std::string(v.as_string());
    return &holder;
  }
  if (const auto* o = v.if_object()) {
    const auto* num = o->if_contains("num");
    if (o->if_contains("_placeholder") && num && num->is_int64() && num->as_int64() >= 0 &&
        std::size_t(num->as_int64()) < attachments.size())
      return &attachments[std::size_t(num->as_int64())];
  }
  return nullptr;
}

bool storable_text(std::string_view s) noexcept {
  return s.find('\0') == std::string_view::npos && protocol::is_valid_utf8(s);
}

const std::string* string_field(const boost::json::object& o, std::string_view key, std::string& holder) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return nullptr;
  holder = std::string(v->as_string());
  return &holder;
}

}  // namespace

std::string_view check_persist_row(const persistence::persist_row& row) noexcept {
  if (auto why = persistence::validate(row); !why.empty()) return why;
  if (!storable_text(row.conversation)) return "conversation is not UTF-8 text without NUL";
  if (!storable_text(row.sender_id)) return "sender_id is not UTF-8 text without NUL";
  if (!storable_text(row.client_message_id)) return "client_message_id is not UTF-8 text without NUL";
  if (!storable_text(row.content)) return "content is not UTF-8 text without NUL";
  return {};
}

unsigned conversation_owner(std::string_view conversation, unsigned shards) noexcept {
  // FNV-1a: stable across runs and builds, unlike std::hash.
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : conversation) h = (h ^ c) * 1099511628211ull;
  return unsigned(h % shards);
}

void handle_persist(broker_app& app, sio_socket& s, const boost::json::array& args,
                    const std::vector<std::string>& attachments, std::uint64_t ack_id) {
  auto refuse = [&](std::string_view code, std::string_view message, bool retryable) {
    s.ack(ack_id, error_args(code, message, retryable));
  };
  if (args.empty() || !args[0].is_object())
    return refuse("invalid_argument", "persist expects {conversation, content, clientId}", false);
  const auto& o = args[0].as_object();
  std::string conversation_holder, client_holder, content_holder;
  const std::string* conversation = string_field(o, "conversation", conversation_holder);
  const std::string* client_id = string_field(o, "clientId", client_holder);
  const auto* content_value = o.if_contains("content");
  const std::string* content = content_value ? content_text(*content_value, attachments, content_holder) : nullptr;
  if (!conversation || conversation->empty() || conversation->size() > persist_max_name)
    return refuse("invalid_argument", "conversation must be a string of 1 to 200 bytes", false);
  if (!client_id || client_id->empty() || client_id->size() > persist_max_name)
    return refuse("invalid_argument", "clientId must be a string of 1 to 200 bytes", false);
  if (!content) return refuse("invalid_argument", "content must be a string", false);
  if (content->size() > persist_max_content) return refuse("too_large", "content is over 65536 bytes", false);
  if (!app.writer()) return refuse("unavailable", "no database is configured", false);

  std::string sender = "anonymous";
  if (const auto* auth = s.auth().if_object())
    if (const auto* user = auth->if_contains("userId"); user && user->is_string()) sender = std::string(user->as_string());

  reactor::shard& here = s.server().shard();
  persistence::persist_row row{*conversation, "customer", std::move(sender), *client_id, *content};
  // What PostgreSQL would refuse (bad UTF-8, NUL, oversized keys) is refused here, before it can
  // spoil a batch of other people's writes.
  if (auto why = check_persist_row(row); !why.empty()) return refuse("invalid_argument", why, false);
  reply_to to{here.id(), s.session_id(), s.nsp(), ack_id};
  const broker_apps& apps = app.wiring().apps;
  const bool queued = here.post(conversation_owner(*conversation, here.count()),
            [&apps, row = std::move(row), to = std::move(to)](reactor::shard& owner) mutable {
              auto* writer = apps.on(owner).writer();
              reply_to copy = to;
              bool accepted = writer->submit(std::move(row), [&apps, &owner, to = std::move(copy)](const persistence::persist_result& r) {
                answer(apps, owner, to, result_args(r));
              });
              if (!accepted) answer(apps, owner, std::move(to), error_args("overloaded", "the write backlog is full; retry", true));
            });
  if (!queued) refuse("overloaded", "the conversation's shard is behind; retry", true);
}

}  // namespace ringcast::broker
