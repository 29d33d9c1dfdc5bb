#include "broker/inbox/inbox_namespace.h"

#include <boost/json/serialize.hpp>
#include <unordered_map>
#include <unordered_set>

#include "broker/inbox/errors.h"
#include "broker/inbox/payloads.h"
#include "broker/inbox/word_match.h"
#include "persistence/inbox_conversations.h"
#include "persistence/queries.h"
#include "persistence/watermarks.h"
#include "protocol/socketio.h"
#include "protocol/utf8.h"
#include "reactor/log.h"

namespace ringcast::broker::inbox {
namespace {

using persistence::pg_outcome;
using ack_fn = std::optional<std::uint64_t>;

constexpr std::size_t max_id_bytes = 200;
constexpr std::size_t max_subject_bytes = 500;
// Presence activity is reported to the identity's owner at most this often per socket.
constexpr auto activity_report_interval = std::chrono::seconds(30);

// What the inbox keeps per socket in sio_socket::user.
struct inbox_socket {
  identity who;
  std::unordered_map<std::string, std::string> joined;  // conversation id -> its customer's sub
  std::unordered_set<std::string> joining;
  reactor::shard::clock::time_point last_activity{};
};

inbox_socket& state_of(sio_socket& s) { return std::any_cast<inbox_socket&>(s.user); }

persistence::reader_type reader_of(const identity& who) {
  return who.role == role::staff ? persistence::reader_type::staff : persistence::reader_type::customer;
}

bool storable(std::string_view s) { return s.find('\0') == std::string_view::npos && protocol::is_valid_utf8(s); }

const boost::json::object* object_arg(const boost::json::array& args) {
  return !args.empty() && args[0].is_object() ? &args[0].as_object() : nullptr;
}

// A string field: nullopt when absent or null; `bad` when present with another type.
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

class inbox_namespace final : public sio_namespace_handler {
 public:
  inbox_namespace(const inbox_config& cfg, inbox_shard& inbox) : cfg_(cfg), in_(inbox), stats_(inbox.stats()) {}

  std::optional<boost::json::object> admit(sio_socket& s) override {
    std::string_view token;
    if (const auto* auth = s.auth().if_object())
      if (const auto* t = auth->if_contains("token"); t && t->is_string()) token = t->as_string();
    auth_result r = cfg_.verifier->verify(token, std::chrono::system_clock::now());
    if (r.who) {
      s.user = inbox_socket{std::move(*r.who), {}, {}, in_.shard().now()};
      return std::nullopt;
    }
    broker_stats::bump(stats_.auth_failures[std::size_t(r.error)]);
    static reactor::log_rate rate(1);
    std::uint64_t held_back = 0;
    if (rate.allow(held_back))
      reactor::log(reactor::log_level::warn, "authentication failed: %.*s (%llu more since the last such line)",
                   int(to_string(r.error).size()), to_string(r.error).data(),
                   static_cast<unsigned long long>(held_back));
    return boost::json::object{{"message", "unauthorized"}, {"data", boost::json::object{{"code", to_string(r.error)}}}};
  }

