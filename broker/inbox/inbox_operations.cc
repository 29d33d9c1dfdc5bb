#include "broker/inbox/inbox_operations.h"

#include <boost/json/serialize.hpp>
#include <limits>
#include <memory>

#include "broker/inbox/payloads.h"
#include "broker/inbox/room_names.h"
#include "broker/inbox/word_match.h"
#include "broker/socketio/sio_server.h"
#include "persistence/queries.h"
#include "protocol/utf8.h"
#include "reactor/log.h"

namespace ringcast::broker::inbox {

using persistence::pg_outcome;

op_result op_result::from_ack(const boost::json::array& ack) {
  if (ack.empty() || !ack[0].is_object()) return fail(error_code::unavailable, "no answer; retry");
  const boost::json::object& o = ack[0].as_object();
  const auto* e = o.if_contains("error");
  if (!e || !e->is_object()) return ok(o);
  const auto& err = e->as_object();
  op_error out;
  if (const auto* c = err.if_contains("code"); c && c->is_string())
    for (std::size_t i = 0; i < std::size_t(error_code::count); ++i)
      if (to_string(error_code(i)) == c->as_string()) out.code = error_code(i);
  if (const auto* m = err.if_contains("message"); m && m->is_string()) out.message = std::string(m->as_string());
  if (const auto* r = err.if_contains("retryAfterMs"); r && r->is_int64()) out.retry_after_ms = r->as_int64();
  return {{}, std::move(out)};
}

bool storable(std::string_view s) noexcept {
  return s.find('\0') == std::string_view::npos && protocol::is_valid_utf8(s);
}

std::optional<std::string> string_field(const boost::json::object& o, std::string_view key, bool& bad) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    bad = true;
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::optional<std::int64_t> int_field(const boost::json::object& o, std::string_view key, bool& bad) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= std::uint64_t(INT64_MAX)) return std::int64_t(v->as_uint64());
  bad = true;
  return std::nullopt;
}

namespace {

std::optional<bool> bool_field(const boost::json::object& o, std::string_view key, bool& bad) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_bool()) {
    bad = true;
    return std::nullopt;
  }
  return v->as_bool();
}

op_result bad(std::string_view message) { return op_result::fail(error_code::bad_request, message); }
op_result unexpected() { return op_result::fail(error_code::unavailable, "the database answered unexpectedly; retry"); }

}  // namespace

persistence::reader_type reader_of(const identity& who) noexcept {
  return who.role == role::staff ? persistence::reader_type::staff : persistence::reader_type::customer;
}

bool may_access(const identity& who, const persistence::inbox_conversation& c) noexcept {
  if (who.role == role::staff) return true;
  return c.customer_channel == std::optional<std::string>("website") && c.customer_id == who.sub;
}

void inbox_operations::run(persistence::query q, bool write, op_done done, result_fn next) {
  persistence::pg_connection* pg = in_.database();
  if (!pg) return done(op_result::fail(error_code::unavailable, "no database is configured"));
  if (!pg->ready()) return done(op_result::fail(error_code::unavailable, "the database is not reachable; retry"));
  persistence::pg_unit unit;
  unit.transaction = write;
  unit.statements.push_back({q.sql, std::move(q.params.values)});
  unit.done = [done = std::move(done), next = std::move(next)](pg_outcome& o) mutable {
    if (o.state == pg_outcome::status::ok && !o.results.empty()) return next(o.results[0].get(), std::move(done));
    if (o.state == pg_outcome::status::failed) reactor::log(reactor::log_level::warn, "an inbox query failed: %s", o.error.c_str());
    done(op_result::fail(error_code::unavailable, "the database did not answer; retry"));
  };
  pg->submit(std::move(unit));
}

// ---- conversations ----

