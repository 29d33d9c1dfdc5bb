#include "broker/channels/inbound_store.h"

#include <boost/json/value.hpp>
#include <memory>

#include "broker/inbox/payloads.h"
#include "broker/inbox/room_names.h"
#include "broker/inbox/word_match.h"
#include "broker/socketio/sio_server.h"
#include "persistence/inbox_conversations.h"
#include "protocol/utf8.h"
#include "reactor/log.h"

namespace ringcast::broker::channels {
namespace {

constexpr std::size_t max_id_bytes = 200;
constexpr std::size_t max_subject_bytes = 500;
// An e-mail's References can be long; the newest ones (In-Reply-To first) are enough to thread.
constexpr std::size_t max_thread_refs = 50;

bool storable(std::string_view s) { return s.find('\0') == std::string_view::npos && protocol::is_valid_utf8(s); }

bool good_id(std::string_view s) { return !s.empty() && s.size() <= max_id_bytes && storable(s); }

// Cuts valid UTF-8 to at most `max` bytes without splitting a character.
void cut(std::string& s, std::size_t max) {
  if (s.size() <= max) return;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
}

void warn_failed(std::string_view what) {
  static reactor::log_rate rate(1);
  std::uint64_t held_back = 0;
  if (rate.allow(held_back))
    reactor::log(reactor::log_level::warn, "a webhook message was not stored: %.*s (%llu more since the last such line)",
                 int(what.size()), what.data(), static_cast<unsigned long long>(held_back));
}

persistence::persist_row make_row(const inbox::inbox_settings& settings, const inbound_message& m,
                                  const std::string& conversation) {
  persistence::persist_row row;
  row.conversation = conversation;
  row.key = persistence::conversation_key::id;
  row.sender_type = "customer";
  row.sender_id = sender_id_of(m);
  row.sender_name = m.customer_name;
  row.client_message_id = m.provider_message_id;
  row.content = m.content;
  row.attachments_json = m.attachments_json;
  if (settings.ai_replies) {
    row.wants_ai = true;
    row.urgent = inbox::contains_any(m.content, settings.urgent_words);
  }
  return row;
}

// The send's ack: {message..., duplicate} or {error}; a clientId taken in another conversation is
// this message stored before (its conversation was resolved and the redelivery opened another).
step_result result_of(const boost::json::array& ack) {
  const auto* o = ack.empty() ? nullptr : ack[0].if_object();
  if (!o) return step_result::failed;
  if (const auto* e = o->if_contains("error")) {
    const auto* code = e->is_object() ? e->as_object().if_contains("code") : nullptr;
    if (code && code->is_string() && code->as_string() == "conflict") return step_result::duplicate;
    warn_failed(code && code->is_string() ? std::string_view(code->as_string()) : "unknown error");
    return step_result::failed;
  }
  const auto* dup = o->if_contains("duplicate");
  return dup && dup->is_bool() && dup->as_bool() ? step_result::duplicate : step_result::stored;
}

void store_one(inbox::inbox_shard& in, inbound_message m, reactor::unique_function<void(step_result)> done) {
  persistence::pg_connection* pg = in.database();
  if (!pg || !pg->ready()) return done(step_result::failed);
  persistence::channel_conversation c;
  c.channel = m.channel;
  c.external_id = m.external_id;
  c.customer_name = m.customer_name;
  c.sender_id = sender_id_of(m);
  c.client_message_id = m.provider_message_id;
  c.thread_refs = m.thread_refs;
  c.join_open = m.join_open;
  c.subject = m.subject;
  persistence::query lock = persistence::lock_channel_customer(c.sender_id);
  persistence::query open = persistence::open_channel_conversation(c);
  persistence::pg_unit unit;
  unit.transaction = true;
  unit.statements.push_back({lock.sql, std::move(lock.params.values)});
  unit.statements.push_back({open.sql, std::move(open.params.values)});
  unit.done = [&in, m = std::move(m), done = std::move(done)](persistence::pg_outcome& o) mutable {
    std::optional<persistence::opened_conversation> opened;
    if (o.state == persistence::pg_outcome::status::ok && o.results.size() == 2)
      opened = persistence::parse_opened_conversation(o.results[1].get());
    if (!opened) {
      warn_failed(o.error.empty() ? "the conversation was not found or created" : o.error);
      return done(step_result::failed);
    }
    if (opened->created) {
      auto news = inbox::event_message(in.sio(), "conversation:new", inbox::conversation_json(opened->conversation));
      news->rooms = {std::string(inbox::staff_feed_room)};
      in.sio().rooms().broadcast(std::move(news));
    }
    in.send_message(make_row(in.settings(), m, opened->conversation.id), std::string(),
                    [done = std::move(done)](boost::json::array ack) mutable { done(result_of(ack)); });
  };
  pg->submit(std::move(unit));
}

struct in_order {
  std::vector<inbound_message> messages;
  std::size_t next = 0;
  bool stored = false, duplicate = false;
  reactor::unique_function<void(step_result)> done;
};

void store_next(inbox::inbox_shard& in, std::shared_ptr<in_order> run) {
  if (run->next == run->messages.size())
    return run->done(run->stored ? step_result::stored : run->duplicate ? step_result::duplicate : step_result::accepted);
  inbound_message& m = run->messages[run->next++];
  store_one(in, std::move(m), [&in, run](step_result r) mutable {
    if (r == step_result::failed) return run->done(r);
    run->stored |= r == step_result::stored;
    run->duplicate |= r == step_result::duplicate;
    store_next(in, std::move(run));
  });
}

}  // namespace

std::string sender_id_of(const inbound_message& m) { return m.channel + ":" + m.external_id; }

bool make_storable(inbound_message& m, std::size_t max_content_bytes) {
  if (!good_id(m.external_id) || !good_id(m.provider_message_id) || !storable(m.content)) return false;
  if (m.thread_refs.size() > max_thread_refs) m.thread_refs.resize(max_thread_refs);
  for (const auto& r : m.thread_refs)
    if (!storable(r)) return false;
  // jsonb refuses \u0000; the attachments are a convenience, the message is not refused for them.
  if (m.attachments_json && (m.attachments_json->find("\\u0000") != std::string::npos || !storable(*m.attachments_json)))
    m.attachments_json.reset();
  cut(m.content, max_content_bytes);
  if (m.customer_name && (m.customer_name->empty() || m.customer_name->size() > max_id_bytes || !storable(*m.customer_name)))
    m.customer_name.reset();
  if (m.subject) {
    if (!storable(*m.subject)) m.subject.reset();
    else cut(*m.subject, max_subject_bytes);
  }
  return true;
}

void store_in_order(inbox::inbox_shard& inbox, std::vector<inbound_message> messages,
                    reactor::unique_function<void(step_result)> done) {
  auto run = std::make_shared<in_order>();
  run->messages = std::move(messages);
  run->done = std::move(done);
  store_next(inbox, std::move(run));
}

}  // namespace ringcast::broker::channels
