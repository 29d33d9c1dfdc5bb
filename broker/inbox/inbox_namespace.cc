#include "broker/inbox/inbox_namespace.h"

#include <unordered_map>
#include <unordered_set>

#include "broker/inbox/errors.h"
#include "broker/inbox/inbox_operations.h"
#include "broker/inbox/payloads.h"
#include "persistence/inbox_conversations.h"
#include "persistence/queries.h"
#include "persistence/watermarks.h"
#include "protocol/socketio.h"
#include "reactor/log.h"

namespace ringcast::broker::inbox {
namespace {

using persistence::pg_outcome;
using ack_fn = std::optional<std::uint64_t>;

// Presence activity is reported to the identity's owner at most this often per socket.
constexpr auto activity_report_interval = std::chrono::seconds(30);

// What the inbox keeps per socket in sio_socket::user.
struct inbox_socket {
  identity who;
  std::unordered_map<std::string, std::string> joined;  // conversation id -> its customer's sub
  std::unordered_set<std::string> joining;
  unsigned creating = 0;  // conversation:create in progress: each joins what it creates
  reactor::shard::clock::time_point last_activity{};
  // What counts against --max-joined-conversations.
  std::size_t watching() const noexcept { return joined.size() + joining.size() + creating; }
};

inbox_socket& state_of(sio_socket& s) { return std::any_cast<inbox_socket&>(s.user); }

const boost::json::object* object_arg(const boost::json::array& args) {
  return !args.empty() && args[0].is_object() ? &args[0].as_object() : nullptr;
}

class inbox_namespace final : public sio_namespace_handler {
 public:
  inbox_namespace(const inbox_config& cfg, inbox_shard& inbox) : cfg_(cfg), in_(inbox), ops_(inbox), stats_(inbox.stats()) {}