void inbox_operations::list(const identity& who, const boost::json::object& o, op_done done) {
  bool wrong = false;
  persistence::conversation_filter f;
  f.status = string_field(o, "status", wrong);
  f.channel = string_field(o, "channel", wrong);
  f.assigned = bool_field(o, "assigned", wrong);
  f.requires_human = bool_field(o, "requiresHuman", wrong);
  f.assigned_to_me = bool_field(o, "assignedToMe", wrong).value_or(false);
  auto limit = int_field(o, "limit", wrong);
  auto cursor = string_field(o, "cursor", wrong);
  if (wrong)
    return done(bad("the conversation list takes {status?, channel?, assigned?, assignedToMe?, requiresHuman?, limit?, "
                    "cursor?}"));
  if (f.status && !persistence::is_conversation_status(*f.status)) return done(bad("unknown status"));
  if (f.channel && !persistence::is_channel(*f.channel)) return done(bad("unknown channel"));
  if (limit && (*limit < 1 || *limit > persistence::max_list_limit)) return done(bad("limit is 1 to 100"));
  f.limit = int(limit.value_or(50));
  if (cursor) {
    f.after = persistence::parse_cursor(*cursor);
    if (!f.after) return done(bad("not a cursor from a conversation list"));
  }
  const int page_limit = f.limit;
  run(persistence::list_conversations(reader_of(who), who.sub, f), false, std::move(done),
      [page_limit](const PGresult* r, op_done done) {
        auto page = persistence::parse_conversation_page(r, page_limit);
        if (!page) return done(unexpected());
        boost::json::array rows;
        for (const auto& c : page->conversations) {
          boost::json::object j = conversation_json(c);
          j["unread"] = c.unread;
          j["customerName"] = c.customer_name ? boost::json::value(*c.customer_name) : nullptr;
          if (c.last_message) {
            boost::json::object last{{"senderType", c.last_message->sender_type},
                                     {"preview", c.last_message->preview}};
            if (c.last_message->sender_name) last["senderName"] = *c.last_message->sender_name;
            j["lastMessage"] = std::move(last);
          } else {
            j["lastMessage"] = nullptr;
          }
          rows.push_back(std::move(j));
        }
        done(op_result::ok({{"conversations", std::move(rows)},
                            {"nextCursor", page->next_cursor ? boost::json::value(*page->next_cursor) : nullptr}}));
      });
}

void inbox_operations::find_conversation(const identity& who, const std::string& conversation, conversation_fn next) {
  if (!persistence::is_uuid(conversation)) return next(nullptr, bad("conversationId is not a conversation id"));
  auto shared = std::make_shared<conversation_fn>(std::move(next));
  run(persistence::get_conversation(conversation), false,
      [shared](op_result failed) { (*shared)(nullptr, std::move(failed)); },
      [who, shared](const PGresult* r, op_done) {
        auto rows = persistence::parse_inbox_conversations(r);
        if (!rows) return (*shared)(nullptr, unexpected());
        // A customer learns nothing of another's conversation, not even that it exists.
        if (rows->empty() || !may_access(who, (*rows)[0]))
          return (*shared)(nullptr, rows->empty() ? op_result::fail(error_code::not_found, "no such conversation")
                                                  : op_result::fail(error_code::forbidden, "not your conversation"));
        (*shared)(&(*rows)[0], op_result::ok({}));
      });
}

void inbox_operations::after_access(const identity& who, const std::string& conversation, access a, op_done done,
                                    reactor::unique_function<void(op_done)> step) {
  if (a == access::known) return step(std::move(done));
  find_conversation(who, conversation,
                    [step = std::move(step), done = std::move(done)](const persistence::inbox_conversation* c,
                                                                     op_result r) mutable {
                      if (!c) return done(std::move(r));
                      step(std::move(done));
                    });
}

void inbox_operations::get(const identity& who, const boost::json::object& o, op_done done) {
  bool wrong = false;
  auto conversation = string_field(o, "conversationId", wrong);
  if (wrong || !conversation) return done(bad("takes {conversationId}"));
  find_conversation(who, *conversation,
                    [done = std::move(done)](const persistence::inbox_conversation* c, op_result r) mutable {
                      if (!c) return done(std::move(r));
                      done(op_result::ok({{"conversation", conversation_json(*c)}}));
                    });
}