  void on_connection(sio_socket& s) override {
    inbox_socket& st = state_of(s);
    const identity& who = st.who;
    // A socket restored by connection state recovery is back in its conversations' rooms (it
    // was admitted to each when it joined, and its token was checked again just now).
    const std::string_view prefix = "conversation:";
    for (const std::string& room : s.rooms()) {
      if (room.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string conversation = room.substr(prefix.size());
      if (!st.joined.emplace(conversation, who.role == role::customer ? who.sub : std::string()).second) continue;
      in_.rewatch(conversation);
      broker_stats::bump(stats_.inbox_joined);
    }
    s.join(identity_room(who));
    if (who.role == role::staff) s.join(std::string(staff_feed_room));
    in_.presence_connected(who);
  }

  void on_disconnect(sio_socket& s, std::string_view) override {
    inbox_socket& st = state_of(s);
    for (const auto& [conversation, customer] : st.joined) {
      in_.unwatch(conversation);
      broker_stats::bump(stats_.inbox_joined, -1);
    }
    // Joins in progress end when their read returns and find the socket gone.
    in_.presence_disconnected(st.who);
  }

  void on_event(sio_socket& s, std::string_view event, const boost::json::array& args, const std::vector<std::string>&,
                ack_fn ack) override {
    inbox_socket& st = state_of(s);
    if (in_.shard().now() - st.last_activity >= activity_report_interval) {
      st.last_activity = in_.shard().now();
      in_.presence_activity(st.who);
    }
    const boost::json::object* o = object_arg(args);
    if (!o) return refuse(s, ack, error_code::bad_request, "the payload must be an object");
    if (event == "message:send") return send(s, *o, ack);
    if (event == "typing:start") return typing(s, *o, ack, true);
    if (event == "typing:stop") return typing(s, *o, ack, false);
    if (event == "message:read") return watermark(s, *o, ack, persistence::watermark_kind::read);
    if (event == "message:delivered") return watermark(s, *o, ack, persistence::watermark_kind::delivered);
    if (event == "conversation:join") return join(s, *o, ack);
    if (event == "conversation:leave") return leave(s, *o, ack);
    if (event == "conversation:create") return create(s, *o, ack);
    if (event == "conversation:list") return list(s, *o, ack);
    if (event == "conversation:update") return update(s, *o, ack);
    if (event == "message:history") return history(s, *o, ack);
    if (event == "presence:set") return presence(s, *o, ack);
    if (event == "unread:get") return unread(s, ack);
    refuse(s, ack, error_code::bad_request, "unknown event " + std::string(event));
  }

 private:
  // ---- plumbing ----

  void refuse(sio_socket& s, ack_fn ack, error_code code, std::string_view message,
              std::optional<std::int64_t> retry_after = std::nullopt) {
    broker_stats::bump(stats_.rejected_events[std::size_t(code)]);
    if (ack) s.ack(*ack, error_ack(code, message, retry_after));
  }

  // The socket again after an asynchronous step, or nullptr when it went meanwhile.
  sio_socket* find(const std::string& id) { return in_.sio().rooms().socket_by_id(id); }

  // Answers `ack` of socket `id` if it is still there.
  void answer(const std::string& id, ack_fn ack, boost::json::array args) {
    if (!ack) return;
    if (sio_socket* s = find(id)) s->ack(*ack, args);
  }
  void refuse_later(const std::string& id, ack_fn ack, error_code code, std::string_view message) {
    broker_stats::bump(stats_.rejected_events[std::size_t(code)]);
    answer(id, ack, error_ack(code, message));
  }

  // Runs one statement on this shard's connection; `next` gets its result, errors are answered.
  // A write runs in its own transaction, so its result means committed (a statement outside one
  // would commit only at the pipeline's next sync point, after its answer had gone out).
  void read(const std::string& socket, ack_fn ack, persistence::query q,
            reactor::unique_function<void(const PGresult*)> next, bool write = false) {
    persistence::pg_connection* pg = in_.database();
    if (!pg) return refuse_later(socket, ack, error_code::unavailable, "no database is configured");
    if (!pg->ready()) return refuse_later(socket, ack, error_code::unavailable, "the database is not reachable; retry");
    persistence::pg_unit unit;
    unit.transaction = write;
    unit.statements.push_back({q.sql, std::move(q.params.values)});
    unit.done = [this, socket, ack, next = std::move(next)](pg_outcome& o) mutable {
      if (o.state == pg_outcome::status::ok && !o.results.empty()) return next(o.results[0].get());
      if (o.state == pg_outcome::status::failed)
        reactor::log(reactor::log_level::warn, "an inbox query failed: %s", o.error.c_str());
      refuse_later(socket, ack, error_code::unavailable, "the database did not answer; retry");
    };
    pg->submit(std::move(unit));
  }

  void write(const std::string& socket, ack_fn ack, persistence::query q,
             reactor::unique_function<void(const PGresult*)> next) {
    read(socket, ack, std::move(q), std::move(next), true);
  }

  // Checks that the socket may act on the conversation, then runs `next` with the socket.
  void with_access(sio_socket& s, const std::string& conversation, ack_fn ack,
                   reactor::unique_function<void(sio_socket&)> next) {
    if (!persistence::is_uuid(conversation)) return refuse(s, ack, error_code::bad_request, "conversationId is not a conversation id");
    inbox_socket& st = state_of(s);
    if (st.joined.count(conversation)) return next(s);
    with_conversation(s, conversation, ack,
                      [next = std::move(next)](sio_socket& again, const persistence::inbox_conversation&) mutable {
                        next(again);
                      });
  }

  // Reads the conversation and checks access; `next` gets the socket and the conversation.
  void with_conversation(sio_socket& s, const std::string& conversation, ack_fn ack,
                         reactor::unique_function<void(sio_socket&, const persistence::inbox_conversation&)> next) {
    const std::string id = s.id();
    read(id, ack, persistence::get_conversation(conversation),
         [this, id, ack, next = std::move(next)](const PGresult* r) mutable {
           sio_socket* again = find(id);
           if (!again) return;
           auto rows = persistence::parse_inbox_conversations(r);
           if (!rows || rows->empty()) return refuse(*again, ack, error_code::not_found, "no such conversation");
           const identity& who = state_of(*again).who;
           if (who.role == role::customer && (*rows)[0].customer_id != who.sub)
             return refuse(*again, ack, error_code::forbidden, "not your conversation");
           next(*again, (*rows)[0]);
         });
  }

  // ---- conversations ----

  void create(sio_socket& s, const boost::json::object& o, ack_fn ack) {
    const identity& who = state_of(s).who;
    bool bad = false;
    auto channel = string_field(o, "channel", bad).value_or("website");
    auto subject = string_field(o, "subject", bad);
    auto customer = string_field(o, "customerId", bad);
    auto content = string_field(o, "content", bad);
    auto client_id = string_field(o, "clientId", bad);
    if (bad) return refuse(s, ack, error_code::bad_request, "channel, subject, customerId, content and clientId are strings");
    if (!persistence::is_channel(channel)) return refuse(s, ack, error_code::bad_request, "unknown channel");
    if (subject && (subject->size() > max_subject_bytes || !storable(*subject)))
      return refuse(s, ack, error_code::bad_request, "subject must be UTF-8 text of at most 500 bytes");
    if (who.role == role::customer && customer && *customer != who.sub)
      return refuse(s, ack, error_code::forbidden, "customers create conversations for themselves");
    if (who.role == role::staff && (!customer || customer->empty() || customer->size() > max_id_bytes || !storable(*customer)))
      return refuse(s, ack, error_code::bad_request, "staff name the customer: customerId");
    if (content && !client_id) return refuse(s, ack, error_code::bad_request, "a first message needs a clientId");
    if (state_of(s).joined.size() + state_of(s).joining.size() >= in_.settings().max_joined)
      return refuse(s, ack, error_code::bad_request, "too many joined conversations");
    if (content && !valid_message(s, *content, *client_id, ack)) return;
    const std::string customer_sub = who.role == role::customer ? who.sub : *customer;
    const std::optional<std::string> customer_name =
        who.role == role::customer && !who.name.empty() ? std::optional<std::string>(who.name) : std::nullopt;
    const std::string id = s.id();
    write(id, ack, persistence::create_conversation(customer_sub, customer_name, channel, subject),
         [this, id, ack, content, client_id](const PGresult* r) mutable {
           auto rows = persistence::parse_inbox_conversations(r);
           if (!rows || rows->empty()) return refuse_later(id, ack, error_code::unavailable, "the conversation was not created");
           const persistence::inbox_conversation c = (*rows)[0];
           auto news = event_message(in_.sio(), "conversation:new", conversation_json(c));
           news->rooms = {std::string(staff_feed_room)};
           in_.sio().rooms().broadcast(std::move(news));
           // A new conversation has no history: the creator joins it at once.
           auto after_join = [this, id, ack, c](boost::json::value message) {
             boost::json::object out{{"conversation", conversation_json(c)}};
             // A first message that was refused: the conversation exists, the error says why.
             if (auto* m = message.if_object(); m && m->contains("error")) out["error"] = (*m)["error"];
             else if (!message.is_null()) out["message"] = std::move(message);
             answer(id, ack, boost::json::array{std::move(out)});
           };
           in_.begin_join(c.id, [this, id, c, content, client_id, after_join](std::vector<typist>) mutable {
             (void)in_.finish_join(c.id, 0);
             sio_socket* s = find(id);
             if (!s) return in_.unwatch(c.id);
             start_watching(*s, c.id, c.customer_id.value_or(""));
             s->join(conversation_room(c.id));
             if (c.customer_id) s->join(presence_room("customer", *c.customer_id));
             if (!content) return after_join(nullptr);
             in_.send_message(make_row(*s, c.id, *content, *client_id, std::nullopt), s->id(),
                              [after_join](boost::json::array ack) mutable {
                                after_join(ack.empty() ? boost::json::value(nullptr) : std::move(ack[0]));
                              });
           });
         });
  }

  // The socket counts as watching from the start of its join (inbox_shard keeps the broadcasts).
  void start_watching(sio_socket& s, const std::string& conversation, const std::string& customer) {
    inbox_socket& st = state_of(s);
    st.joined.emplace(conversation, customer);
    broker_stats::bump(stats_.inbox_joined);
  }

  void join(sio_socket& s, const boost::json::object& o, ack_fn ack) {
    bool bad = false;
    auto conversation = string_field(o, "conversationId", bad);
    auto since = int_field(o, "sinceSeq", bad);
    if (bad || !conversation || (since && *since < 0))
      return refuse(s, ack, error_code::bad_request, "conversation:join takes {conversationId, sinceSeq?}");
    inbox_socket& st = state_of(s);
    if (st.joined.count(*conversation) || st.joining.count(*conversation))
      return refuse(s, ack, error_code::conflict, "already joined");
    if (st.joined.size() + st.joining.size() >= in_.settings().max_joined)
      return refuse(s, ack, error_code::bad_request, "too many joined conversations");
    if (!persistence::is_uuid(*conversation)) return refuse(s, ack, error_code::bad_request, "conversationId is not a conversation id");
    with_conversation(s, *conversation, ack, [this, ack, since](sio_socket& s, const persistence::inbox_conversation& c) {
      const std::string id = s.id();
      // Again: other joins of this socket may have started while the conversation was read.
      inbox_socket& now = state_of(s);
      if (now.joined.count(c.id) || now.joining.count(c.id)) return refuse(s, ack, error_code::conflict, "already joined");
      if (now.joined.size() + now.joining.size() >= in_.settings().max_joined)
        return refuse(s, ack, error_code::bad_request, "too many joined conversations");
      now.joining.insert(c.id);
      in_.begin_join(c.id, [this, id, ack, since, c](std::vector<typist> typing) mutable {
        // The owner now sends this shard every later message: read what came before.
        persistence::query q = since ? persistence::history_since(c.id, *since)
                                     : persistence::history_before(c.id, std::nullopt, 50);
        read_history_for_join(id, ack, since, std::move(c), std::move(typing), std::move(q));
      });
    });
  }

  void read_history_for_join(const std::string& id, ack_fn ack, std::optional<std::int64_t> since,
                             persistence::inbox_conversation c, std::vector<typist> typing, persistence::query q) {
    persistence::pg_connection* pg = in_.database();
    auto give_up = [this, id, ack, conversation = c.id](std::string_view why) {
      (void)in_.finish_join(conversation, 0);
      in_.unwatch(conversation);
      if (sio_socket* s = find(id)) {
        state_of(*s).joining.erase(conversation);
        refuse(*s, ack, error_code::unavailable, why);
      }
    };
    if (!pg || !pg->ready()) return give_up("the database is not reachable; retry");
    const identity* who = nullptr;
    if (sio_socket* s = find(id)) who = &state_of(*s).who;
    if (!who) return give_up("gone");
    // The history, and this reader's read mark, in one round trip.
    const std::string ids[1] = {c.id};
    persistence::query marks = persistence::unread_counts(reader_of(*who), who->sub, std::span(ids));
    persistence::pg_unit unit;
    unit.transaction = false;
    unit.statements.push_back({q.sql, std::move(q.params.values)});
    unit.statements.push_back({marks.sql, std::move(marks.params.values)});
    unit.done = [this, id, ack, since, c = std::move(c), typing = std::move(typing), give_up](pg_outcome& o) mutable {
      if (o.state != pg_outcome::status::ok || o.results.size() < 2) return give_up("the database did not answer; retry");
      auto page = since ? persistence::parse_history_since(o.results[0].get())
                        : persistence::parse_history_before(o.results[0].get(), 50);
      auto read_marks = persistence::parse_unread_counts(o.results[1].get());
      if (!page || !read_marks) return give_up("the database answered unexpectedly; retry");
      complete_join(id, ack, since, std::move(c), std::move(*page), std::move(typing),
                    read_marks->empty() ? 0 : (*read_marks)[0].last_read_seq);
    };
    pg->submit(std::move(unit));
  }

  void complete_join(const std::string& id, ack_fn ack, std::optional<std::int64_t> since,
                     persistence::inbox_conversation c, persistence::history_page page, std::vector<typist> typing,
                     std::int64_t last_read) {
    sio_socket* s = find(id);
    std::int64_t last = 0;
    for (const auto& m : page.messages) last = std::max(last, m.seq);
    // Kept broadcasts newer than what the read returned are replayed; older ones it has.
    auto kept = in_.finish_join(c.id, page.messages.empty() ? since.value_or(0) : last, id);
    if (!s) return in_.unwatch(c.id);
    inbox_socket& st = state_of(*s);
    st.joining.erase(c.id);
    if (st.joined.count(c.id)) {
      // Two joins of one socket raced: the first one won.
      in_.unwatch(c.id);
      return refuse(*s, ack, error_code::conflict, "already joined");
    }
    if (!kept) {
      in_.unwatch(c.id);
      return refuse(*s, ack, error_code::unavailable, "the conversation was too busy to join; retry");
    }
    boost::json::array messages;
    for (const auto& m : page.messages) messages.push_back(message_json(m));
    boost::json::array typists;
    for (const auto& t : typing) {
      boost::json::object e{{"userType", t.user_type}, {"userId", t.user_id}};
      if (!t.name.empty()) e["name"] = t.name;
      typists.push_back(std::move(e));
    }
    boost::json::object out{{"conversation", conversation_json(c)},
                            {"messages", std::move(messages)},
                            {"typing", std::move(typists)},
                            {"lastReadSeq", last_read}};
    if (!since) out["hasOlder"] = page.more;
    if (since && page.more) {
      // More history than one page: the client asks again from the last seq; not live yet.
      in_.unwatch(c.id);
      out["more"] = true;
      if (ack) s->ack(*ack, boost::json::array{std::move(out)});
      return;
    }
    out["more"] = false;
    if (!s->join(conversation_room(c.id))) {
      in_.unwatch(c.id);
      return refuse(*s, ack, error_code::bad_request, "the socket is in too many rooms (--max-rooms-per-socket)");
    }
    if (ack) s->ack(*ack, boost::json::array{std::move(out)});
    // What was committed after the read, in seq order, then live. Staff sockets had those from the
    // staff feed already.
    if (st.who.role != role::staff)
      for (const auto& frames : *kept)
        for (const auto& f : frames) s->deliver(f);
    start_watching(*s, c.id, c.customer_id.value_or(""));
    if (c.customer_id) s->join(presence_room("customer", *c.customer_id));
    if (c.assigned_staff_id) s->join(presence_room("staff", *c.assigned_staff_id));
  }

  void leave(sio_socket& s, const boost::json::object& o, ack_fn ack) {
    bool bad = false;
    auto conversation = string_field(o, "conversationId", bad);
    if (bad || !conversation) return refuse(s, ack, error_code::bad_request, "conversation:leave takes {conversationId}");
    inbox_socket& st = state_of(s);
    if (st.joined.erase(*conversation)) {
      s.leave(conversation_room(*conversation));
      in_.unwatch(*conversation);
      broker_stats::bump(stats_.inbox_joined, -1);
    }
    if (ack) s.ack(*ack, boost::json::array{boost::json::object{}});
  }

  void list(sio_socket& s, const boost::json::object& o, ack_fn ack) {
    const identity& who = state_of(s).who;
    bool bad = false;
    persistence::conversation_filter f;
    f.status = string_field(o, "status", bad);
    auto limit = int_field(o, "limit", bad);
    auto cursor = string_field(o, "cursor", bad);
    if (const auto* mine = o.if_contains("assignedToMe")) {
      if (!mine->is_bool()) bad = true;
      else f.assigned_to_me = mine->as_bool();
    }
    if (bad) return refuse(s, ack, error_code::bad_request, "conversation:list takes {status?, assignedToMe?, limit?, cursor?}");
    if (f.status && !persistence::is_conversation_status(*f.status)) return refuse(s, ack, error_code::bad_request, "unknown status");
    if (limit && (*limit < 1 || *limit > persistence::max_list_limit))
      return refuse(s, ack, error_code::bad_request, "limit is 1 to 100");
    f.limit = int(limit.value_or(50));
    if (cursor) {
      f.after = persistence::parse_cursor(*cursor);
      if (!f.after) return refuse(s, ack, error_code::bad_request, "not a cursor from conversation:list");
    }
    const std::string id = s.id();
    const int page_limit = f.limit;
    read(id, ack, persistence::list_conversations(reader_of(who), who.sub, f), [this, id, ack, page_limit](const PGresult* r) {
      auto page = persistence::parse_conversation_page(r, page_limit);
      if (!page) return refuse_later(id, ack, error_code::unavailable, "the database answered unexpectedly; retry");
      boost::json::array rows;
      for (const auto& c : page->conversations) {
        boost::json::object j = conversation_json(c);
        j["unread"] = c.unread;
        rows.push_back(std::move(j));
      }
      answer(id, ack,
             boost::json::array{boost::json::object{
                 {"conversations", std::move(rows)},
                 {"nextCursor", page->next_cursor ? boost::json::value(*page->next_cursor) : nullptr}}});
    });
  }

  void update(sio_socket& s, const boost::json::object& o, ack_fn ack) {
    if (state_of(s).who.role != role::staff) return refuse(s, ack, error_code::forbidden, "staff only");
    bool bad = false;
    auto conversation = string_field(o, "conversationId", bad);
    persistence::conversation_change change;
    change.status = string_field(o, "status", bad);
    if (auto p = int_field(o, "priority", bad)) {
      if (*p < 1 || *p > 5) return refuse(s, ack, error_code::bad_request, "priority is 1 to 5");
      change.priority = int(*p);
    }
    if (const auto* a = o.if_contains("assignedStaffId")) {
      if (a->is_null()) change.assigned_staff = std::optional<std::string>();
      else if (a->is_string() && !a->as_string().empty() && a->as_string().size() <= max_id_bytes)
        change.assigned_staff = std::optional<std::string>(std::string(a->as_string()));
      else bad = true;
    }
    if (const auto* h = o.if_contains("requiresHuman")) {
      if (h->is_bool()) change.requires_human = h->as_bool();
      else bad = true;
    }
    if (bad || !conversation) return refuse(s, ack, error_code::bad_request, "conversation:update takes {conversationId, status?, priority?, assignedStaffId?, requiresHuman?}");
    if (change.status && !persistence::is_conversation_status(*change.status)) return refuse(s, ack, error_code::bad_request, "unknown status");
    if (change.priority && (*change.priority < 1 || *change.priority > 5)) return refuse(s, ack, error_code::bad_request, "priority is 1 to 5");
    if (change.assigned_staff && *change.assigned_staff && !storable(**change.assigned_staff))
      return refuse(s, ack, error_code::bad_request, "assignedStaffId must be UTF-8 text");
    if (!persistence::is_uuid(*conversation)) return refuse(s, ack, error_code::bad_request, "conversationId is not a conversation id");
    const std::string id = s.id();
    const bool to_a_human = (change.assigned_staff && *change.assigned_staff) || change.requires_human.value_or(false);
    write(id, ack, persistence::update_conversation(*conversation, change), [this, id, ack, to_a_human](const PGresult* r) {
      auto rows = persistence::parse_inbox_conversations(r);
      if (!rows) return refuse_later(id, ack, error_code::unavailable, "the database answered unexpectedly; retry");
      if (rows->empty()) return refuse_later(id, ack, error_code::not_found, "no such conversation");
      if (to_a_human) in_.human_took_over((*rows)[0].id);
      const boost::json::object c = conversation_json((*rows)[0]);
      auto msg = event_message(in_.sio(), "conversation:updated", c);
      msg->rooms = {std::string(staff_feed_room), conversation_room((*rows)[0].id)};
      in_.sio().rooms().broadcast(std::move(msg));
      answer(id, ack, boost::json::array{boost::json::object{{"conversation", c}}});
    });
  }

  // ---- messages ----

  bool valid_message(sio_socket& s, const std::string& content, const std::string& client_id, ack_fn ack) {
    if (content.size() > in_.settings().max_message_bytes) {
      refuse(s, ack, error_code::bad_request, "content is longer than --max-message-bytes");
      return false;
    }
    if (!storable(content) || client_id.empty() || client_id.size() > max_id_bytes || !storable(client_id)) {
      refuse(s, ack, error_code::bad_request, "content and clientId must be UTF-8 text; clientId 1 to 200 bytes");
      return false;
    }
    return true;
  }

  persistence::persist_row make_row(sio_socket& s, const std::string& conversation, const std::string& content,
                                    const std::string& client_id, std::optional<std::string> attachments) {
    const identity& who = state_of(s).who;
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

  void send(sio_socket& s, const boost::json::object& o, ack_fn ack) {
    bool bad = false;
    auto conversation = string_field(o, "conversationId", bad);
    auto content = string_field(o, "content", bad);
    auto client_id = string_field(o, "clientId", bad);
    std::optional<std::string> attachments;
    if (const auto* a = o.if_contains("attachments"); a && !a->is_null()) {
      if (!a->is_array()) bad = true;
      else attachments = boost::json::serialize(*a);
    }
    if (bad || !conversation || !content || !client_id)
      return refuse(s, ack, error_code::bad_request, "message:send takes {conversationId, content, clientId, attachments?}");
    if (!valid_message(s, *content, *client_id, ack)) return;
    if (attachments && (attachments->size() > in_.settings().max_message_bytes ||
                        attachments->find("\\u0000") != std::string::npos))
      return refuse(s, ack, error_code::bad_request, "attachments are too large or contain NUL");
    with_access(s, *conversation, ack,
                [this, ack, conversation = *conversation, content = std::move(*content), client_id = std::move(*client_id),
                 attachments = std::move(attachments)](sio_socket& s) mutable {
                  const std::string id = s.id();
                  in_.send_message(make_row(s, conversation, content, client_id, std::move(attachments)), id,
                                   [this, id, ack](boost::json::array args) { answer(id, ack, std::move(args)); });
                });
  }

  void history(sio_socket& s, const boost::json::object& o, ack_fn ack) {
    bool bad = false;
    auto conversation = string_field(o, "conversationId", bad);
    auto before = int_field(o, "beforeSeq", bad);
    auto limit = int_field(o, "limit", bad);
    if (bad || !conversation || (limit && (*limit < 1 || *limit > persistence::history_before_max)))
      return refuse(s, ack, error_code::bad_request, "message:history takes {conversationId, beforeSeq?, limit? (1 to 100)}");
    const int n = int(limit.value_or(50));
    with_access(s, *conversation, ack, [this, ack, conversation = *conversation, before, n](sio_socket& s) {
      const std::string id = s.id();
      read(id, ack, persistence::history_before(conversation, before, n), [this, id, ack, n](const PGresult* r) {
        auto page = persistence::parse_history_before(r, n);
        if (!page) return refuse_later(id, ack, error_code::unavailable, "the database answered unexpectedly; retry");
        boost::json::array messages;
        for (const auto& m : page->messages) messages.push_back(message_json(m));
        answer(id, ack, boost::json::array{boost::json::object{{"messages", std::move(messages)}, {"more", page->more}}});
      });
    });
  }

  // ---- receipts and unread counts ----

  void watermark(sio_socket& s, const boost::json::object& o, ack_fn ack, persistence::watermark_kind kind) {
    bool bad = false;
    auto conversation = string_field(o, "conversationId", bad);
    auto seq = int_field(o, "seq", bad);
    if (bad || !conversation || !seq || *seq < 1)
      return refuse(s, ack, error_code::bad_request, "takes {conversationId, seq} with seq >= 1");
    const identity& who = state_of(s).who;
    if (kind == persistence::watermark_kind::read) {
      if (auto wait = in_.read_limiter().take(identity_room(who), in_.shard().now()))
        return refuse(s, ack, error_code::rate_limited, "too many message:read", wait);
    }
    with_access(s, *conversation, ack, [this, ack, kind, conversation = *conversation, seq = *seq](sio_socket& s) {
      const identity who = state_of(s).who;
      const std::string id = s.id();
      persistence::watermark_update u{conversation, reader_of(who), who.sub, seq};
      write(id, ack, persistence::advance_watermarks(kind, std::span(&u, 1)),
           [this, id, ack, kind, who, conversation](const PGresult* r) {
             auto moved = persistence::parse_watermark_changes(r);
             if (!moved) return refuse_later(id, ack, error_code::unavailable, "the database answered unexpectedly; retry");
             for (const auto& m : *moved) announce_status(m, kind);
             if (kind == persistence::watermark_kind::delivered)
               return answer(id, ack, boost::json::array{boost::json::object{}});
             push_unread(who, conversation, id, ack);
           });
    });
  }

  void announce_status(const persistence::watermark_change& m, persistence::watermark_kind kind) {
    broker_stats::bump(stats_.inbox_receipts);
    const bool read = kind == persistence::watermark_kind::read;
    auto msg = event_message(in_.sio(), "message:status",
                             boost::json::object{{"conversationId", m.conversation_id},
                                                 {"seq", read ? m.last_read_seq : m.last_delivered_seq},
                                                 {"status", read ? "read" : "delivered"},
                                                 {"readerType", persistence::to_string(m.reader)},
                                                 {"readerId", m.reader_id},
                                                 {"at", iso_time_now()}});
    msg->rooms = {conversation_room(m.conversation_id)};
    in_.sio().rooms().broadcast(std::move(msg));
  }

  // The reader's count in `conversation` and total, to their sockets and as the ack {unread}.
  void push_unread(const identity& who, const std::string& conversation, const std::string& id, ack_fn ack) {
    read(id, ack, persistence::reader_unread(reader_of(who), who.sub),
         [this, who, conversation, id, ack](const PGresult* r) {
           auto counts = persistence::parse_reader_unread(r);
           if (!counts) return refuse_later(id, ack, error_code::unavailable, "the database answered unexpectedly; retry");
           std::int64_t count = 0;
           for (const auto& c : counts->conversations)
             if (c.conversation_id == conversation) count = c.unread;
           auto msg = event_message(in_.sio(), "unread", boost::json::object{{"conversationId", conversation},
                                                                  {"count", count},
                                                                  {"total", counts->total}});
           msg->rooms = {identity_room(who)};
           in_.sio().rooms().broadcast(std::move(msg));
           answer(id, ack, boost::json::array{boost::json::object{{"unread", count}}});
         });
  }

  void unread(sio_socket& s, ack_fn ack) {
    const identity& who = state_of(s).who;
    const std::string id = s.id();
    read(id, ack, persistence::reader_unread(reader_of(who), who.sub), [this, id, ack](const PGresult* r) {
      auto counts = persistence::parse_reader_unread(r);
      if (!counts) return refuse_later(id, ack, error_code::unavailable, "the database answered unexpectedly; retry");
      boost::json::object per;
      for (const auto& c : counts->conversations) per[c.conversation_id] = c.unread;
      answer(id, ack, boost::json::array{boost::json::object{{"total", counts->total}, {"conversations", std::move(per)}}});
    });
  }

  // ---- typing and presence ----

  void typing(sio_socket& s, const boost::json::object& o, ack_fn ack, bool start) {
    bool bad = false;
    auto conversation = string_field(o, "conversationId", bad);
    if (bad || !conversation) return refuse(s, ack, error_code::bad_request, "takes {conversationId}");
    with_access(s, *conversation, ack, [this, ack, start, conversation = *conversation](sio_socket& s) {
      const identity& who = state_of(s).who;
      const std::string id = s.id();
      in_.typing(conversation, typist{std::string(to_string(who.role)), who.sub, who.name}, start,
                 [this, id, ack](std::int64_t wait) {
                   if (wait == 0) return answer(id, ack, boost::json::array{boost::json::object{}});
                   broker_stats::bump(stats_.rejected_events[std::size_t(error_code::rate_limited)]);
                   answer(id, ack, error_ack(error_code::rate_limited, "too many typing:start", wait));
                 });
    });
  }

  void presence(sio_socket& s, const boost::json::object& o, ack_fn ack) {
    bool bad = false;
    auto status = string_field(o, "status", bad);
    if (bad || !status || (*status != "online" && *status != "away"))
      return refuse(s, ack, error_code::bad_request, "presence:set takes {status: \"online\" or \"away\"}");
    const std::string id = s.id();
    in_.presence_set(state_of(s).who, *status == "away" ? presence_status::away : presence_status::online,
                     [this, id, ack](std::int64_t wait) {
                       if (wait == 0) return answer(id, ack, boost::json::array{boost::json::object{}});
                       broker_stats::bump(stats_.rejected_events[std::size_t(error_code::rate_limited)]);
                       answer(id, ack, error_ack(error_code::rate_limited, "too many presence:set", wait));
                     });
  }

  const inbox_config& cfg_;
  inbox_shard& in_;
  broker_stats& stats_;
};

}  // namespace

std::unique_ptr<sio_namespace_handler> make_inbox_namespace(const inbox_config& cfg, inbox_shard& inbox) {
  return std::make_unique<inbox_namespace>(cfg, inbox);
}

}  // namespace ringcast::broker::inbox