  std::optional<boost::json::object> admit(sio_socket& s) override {
    std::string_view token;
    if (const auto* auth = s.auth().if_object())
      if (const auto* t = auth->if_contains("token"); t && t->is_string()) token = t->as_string();
    auth_result r = cfg_.verifier->verify(token, std::chrono::system_clock::now());
    if (r.who) {
      s.user = inbox_socket{std::move(*r.who), {}, {}, 0, in_.shard().now()};
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
    if (event == "message:send") return ops_.send(st.who, *o, known(s, *o), s.id(), reply(s, ack));
    if (event == "typing:start") return typing(s, *o, ack, true);
    if (event == "typing:stop") return typing(s, *o, ack, false);
    if (event == "message:read")
      return ops_.watermark(st.who, *o, persistence::watermark_kind::read, known(s, *o), reply(s, ack));
    if (event == "message:delivered")
      return ops_.watermark(st.who, *o, persistence::watermark_kind::delivered, known(s, *o), reply(s, ack));
    if (event == "conversation:join") return join(s, *o, ack);
    if (event == "conversation:leave") return leave(s, *o, ack);
    if (event == "conversation:create") return create(s, *o, ack);
    if (event == "conversation:list") return ops_.list(st.who, *o, reply(s, ack));
    if (event == "conversation:update") return ops_.update(st.who, *o, reply(s, ack));
    if (event == "message:history") return ops_.history(st.who, *o, known(s, *o), reply(s, ack));
    if (event == "presence:set") return presence(s, *o, ack);
    if (event == "unread:get") return ops_.unread(st.who, reply(s, ack));
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

  // An operation's completion: its result or error as the ack of socket `s`, if it is still there.
  op_done reply(sio_socket& s, ack_fn ack) {
    return [this, id = s.id(), ack](op_result r) {
      if (!r.error) return answer(id, ack, boost::json::array{std::move(r.value)});
      broker_stats::bump(stats_.rejected_events[std::size_t(r.error->code)]);
      answer(id, ack, error_ack(r.error->code, r.error->message, r.error->retry_after_ms));
    };
  }

  // A socket that joined the conversation had its access checked then.
  access known(sio_socket& s, const boost::json::object& o) {
    const auto* c = o.if_contains("conversationId");
    return c && c->is_string() && state_of(s).joined.count(std::string(c->as_string())) ? access::known : access::check;
  }

  // Checks that the socket may act on the conversation, then runs `next` with the socket.
  void with_access(sio_socket& s, const std::string& conversation, ack_fn ack,
                   reactor::unique_function<void(sio_socket&)> next) {
    if (!persistence::is_uuid(conversation)) return refuse(s, ack, error_code::bad_request, "conversationId is not a conversation id");
    if (state_of(s).joined.count(conversation)) return next(s);
    with_conversation(s, conversation, ack,
                      [next = std::move(next)](sio_socket& again, const persistence::inbox_conversation&) mutable {
                        next(again);
                      });
  }

  // Reads the conversation and checks access; `next` gets the socket and the conversation.
  void with_conversation(sio_socket& s, const std::string& conversation, ack_fn ack,
                         reactor::unique_function<void(sio_socket&, const persistence::inbox_conversation&)> next) {
    ops_.find_conversation(state_of(s).who, conversation,
                           [this, id = s.id(), ack, next = std::move(next)](const persistence::inbox_conversation* c,
                                                                             op_result r) mutable {
                             sio_socket* again = find(id);
                             if (!again) return;
                             if (!c) return refuse(*again, ack, r.error->code, r.error->message, r.error->retry_after_ms);
                             next(*again, *c);
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
    if (state_of(s).watching() >= in_.settings().max_joined)
      return refuse(s, ack, error_code::bad_request, "too many joined conversations");
    if (content)
      if (auto e = ops_.check_message(*content, *client_id)) return refuse(s, ack, e->code, e->message);
    const std::string customer_sub = who.role == role::customer ? who.sub : *customer;
    const std::optional<std::string> customer_name =
        who.role == role::customer && !who.name.empty() ? std::optional<std::string>(who.name) : std::nullopt;
    const std::string id = s.id();
    auto slot = std::make_shared<create_slot>(*this, s);
    // With a first message, a create whose message is stored already is a retry: it gets that
    // conversation (and the message, as a duplicate) instead of a second one.
    std::optional<persistence::first_message_key> first;
    if (content) first = persistence::first_message_key{std::string(to_string(who.role)), who.sub, *client_id};
    ops_.run(persistence::create_conversation(customer_sub, customer_name, channel, subject, first), true, reply(s, ack),
         [this, id, ack, content, client_id, slot](const PGresult* r, op_done failed) mutable {
           auto opened = persistence::parse_opened_conversation(r);
           if (!opened) return failed(op_result::fail(error_code::unavailable, "the conversation was not created"));
           const persistence::inbox_conversation c = opened->conversation;
           if (opened->created) ops_.announce_new(c);
           // A new conversation has no history: the creator joins it at once.
           auto after_join = [this, id, ack, c](boost::json::value message) {
             boost::json::object out{{"conversation", conversation_json(c)}};
             // A first message that was refused: the conversation exists, the error says why.
             if (auto* m = message.if_object(); m && m->contains("error")) out["error"] = (*m)["error"];
             else if (!message.is_null()) out["message"] = std::move(message);
             answer(id, ack, boost::json::array{std::move(out)});
           };
           // The first message, if any, once the socket is in the room; its ack (or error) goes in
           // the create's answer.
           auto send_first = [this, c, content, client_id, after_join](sio_socket& s) mutable {
             if (!content) return after_join(nullptr);
             in_.send_message(ops_.make_row(state_of(s).who, c.id, *content, *client_id, std::nullopt), s.id(),
                              [after_join](boost::json::array ack) mutable {
                                after_join(ack.empty() ? boost::json::value(nullptr) : std::move(ack[0]));
                              });
           };
           in_.begin_join(c.id, [this, id, c, after_join, send_first, slot](std::vector<typist>) mutable {
             (void)in_.finish_join(c.id, 0);
             sio_socket* s = find(id);
             if (!s) return in_.unwatch(c.id);
             if (state_of(*s).joined.count(c.id)) {
               in_.unwatch(c.id);  // a retry on the socket that made it: it watches already
               slot.reset();
               return send_first(*s);
             }
             if (!s->join(conversation_room(c.id))) {
               in_.unwatch(c.id);
               return after_join(error_ack(error_code::bad_request,
                                           "the socket is in too many rooms (--max-rooms-per-socket)")[0]);
             }
             start_watching(*s, c.id, c.customer_id.value_or(""));
             slot.reset();  // joined: counted there now
             if (c.customer_id) s->join(presence_room("customer", *c.customer_id));
             send_first(*s);
           });
         });
  }

  // A conversation:create in progress holds one of its socket's --max-joined-conversations slots
  // until the socket joins what it created, or the create fails.
  struct create_slot {
    inbox_namespace& ns;
    std::string socket_id;
    create_slot(inbox_namespace& n, sio_socket& s) : ns(n), socket_id(s.id()) { ++state_of(s).creating; }
    ~create_slot() {
      if (sio_socket* s = ns.find(socket_id)) --state_of(*s).creating;
    }
    create_slot(const create_slot&) = delete;
    create_slot& operator=(const create_slot&) = delete;
  };

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
    if (st.watching() >= in_.settings().max_joined)
      return refuse(s, ack, error_code::bad_request, "too many joined conversations");
    if (!persistence::is_uuid(*conversation)) return refuse(s, ack, error_code::bad_request, "conversationId is not a conversation id");
    with_conversation(s, *conversation, ack, [this, ack, since](sio_socket& s, const persistence::inbox_conversation& c) {
      const std::string id = s.id();
      // Again: other joins of this socket may have started while the conversation was read.
      inbox_socket& now = state_of(s);
      if (now.joined.count(c.id) || now.joining.count(c.id)) return refuse(s, ack, error_code::conflict, "already joined");
      if (now.watching() >= in_.settings().max_joined)
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
    // The history, this reader's read mark, everyone's marks (the ticks) and the presence of the
    // conversation's people, in one round trip. Later changes arrive as events once it is live.
    const std::string ids[1] = {c.id};
    persistence::query marks = persistence::unread_counts(reader_of(*who), who->sub, std::span(ids));
    persistence::query everyone = persistence::conversation_watermarks(c.id);
    persistence::pg_unit unit;
    unit.transaction = false;
    unit.statements.push_back({q.sql, std::move(q.params.values)});
    unit.statements.push_back({marks.sql, std::move(marks.params.values)});
    unit.statements.push_back({everyone.sql, std::move(everyone.params.values)});
    for (auto [type, person] : {std::pair{persistence::reader_type::customer, c.customer_id},
                                std::pair{persistence::reader_type::staff, c.assigned_staff_id}}) {
      const std::string people[1] = {person.value_or("")};
      persistence::query p = persistence::presence_of(type, person ? std::span(people) : std::span<const std::string>());
      unit.statements.push_back({p.sql, std::move(p.params.values)});
    }
    unit.done = [this, id, ack, since, c = std::move(c), typing = std::move(typing), give_up](pg_outcome& o) mutable {
      if (o.state != pg_outcome::status::ok || o.results.size() < 5) return give_up("the database did not answer; retry");
      auto page = since ? persistence::parse_history_since(o.results[0].get())
                        : persistence::parse_history_before(o.results[0].get(), 50);
      auto read_marks = persistence::parse_unread_counts(o.results[1].get());
      auto all_marks = persistence::parse_watermark_changes(o.results[2].get());
      auto customer = persistence::parse_presence(o.results[3].get());
      auto staff = persistence::parse_presence(o.results[4].get());
      if (!page || !read_marks || !all_marks || !customer || !staff)
        return give_up("the database answered unexpectedly; retry");
      join_snapshot snap;
      snap.typing = std::move(typing);
      snap.last_read = read_marks->empty() ? 0 : (*read_marks)[0].last_read_seq;
      for (const auto& m : *all_marks)
        snap.marks.push_back(boost::json::object{{"readerType", persistence::to_string(m.reader)},
                                                 {"readerId", m.reader_id},
                                                 {"lastReadSeq", m.last_read_seq},
                                                 {"lastDeliveredSeq", m.last_delivered_seq}});
      for (const auto* people : {&*customer, &*staff})
        for (const auto& p : *people)
          snap.presence.push_back(boost::json::object{{"userType", persistence::to_string(p.user)},
                                                      {"userId", p.user_id},
                                                      {"status", persistence::to_string(p.status)},
                                                      {"lastSeenAt", iso_time(p.last_seen_us)}});
      complete_join(id, ack, since, std::move(c), std::move(*page), std::move(snap));
    };
    pg->submit(std::move(unit));
  }

  // What a join shows besides the messages, as read with them.
  struct join_snapshot {
    std::vector<typist> typing;
    std::int64_t last_read = 0;   // this reader's read mark
    boost::json::array marks;     // every participant's {readerType, readerId, lastReadSeq, lastDeliveredSeq}
    boost::json::array presence;  // the customer's and the assigned staff user's, as stored
  };

  void complete_join(const std::string& id, ack_fn ack, std::optional<std::int64_t> since,
                     persistence::inbox_conversation c, persistence::history_page page, join_snapshot snap) {
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
    for (const auto& t : snap.typing) {
      boost::json::object e{{"userType", t.user_type}, {"userId", t.user_id}};
      if (!t.name.empty()) e["name"] = t.name;
      typists.push_back(std::move(e));
    }
    boost::json::object out{{"conversation", conversation_json(c)},
                            {"messages", std::move(messages)},
                            {"typing", std::move(typists)},
                            {"presence", std::move(snap.presence)},
                            {"readMarks", std::move(snap.marks)},
                            {"lastReadSeq", snap.last_read}};
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
  inbox_operations ops_;
  broker_stats& stats_;
};

}  // namespace

std::unique_ptr<sio_namespace_handler> make_inbox_namespace(const inbox_config& cfg, inbox_shard& inbox) {
  return std::make_unique<inbox_namespace>(cfg, inbox);
}

}  // namespace ringcast::broker::inbox