void inbox_operations::update(const identity& who, const boost::json::object& o, op_done done) {
  if (who.role != role::staff) return done(op_result::fail(error_code::forbidden, "staff only"));
  bool wrong = false;
  auto conversation = string_field(o, "conversationId", wrong);
  persistence::conversation_change change;
  change.status = string_field(o, "status", wrong);
  if (auto p = int_field(o, "priority", wrong)) {
    if (*p < 1 || *p > 5) return done(bad("priority is 1 to 5"));
    change.priority = int(*p);
  }
  if (const auto* a = o.if_contains("assignedStaffId")) {
    if (a->is_null()) change.assigned_staff = std::optional<std::string>();
    else if (a->is_string() && !a->as_string().empty() && a->as_string().size() <= max_id_bytes)
      change.assigned_staff = std::optional<std::string>(std::string(a->as_string()));
    else wrong = true;
  }
  change.requires_human = bool_field(o, "requiresHuman", wrong);
  if (wrong || !conversation)
    return done(bad("the update takes {conversationId, status?, priority?, assignedStaffId?, requiresHuman?}"));
  if (change.status && !persistence::is_conversation_status(*change.status)) return done(bad("unknown status"));
  if (change.assigned_staff && *change.assigned_staff && !storable(**change.assigned_staff))
    return done(bad("assignedStaffId must be UTF-8 text"));
  if (!persistence::is_uuid(*conversation)) return done(bad("conversationId is not a conversation id"));
  const bool to_a_human = (change.assigned_staff && *change.assigned_staff) || change.requires_human.value_or(false);
  run(persistence::update_conversation(*conversation, change), true, std::move(done),
      [this, to_a_human](const PGresult* r, op_done done) {
        auto rows = persistence::parse_inbox_conversations(r);
        if (!rows) return done(unexpected());
        if (rows->empty()) return done(op_result::fail(error_code::not_found, "no such conversation"));
        if (to_a_human) in_.human_took_over((*rows)[0].id);
        boost::json::object c = conversation_json((*rows)[0]);
        auto msg = event_message(in_.sio(), "conversation:updated", c);
        msg->rooms = {std::string(staff_feed_room), conversation_room((*rows)[0].id)};
        in_.sio().rooms().broadcast(std::move(msg));
        done(op_result::ok({{"conversation", std::move(c)}}));
      });
}

void inbox_operations::announce_new(const persistence::inbox_conversation& c) {
  auto news = event_message(in_.sio(), "conversation:new", conversation_json(c));
  news->rooms = {std::string(staff_feed_room)};
  in_.sio().rooms().broadcast(std::move(news));
}

// ---- messages ----

std::optional<op_error> inbox_operations::check_message(const std::string& content, const std::string& client_id) const {
  if (content.size() > in_.settings().max_message_bytes)
    return op_error{error_code::bad_request, "content is longer than --max-message-bytes", {}};
  if (!storable(content) || client_id.empty() || client_id.size() > max_id_bytes || !storable(client_id))
    return op_error{error_code::bad_request, "content and clientId must be UTF-8 text; clientId 1 to 200 bytes", {}};
  return std::nullopt;
}

persistence::persist_row inbox_operations::make_row(const identity& who, const std::string& conversation,
                                                    const std::string& content, const std::string& client_id,
                                                    std::optional<std::string> attachments) const {
  persistence::persist_row row;
  row.conversation = conversation;
  row.key = persistence::conversation_key::id;
  row.sender_type = std::string(to_string(who.role));
  row.sender_id = who.sub;
  if (!who.name.empty()) row.sender_name = who.name;
  row.client_message_id = client_id;
  row.content = content;
  row.attachments_json = std::move(attachments);
  if (who.role == role::customer && in_.settings().ai_replies) {
    row.wants_ai = true;
    row.urgent = contains_any(content, in_.settings().urgent_words);
  }
  return row;
}

void inbox_operations::send(const identity& who, const boost::json::object& o, access a, std::string sender_socket,
                            op_done done) {
  bool wrong = false;
  auto conversation = string_field(o, "conversationId", wrong);
  auto content = string_field(o, "content", wrong);
  auto client_id = string_field(o, "clientId", wrong);
  std::optional<std::string> attachments;
  if (const auto* at = o.if_contains("attachments"); at && !at->is_null()) {
    if (!at->is_array()) wrong = true;
    else attachments = boost::json::serialize(*at);
  }
  if (wrong || !conversation || !content || !client_id)
    return done(bad("a message takes {conversationId, content, clientId, attachments?}"));
  if (auto e = check_message(*content, *client_id)) return done({{}, std::move(*e)});
  if (attachments &&
      (attachments->size() > in_.settings().max_message_bytes || attachments->find("\\u0000") != std::string::npos))
    return done(bad("attachments are too large or contain NUL"));
  auto store = [this, who, row = make_row(who, *conversation, *content, *client_id, std::move(attachments)),
                sender_socket = std::move(sender_socket)](op_done done) mutable {
    in_.send_message(std::move(row), std::move(sender_socket),
                     [done = std::move(done)](boost::json::array ack) mutable { done(op_result::from_ack(ack)); });
  };
  after_access(who, *conversation, a, std::move(done), std::move(store));
}

