#include "broker/inbox/inbox_shard.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "broker/inbox/errors.h"
#include "broker/inbox/payloads.h"
#include "broker/socketio/sio_server.h"
#include "protocol/socketio.h"
#include "persistence/inbox_conversations.h"
#include "persistence/watermarks.h"
#include "reactor/log.h"

namespace ringcast::broker::inbox {
namespace {

constexpr auto sweep_interval = std::chrono::seconds(60);

std::uint64_t fnv1a(std::string_view s) noexcept {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string identity_key(std::string_view type, std::string_view id) {
  std::string k(type);
  k += ':';
  k += id;
  return k;
}

}  // namespace

std::shared_ptr<broadcast_message> event_message(sio_server& sio, std::string_view event, boost::json::object payload) {
  auto msg = std::make_shared<broadcast_message>();
  msg->nsp = "/";
  msg->offset = sio.next_offset("/");
  boost::json::array args{std::move(payload)};
  if (!msg->offset.empty()) args.emplace_back(msg->offset);
  std::string text;
  protocol::encode_event(text, "/", event, args);
  msg->frames.push_back(make_shared_frame(protocol::opcode::text, {}, text));
  return msg;
}

unsigned owner_of(std::string_view key, unsigned shards) noexcept { return unsigned(fnv1a(key) % shards); }

inbox_shard::inbox_shard(reactor::shard& shard, sio_server& sio, persistence::pg_connection* pg,
                         persistence::batch_writer* writer, const inbox_settings& settings, broker_stats& stats,
                         const inbox_shards& peers)
    : shard_(shard),
      sio_(sio),
      pg_(pg),
      writer_(writer),
      settings_(settings),
      stats_(stats),
      peers_(peers),
      typing_(shard.timers(), settings.typing_ttl,
              [this](const std::string& c, const typist& who, bool typing) { typing_changed(c, who, typing); }),
      presence_(shard.timers(), settings.presence_away_after, settings.presence_grace,
                [this](const std::string& type, const std::string& id, presence_status s,
                       presence_tracker::wall_clock::time_point seen) { presence_changed(type, id, s, seen); }),
      typing_limit_(settings.typing_per_minute, std::chrono::minutes(1)),
      presence_limit_(settings.presence_per_minute, std::chrono::minutes(1)),
      reads_(settings.reads_per_minute, std::chrono::minutes(1)) {
  sio_.rooms().set_observer(this);
  if (pg_)
    receipts_ = std::make_unique<persistence::receipt_writer>(
        *pg_, settings.max_receipts_waiting,
        [this](persistence::watermark_kind kind, const persistence::watermark_change& m) { receipt_moved(kind, m); },
        &stats_.inbox_receipt_batches);
  sweep_timer_ = shard_.timers().schedule_after(sweep_interval, [this] {
    const auto now = shard_.now();
    typing_limit_.sweep(now);
    presence_limit_.sweep(now);
    reads_.sweep(now);
    shard_.timers().rearm_after(sweep_timer_, sweep_interval);
  });
}

inbox_shard::~inbox_shard() {
  shard_.timers().cancel(sweep_timer_);
  sio_.rooms().set_observer(nullptr);
}

// ---- joins, on the socket's shard ----

void inbox_shard::begin_join(const std::string& conversation, watched_fn ready) {
  ++joins_[conversation].waiting;
  ++watching_[conversation];
  const unsigned here = shard_.id();
  const unsigned owner = owner_of(conversation, shard_.count());
  const inbox_shards& peers = peers_;
  // Both legs are guaranteed: a lost one would leave the join waiting forever.
  shard_.post_guaranteed(owner, [&peers, conversation, here, ready = std::move(ready)](reactor::shard& o) mutable {
    inbox_shard& owner_side = peers.on(o);
    owner_side.watch(conversation, here);
    std::vector<typist> typing = owner_side.typing_.typing_in(conversation);
    o.post_guaranteed(here, [ready = std::move(ready), typing = std::move(typing)](reactor::shard&) mutable {
      ready(std::move(typing));
    });
  });
}

std::optional<std::vector<std::vector<shared_frame>>> inbox_shard::finish_join(const std::string& conversation,
                                                                               std::int64_t after_seq,
                                                                               std::string_view socket_id) {
  auto it = joins_.find(conversation);
  if (it == joins_.end()) return std::vector<std::vector<shared_frame>>{};
  join_buffer& b = it->second;
  std::optional<std::vector<std::vector<shared_frame>>> out;
  if (!b.overflowed) {
    out.emplace();
    for (const auto& k : b.kept)
      if (std::int64_t(k.seq) > after_seq && (socket_id.empty() || k.except_id != socket_id)) out->push_back(k.frames);
  }
  if (--b.waiting == 0) joins_.erase(it);
  return out;
}

void inbox_shard::unwatch(const std::string& conversation) {
  auto it = watching_.find(conversation);
  if (it == watching_.end()) return;
  if (--it->second > 0) return;
  watching_.erase(it);
  const unsigned here = shard_.id();
  const inbox_shards& peers = peers_;
  shard_.post_guaranteed(owner_of(conversation, shard_.count()), [&peers, conversation, here](reactor::shard& o) {
    peers.on(o).forget_watch(conversation, here);
  });
}

void inbox_shard::rewatch(const std::string& conversation) {
  if (watching_[conversation]++ > 0) return;
  const unsigned here = shard_.id();
  const inbox_shards& peers = peers_;
  shard_.post_guaranteed(owner_of(conversation, shard_.count()),
                         [&peers, conversation, here](reactor::shard& o) { peers.on(o).watch(conversation, here); });
}

void inbox_shard::on_broadcast(const broadcast_message& msg) noexcept {
  if (msg.topic.empty() || msg.seq == 0 || joins_.empty()) return;
  auto it = joins_.find(msg.topic);
  if (it == joins_.end() || it->second.overflowed) return;
  if (it->second.kept.size() >= settings_.max_join_buffer) {
    it->second.overflowed = true;
    it->second.kept.clear();
    return;
  }
  it->second.kept.push_back({msg.seq, msg.frames, msg.except_id});
}

// ---- the owner's side ----

void inbox_shard::watch(const std::string& conversation, unsigned shard) {
  watchers_[conversation] |= std::uint64_t{1} << shard;
}

void inbox_shard::forget_watch(const std::string& conversation, unsigned shard) {
  auto it = watchers_.find(conversation);
  if (it == watchers_.end()) return;
  it->second &= ~(std::uint64_t{1} << shard);
  if (it->second == 0) watchers_.erase(it);
}

void inbox_shard::fan_out(const std::string& conversation, std::shared_ptr<broadcast_message> msg) {
  auto it = watchers_.find(conversation);
  const std::uint64_t extra = it == watchers_.end() ? 0 : it->second;
  sio_.rooms().broadcast(std::move(msg), extra);
}

void inbox_shard::send_message(persistence::persist_row row, std::string sender_socket, send_done_fn done) {
  const unsigned here = shard_.id();
  const unsigned owner = owner_of(row.conversation, shard_.count());
  const inbox_shards& peers = peers_;
  const bool queued = shard_.post(owner, [&peers, row = std::move(row), sender_socket = std::move(sender_socket), here,
                                          done = std::move(done)](reactor::shard& o) mutable {
    peers.on(o).commit(std::move(row), std::move(sender_socket), here, std::move(done));
  });
  // Not queued: the owner is that far behind; refused like a full backlog (nothing was stored).
  if (!queued) done(error_ack(error_code::unavailable, "the conversation's shard is overloaded; retry", 1000));
}

void inbox_shard::commit(persistence::persist_row row, std::string sender_socket, unsigned reply_shard,
                         send_done_fn done) {
  // Replies go back to the sender's shard whatever the outcome; committed ones must arrive.
  auto reply = [this, reply_shard](send_done_fn done, boost::json::array ack) {
    shard_.post_guaranteed(reply_shard,
                           [done = std::move(done), ack = std::move(ack)](reactor::shard&) mutable { done(std::move(ack)); });
  };
  if (!writer_) return reply(std::move(done), error_ack(error_code::unavailable, "no database is configured"));
  // What the fan-out needs once committed, kept apart from the row the writer takes.
  boost::json::object base{{"conversationId", row.conversation},
                           {"senderType", row.sender_type},
                           {"senderId", row.sender_id},
                           {"content", row.content},
                           {"clientId", row.client_message_id}};
  if (row.sender_name) base["senderName"] = *row.sender_name;
  if (row.ai)
    base["ai"] = boost::json::object{{"confidence", double(row.ai->confidence)},
                                     {"intent", row.ai->intent},
                                     {"processingTimeMs", row.ai->processing_time_ms}};
  if (row.attachments_json) {
    boost::system::error_code ec;
    auto v = boost::json::parse(*row.attachments_json, ec);
    if (!ec) base["attachments"] = std::move(v);
  }
  const std::string conversation = row.conversation;
  const std::string sender_type = row.sender_type, sender_id = row.sender_id;
  const std::string content_for_ai = row.wants_ai ? row.content : std::string();
  const auto started = shard_.now();
  // The AI's replies race a deadline: they go ahead of waiting customer and staff messages.
  const bool urgent = row.ai.has_value();
  auto done_shared = std::make_shared<send_done_fn>(std::move(done));
  const bool accepted = writer_->submit(
      std::move(row), [this, base = std::move(base), conversation, sender_type, sender_id, sender_socket, started,
                       done_shared, reply, content_for_ai](const persistence::persist_result& r) mutable {
        using status = persistence::persist_result::status;
        if (r.state == status::conflict || r.answer.conflict)
          return reply(std::move(*done_shared),
                       error_ack(error_code::conflict, "this clientId was already used in another conversation"));
        if (r.state != status::ok)
          return reply(std::move(*done_shared), error_ack(error_code::unavailable, "the message was not stored: " + r.error));
        if (r.answer.duplicate) return answer_duplicate(conversation, r.answer.seq, std::move(*done_shared), reply);
        boost::json::object m = base;
        m["id"] = r.answer.id;
        m["seq"] = r.answer.seq;
        m["createdAt"] = iso_time(r.answer.created_at_us);
        {
          broker_stats::bump(stats_.inbox_messages_stored);
          stats_.inbox_ack_latency.observe(
              std::chrono::duration_cast<std::chrono::microseconds>(shard_.now() - started).count());
          // Sending a message ends its sender's typing, shown before the message itself.
          typing_.stop(conversation, sender_type, sender_id);
          auto msg = event_message(sio_, "message:new", m);
          msg->rooms = {conversation_room(conversation), std::string(staff_feed_room)};
          msg->except_id = sender_socket;
          msg->topic = conversation;
          msg->seq = std::uint64_t(r.answer.seq);
          msg->guaranteed = true;
          fan_out(conversation, std::move(msg));
          push_unread_after(conversation, sender_type, r.answer.customer, r.answer.assigned_staff);
          if (r.answer.ai_job && ai_hooks_.job_created)
            ai_hooks_.job_created(committed_ai_job{r.answer.ai_job, r.answer.ai_priority, conversation, r.answer.seq,
                                                   content_for_ai, shard_.now()});
          if (r.answer.delivery && delivery_hook_) delivery_hook_(r.answer.delivery, conversation);
          if (sender_type == "staff" && ai_hooks_.human_took_over) ai_hooks_.human_took_over(conversation, sender_id);
        }
        m["duplicate"] = false;
        reply(std::move(*done_shared), boost::json::array{std::move(m)});
      },
      urgent);
  if (!accepted)
    reply(std::move(*done_shared), error_ack(error_code::unavailable, "the write backlog is full; retry", 1000));
}

void inbox_shard::receipt_moved(persistence::watermark_kind kind, const persistence::watermark_change& m) {
  broker_stats::bump(stats_.inbox_receipts);
  const bool read = kind == persistence::watermark_kind::read;
  auto msg = event_message(sio_, "message:status",
                           boost::json::object{{"conversationId", m.conversation_id},
                                               {"seq", read ? m.last_read_seq : m.last_delivered_seq},
                                               {"status", read ? "read" : "delivered"},
                                               {"readerType", persistence::to_string(m.reader)},
                                               {"readerId", m.reader_id},
                                               {"at", iso_time_now()}});
  msg->rooms = {conversation_room(m.conversation_id)};
  sio_.rooms().broadcast(std::move(msg));
}

void inbox_shard::read_once(persistence::query q, reactor::unique_function<void(const PGresult*)> next) {
  if (!pg_ || !pg_->ready()) return;
  persistence::pg_unit unit;
  unit.transaction = false;
  unit.statements.push_back({q.sql, std::move(q.params.values)});
  unit.done = [next = std::move(next)](persistence::pg_outcome& o) mutable {
    if (o.state == persistence::pg_outcome::status::ok && !o.results.empty()) next(o.results[0].get());
  };
  pg_->submit(std::move(unit));
}

void inbox_shard::push_unread_after(const std::string& conversation, const std::string& sender_type,
                                    const std::optional<std::string>& customer,
                                    const std::optional<std::string>& assigned_staff) {
  // One read per stored message, and only when the other side has someone: the commit named the
  // conversation's customer and assignee. A count that cannot be read now is read again by the
  // client's unread:get (the push is a convenience, the count is in the database).
  const bool to_staff = sender_type == "customer";
  const std::optional<std::string>& who = to_staff ? assigned_staff : customer;
  if (!who) return;
  const std::string type = to_staff ? "staff" : "customer";
  const auto reader = to_staff ? persistence::reader_type::staff : persistence::reader_type::customer;
  read_once(persistence::reader_unread(reader, *who), [this, conversation, type, sub = *who](const PGresult* r) {
    auto counts = persistence::parse_reader_unread(r);
    if (!counts) return;
    std::int64_t count = 0;
    for (const auto& u : counts->conversations)
      if (u.conversation_id == conversation) count = u.unread;
    auto msg = event_message(sio_, "unread",
                             boost::json::object{{"conversationId", conversation}, {"count", count}, {"total", counts->total}});
    msg->rooms = {identity_room(type, sub)};
    sio_.rooms().broadcast(std::move(msg));
  });
}

template <class Reply>
void inbox_shard::answer_duplicate(const std::string& conversation, std::int64_t seq, send_done_fn done, Reply reply) {
  // A retried send gets the original message back, as stored (not the retry's content).
  if (!pg_ || !pg_->ready())
    return reply(std::move(done), error_ack(error_code::unavailable, "the database is not reachable; retry"));
  persistence::query q = persistence::history_range(conversation, seq, seq, 1);
  persistence::pg_unit unit;
  unit.transaction = false;
  unit.statements.push_back({q.sql, std::move(q.params.values)});
  unit.done = [done = std::move(done), reply](persistence::pg_outcome& o) mutable {
    std::optional<std::vector<persistence::message_record>> rows;
    if (o.state == persistence::pg_outcome::status::ok && !o.results.empty())
      rows = persistence::parse_history(o.results[0].get());
    if (!rows || rows->empty())
      return reply(std::move(done), error_ack(error_code::unavailable, "the stored message could not be read; retry"));
    boost::json::object m = message_json((*rows)[0]);
    m["duplicate"] = true;
    reply(std::move(done), boost::json::array{std::move(m)});
  };
  pg_->submit(std::move(unit));
}

// ---- typing (conversation owner) ----

void inbox_shard::typing(const std::string& conversation, const typist& who, bool start, verdict_fn done) {
  const unsigned here = shard_.id();
  const inbox_shards& peers = peers_;
  shard_.post_guaranteed(owner_of(conversation, shard_.count()),
                         [&peers, conversation, who, start, here, done = std::move(done)](reactor::shard& o) mutable {
                           inbox_shard& owner = peers.on(o);
                           std::int64_t wait = 0;
                           if (start) {
                             const std::string key = conversation + '\n' + who.user_type + ':' + who.user_id;
                             wait = owner.typing_limit_.take(key, o.now());
                             if (wait == 0) owner.typing_.start(conversation, who);
                           } else {
                             owner.typing_.stop(conversation, who.user_type, who.user_id);
                           }
                           o.post_guaranteed(here, [done = std::move(done), wait](reactor::shard&) mutable { done(wait); });
                         });
}

void inbox_shard::human_took_over(const std::string& conversation) {
  const inbox_shards& peers = peers_;
  shard_.post_guaranteed(owner_of(conversation, shard_.count()), [&peers, conversation](reactor::shard& o) {
    inbox_shard& owner = peers.on(o);
    if (owner.ai_hooks_.human_took_over) owner.ai_hooks_.human_took_over(conversation, std::string());
  });
}

void inbox_shard::assistant_typing(const std::string& conversation, const typist& who, bool typing) {
  if (typing) typing_.start(conversation, who);
  else typing_.stop(conversation, who.user_type, who.user_id);
}

void inbox_shard::typing_changed(const std::string& conversation, const typist& who, bool typing) {
  broker_stats::bump(stats_.inbox_typing_events);
  boost::json::object e{{"conversationId", conversation},
                        {"userType", who.user_type},
                        {"userId", who.user_id},
                        {"isTyping", typing}};
  if (!who.name.empty()) e["name"] = who.name;
  if (typing) {
    const auto expires = std::chrono::system_clock::now() + settings_.typing_ttl;
    e["expiresAt"] = iso_time(std::chrono::duration_cast<std::chrono::microseconds>(expires.time_since_epoch()).count());
  }
  auto msg = event_message(sio_, "typing", std::move(e));
  msg->rooms = {conversation_room(conversation)};
  // Not to the typist's own sockets (any of their tabs).
  msg->except = {identity_room(who.user_type, who.user_id)};
  fan_out(conversation, std::move(msg));
}

// ---- presence (identity owner) ----

void inbox_shard::presence_connected(const identity& who) {
  const std::string type(to_string(who.role));
  const inbox_shards& peers = peers_;
  shard_.post_guaranteed(owner_of(identity_key(type, who.sub), shard_.count()),
                         [&peers, type, id = who.sub](reactor::shard& o) { peers.on(o).presence_.connected(type, id); });
}

void inbox_shard::presence_disconnected(const identity& who) {
  const std::string type(to_string(who.role));
  const inbox_shards& peers = peers_;
  shard_.post_guaranteed(owner_of(identity_key(type, who.sub), shard_.count()),
                         [&peers, type, id = who.sub](reactor::shard& o) { peers.on(o).presence_.disconnected(type, id); });
}

void inbox_shard::presence_activity(const identity& who) {
  const std::string type(to_string(who.role));
  const inbox_shards& peers = peers_;
  // Activity is a hint: dropping one under a full mailbox only delays "online" by the next event.
  (void)shard_.post(owner_of(identity_key(type, who.sub), shard_.count()),
                    [&peers, type, id = who.sub](reactor::shard& o) { peers.on(o).presence_.activity(type, id); });
}

void inbox_shard::presence_set(const identity& who, presence_status status, verdict_fn done) {
  const std::string type(to_string(who.role));
  const unsigned here = shard_.id();
  const inbox_shards& peers = peers_;
  shard_.post_guaranteed(owner_of(identity_key(type, who.sub), shard_.count()),
                         [&peers, type, id = who.sub, status, here, done = std::move(done)](reactor::shard& o) mutable {
                           inbox_shard& owner = peers.on(o);
                           const std::int64_t wait = owner.presence_limit_.take(identity_key(type, id), o.now());
                           if (wait == 0) owner.presence_.set(type, id, status);
                           o.post_guaranteed(here, [done = std::move(done), wait](reactor::shard&) mutable { done(wait); });
                         });
}

void inbox_shard::presence_changed(const std::string& type, const std::string& id, presence_status status,
                                   presence_tracker::wall_clock::time_point last_seen) {
  broker_stats::bump(stats_.inbox_presence_events);
  const std::int64_t seen_us =
      std::chrono::duration_cast<std::chrono::microseconds>(last_seen.time_since_epoch()).count();
  auto msg = event_message(sio_, "presence", boost::json::object{{"userType", type},
                                                           {"userId", id},
                                                           {"status", to_string(status)},
                                                           {"lastSeenAt", iso_time(seen_us)}});
  msg->rooms = {presence_room(type, id), std::string(staff_feed_room)};
  sio_.rooms().broadcast(std::move(msg));
  // last_seen is stored; a failure only loses a presence hint, so it is logged, not retried.
  if (!pg_ || !pg_->ready()) return;
  persistence::presence_update u;
  u.user = type == "staff" ? persistence::reader_type::staff : persistence::reader_type::customer;
  u.user_id = id;
  u.status = status;
  u.last_seen_us = seen_us;
  persistence::query q = persistence::upsert_presence(std::span(&u, 1));
  persistence::pg_unit unit;
  unit.transaction = true;  // committed by its answer, not at some later sync point
  unit.statements.push_back({q.sql, q.params.values});
  unit.done = [](persistence::pg_outcome& o) {
    if (o.state == persistence::pg_outcome::status::failed)
      reactor::log(reactor::log_level::warn, "storing presence failed: %s", o.error.c_str());
  };
  pg_->submit(std::move(unit));
}

}  // namespace ringcast::broker::inbox
