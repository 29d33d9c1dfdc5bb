#include "broker/app/reader_events.h"

#include <boost/json/object.hpp>
#include <unordered_map>

#include "broker/app/broker_app.h"
#include "persistence/array_literal.h"
#include "persistence/queries.h"

namespace ringcast::broker {
namespace {

using persistence::pg_outcome;

struct reply_to {
  broker_app* app;
  std::string session;
  std::string nsp;
  std::uint64_t ack_id;

  void operator()(boost::json::value v) const {
    eio_session* s = app->socketio_engine().find(session);
    if (!s) return;
    if (sio_socket* sock = sio_server::find_socket(*s, nsp)) sock->ack(ack_id, boost::json::array{std::move(v)});
  }
};

boost::json::value error(std::string_view code, std::string_view message, bool retryable) {
  return boost::json::object{{"error", boost::json::object{{"code", code}, {"message", message}, {"retryable", retryable}}}};
}

// Runs one statement and hands its result, or an error value, to `next`. A write runs in its own
// transaction: outside one it would commit only at the pipeline's next sync point, after its answer.
void run(persistence::pg_connection& pg, const persistence::query& q, reply_to reply,
         reactor::unique_function<void(const PGresult*, reply_to&)> next, bool write = false) {
  if (!pg.ready()) return reply(error("unavailable", "the database is not reachable; retry", true));
  persistence::pg_unit unit;
  unit.transaction = write;
  unit.statements.push_back({q.sql, q.params.values});
  unit.done = [reply = std::move(reply), next = std::move(next)](pg_outcome& o) mutable {
    if (o.state == pg_outcome::status::lost) return reply(error("unavailable", "the database went away; retry", true));
    // A write pipelined ahead of this read failed, so the read never ran; it would succeed now.
    if (o.state == pg_outcome::status::aborted)
      return reply(error("unavailable", "the query was cancelled by an earlier failure; retry", true));
    if (o.state == pg_outcome::status::failed || o.results.empty()) return reply(error("query_failed", o.error, false));
    next(o.results[0].get(), reply);
  };
  pg.submit(std::move(unit));
}

// Conversation keys -> ids, then `next` with the ids of those that exist.
void with_ids(persistence::pg_connection& pg, std::vector<std::string> keys, reply_to reply,
              reactor::unique_function<void(std::unordered_map<std::string, std::string>, reply_to&)> next) {
  persistence::array_literal arr;
  for (const auto& k : keys) arr.text(std::string_view(k));
  persistence::query q{"SELECT external_key, id::text FROM conversations WHERE external_key = ANY($1::text[])",
                       {{arr.take()}}};
  run(pg, q, std::move(reply), [next = std::move(next)](const PGresult* r, reply_to& rt) mutable {
    std::unordered_map<std::string, std::string> ids;
    for (int i = 0; i < PQntuples(r); ++i) ids.emplace(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    next(std::move(ids), rt);
  });
}

std::int64_t int_or(const boost::json::object& o, std::string_view key, std::int64_t fallback) {
  const auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : fallback;
}

const boost::json::string* str(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v ? v->if_string() : nullptr;
}

boost::json::object message_json(const persistence::message_record& m) {
  boost::json::object o;
  o["id"] = m.id;
  o["seq"] = m.seq;
  o["senderType"] = persistence::to_string(m.sender_type);
  o["senderId"] = m.sender_id;
  o["content"] = m.content;
  if (m.client_message_id) o["clientId"] = *m.client_message_id;
  o["createdAt"] = m.created_at_us / 1000;
  return o;
}

}  // namespace

bool handle_reader_event(broker_app& app, sio_socket& s, std::string_view event, const boost::json::array& args,
                         std::uint64_t ack_id) {
  if (event != "history" && event != "markRead" && event != "unread" && event != "conversations") return false;
  reply_to reply{&app, s.session_id(), s.nsp(), ack_id};
  persistence::pg_connection* pg = app.database();
  if (!pg) {
    reply(error("unavailable", "no database is configured", false));
    return true;
  }
  static const boost::json::object empty;
  const boost::json::object& o = !args.empty() && args[0].is_object() ? args[0].as_object() : empty;
  std::string reader = "anonymous";
  auto reader_kind = persistence::reader_type::customer;
  if (const auto* auth = s.auth().if_object()) {
    if (const auto* u = str(*auth, "userId")) reader = std::string(*u);
    if (const auto* r = str(*auth, "role"); r && *r == "staff") reader_kind = persistence::reader_type::staff;
  }

  if (event == "conversations") {
    const auto* status = str(o, "status");
    auto q = persistence::conversation_list(status ? std::string_view(*status) : "open", int(int_or(o, "limit", 50)));
    run(*pg, q, std::move(reply), [](const PGresult* r, reply_to& rt) {
      auto list = persistence::parse_conversation_list(r);
      if (!list) return rt(error("query_failed", "unexpected result", false));
      boost::json::array out;
      for (const auto& c : *list)
        out.push_back(boost::json::object{{"key", c.external_key ? boost::json::value(*c.external_key) : nullptr},
                                          {"status", c.status}, {"priority", c.priority}, {"lastSeq", c.last_seq}});
      rt(boost::json::object{{"conversations", std::move(out)}});
    });
    return true;
  }

  if (event == "unread") {
    const auto* list = o.if_contains("conversations");
    if (!list || !list->is_array()) {
      reply(error("invalid_argument", "unread expects {conversations: [names]}", false));
      return true;
    }
    std::vector<std::string> keys;
    for (const auto& k : list->as_array())
      if (k.is_string()) keys.emplace_back(k.as_string());
    with_ids(*pg, keys, std::move(reply),
             [pg, reader, reader_kind](std::unordered_map<std::string, std::string> ids, reply_to& rt) {
               std::vector<std::string> id_list;
               std::unordered_map<std::string, std::string> key_of;
               for (auto& [k, id] : ids) {
                 id_list.push_back(id);
                 key_of[id] = k;
               }
               run(*pg, persistence::unread_counts(reader_kind, reader, id_list), std::move(rt),
                   [key_of = std::move(key_of)](const PGresult* r, reply_to& rt2) {
                     auto counts = persistence::parse_unread_counts(r);
                     if (!counts) return rt2(error("query_failed", "unexpected result", false));
                     boost::json::object out;
                     for (const auto& c : *counts) out[key_of.at(c.conversation_id)] = c.unread;
                     rt2(boost::json::object{{"counts", std::move(out)}});
                   });
             });
    return true;
  }

  const auto* key = str(o, "conversation");
  if (!key || key->empty()) {
    reply(error("invalid_argument", "conversation must be a non-empty string", false));
    return true;
  }
  const std::int64_t seq = int_or(o, "seq", -1);
  const std::int64_t from = int_or(o, "from", -1), to = int_or(o, "to", -1), newest = int_or(o, "newest", -1);
  if (event == "markRead" && seq < 0) {
    reply(error("invalid_argument", "markRead expects {conversation, seq}", false));
    return true;
  }
  std::string k(*key);
  std::string ev(event);
  with_ids(*pg, {k}, std::move(reply),
           [pg, k, ev, seq, from, to, newest, reader, reader_kind](std::unordered_map<std::string, std::string> ids,
                                                                    reply_to& rt) {
             auto it = ids.find(k);
             if (it == ids.end()) return rt(error("not_found", "no such conversation", false));
             if (ev == "markRead") {
               run(*pg, persistence::mark_read(it->second, reader_kind, reader, seq), std::move(rt),
                   [](const PGresult*, reply_to& rt2) { rt2(boost::json::object{{"ok", true}}); }, true);
               return;
             }
             auto q = from >= 0 ? persistence::history_range(it->second, from, to >= 0 ? to : INT64_MAX, 1000)
                                : persistence::history_newest(it->second, int(newest > 0 ? newest : 50));
             run(*pg, q, std::move(rt), [](const PGresult* r, reply_to& rt2) {
               auto msgs = persistence::parse_history(r);
               if (!msgs) return rt2(error("query_failed", "unexpected result", false));
               boost::json::array out;
               for (const auto& m : *msgs) out.push_back(message_json(m));
               rt2(boost::json::object{{"messages", std::move(out)}});
             });
           });
  return true;
}

}  // namespace ringcast::broker