void inbox_operations::history(const identity& who, const boost::json::object& o, access a, op_done done) {
  bool wrong = false;
  auto conversation = string_field(o, "conversationId", wrong);
  auto before = int_field(o, "beforeSeq", wrong);
  auto after = int_field(o, "afterSeq", wrong);
  auto limit = int_field(o, "limit", wrong);
  if (wrong || !conversation || (limit && (*limit < 1 || *limit > persistence::history_before_max)) ||
      (after && *after < 0))
    return done(bad("the history takes {conversationId, beforeSeq?, afterSeq?, limit? (1 to 100)}"));
  const int n = int(limit.value_or(50));
  auto read = [this, conversation = *conversation, before, after, n](op_done done) {
    if (!after) {
      return run(persistence::history_before(conversation, before, n), false, std::move(done),
                 [n](const PGresult* r, op_done done) {
                   auto page = persistence::parse_history_before(r, n);
                   if (!page) return done(unexpected());
                   boost::json::array messages;
                   for (const auto& m : page->messages) messages.push_back(message_json(m));
                   done(op_result::ok({{"messages", std::move(messages)}, {"more", page->more}}));
                 });
    }
    // Forwards from afterSeq: one more row than asked says whether more follow.
    const std::int64_t last = before ? *before - 1 : std::numeric_limits<std::int64_t>::max();
    run(persistence::history_range(conversation, *after + 1, last, n + 1), false, std::move(done),
        [n](const PGresult* r, op_done done) {
          auto rows = persistence::parse_history(r);
          if (!rows) return done(unexpected());
          const bool more = rows->size() > std::size_t(n);
          boost::json::array messages;
          for (std::size_t i = 0; i < rows->size() && i < std::size_t(n); ++i) messages.push_back(message_json((*rows)[i]));
          done(op_result::ok({{"messages", std::move(messages)}, {"more", more}}));
        });
  };
  after_access(who, *conversation, a, std::move(done), std::move(read));
}

// ---- receipts and unread counts ----

void inbox_operations::watermark(const identity& who, const boost::json::object& o, persistence::watermark_kind kind,
                                 access a, op_done done) {
  bool wrong = false;
  auto conversation = string_field(o, "conversationId", wrong);
  auto seq = int_field(o, "seq", wrong);
  if (wrong || !conversation || !seq || *seq < 1) return done(bad("takes {conversationId, seq} with seq >= 1"));
  if (kind == persistence::watermark_kind::read) {
    if (auto wait = in_.read_limiter().take(identity_room(who), in_.shard().now()))
      return done(op_result::fail(error_code::rate_limited, "too many reads", wait));
  }
  // Stored in the shard's next receipt batch, which announces each mark that moved.
  auto mark = [this, who, kind, conversation = *conversation, seq = *seq](op_done done) {
    auto* receipts = in_.receipts();
    if (!receipts) return done(op_result::fail(error_code::unavailable, "no database is configured"));
    auto waiter = std::make_shared<op_done>(std::move(done));
    const bool accepted = receipts->submit(
        kind, persistence::watermark_update{conversation, reader_of(who), who.sub, seq},
        [this, who, kind, conversation, waiter](bool stored) {
          if (!stored) return (*waiter)(op_result::fail(error_code::unavailable, "the database did not answer; retry"));
          if (kind != persistence::watermark_kind::read) return (*waiter)(op_result::ok({}));
          push_unread(who, conversation, std::move(*waiter));
        });
    if (!accepted)
      (*waiter)(op_result::fail(error_code::unavailable, "the database is not reachable or too many receipts wait; retry",
                                1000));
  };
  after_access(who, *conversation, a, std::move(done), std::move(mark));
}

// The reader's count in `conversation` and total, to their sockets and as the result {unread}.
void inbox_operations::push_unread(const identity& who, const std::string& conversation, op_done done) {
  run(persistence::reader_unread(reader_of(who), who.sub), false, std::move(done),
      [this, who, conversation](const PGresult* r, op_done done) {
        auto counts = persistence::parse_reader_unread(r);
        if (!counts) return done(unexpected());
        std::int64_t count = 0;
        for (const auto& c : counts->conversations)
          if (c.conversation_id == conversation) count = c.unread;
        auto msg = event_message(in_.sio(), "unread",
                                 boost::json::object{{"conversationId", conversation}, {"count", count}, {"total", counts->total}});
        msg->rooms = {identity_room(who)};
        in_.sio().rooms().broadcast(std::move(msg));
        done(op_result::ok({{"unread", count}}));
      });
}

void inbox_operations::unread(const identity& who, op_done done) {
  run(persistence::reader_unread(reader_of(who), who.sub), false, std::move(done), [](const PGresult* r, op_done done) {
    auto counts = persistence::parse_reader_unread(r);
    if (!counts) return done(unexpected());
    boost::json::object per;
    for (const auto& c : counts->conversations) per[c.conversation_id] = c.unread;
    done(op_result::ok({{"total", counts->total}, {"conversations", std::move(per)}}));
  });
}

}  // namespace ringcast::broker::inbox
