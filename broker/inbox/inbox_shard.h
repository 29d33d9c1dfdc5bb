#pragma once
// The inbox's part of one shard. Two roles, by owner rule:
// - A conversation is owned by shard fnv1a(id) % N. The owner sequences its messages (through its
//   group-commit writer), fans each out once in seq order, holds its typing state, and knows which
//   shards have sockets watching it (joined or joining).
// - An identity (user type + id) is owned by shard fnv1a(type:id) % N, which tracks its presence.
// Every other shard reaches the owners through the mailbox. The socket-facing events are in
// inbox_namespace.cc; this class offers them what needs an owner or crosses shards.
//
// Joining without a gap or a duplicate at the seam: the socket's shard starts keeping the
// conversation's broadcasts that reach it, asks the owner to send it every later broadcast, then
// reads the history; it answers the join, replays the kept messages newer than the history, and
// only then adds the socket to the room. Everything committed before the read is in the history,
// everything after reaches the shard once the owner knows it watches.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/http/shared_frame.h"
#include "broker/inbox/identity.h"
#include "broker/inbox/presence_tracker.h"
#include "broker/inbox/rate_limiter.h"
#include "broker/inbox/room_names.h"
#include "broker/inbox/typing_tracker.h"
#include "broker/socketio/rooms.h"
#include "broker/stats/broker_stats.h"
#include "persistence/batch_writer.h"
#include "persistence/pg_connection.h"
#include "persistence/receipt_writer.h"
#include "persistence/queries.h"
#include "reactor/per_shard.h"

namespace ringcast::broker {
class sio_server;
}

namespace ringcast::broker::inbox {

struct inbox_settings {
  std::chrono::milliseconds typing_ttl{5000};
  std::chrono::milliseconds presence_away_after{300000};
  std::chrono::milliseconds presence_grace{10000};
  std::size_t max_message_bytes = 64 * 1024;
  std::size_t max_joined = 100;  // conversations one socket may have joined
  // Broadcasts kept per conversation and shard while joins there read their history; a join
  // whose conversation gets more meanwhile is refused as unavailable (retryable).
  std::size_t max_join_buffer = 4096;
  unsigned typing_per_minute = 10;
  unsigned presence_per_minute = 6;
  unsigned reads_per_minute = 60;
  // Read and delivered marks a shard holds while their batch waits (--db-backlog, like messages);
  // past it a mark gets a retryable error.
  std::size_t max_receipts_waiting = 50'000;
  // Customer messages ask for an AI answer (an ai_jobs row in their transaction).
  bool ai_replies = false;
  std::vector<std::string> urgent_words;  // such a message's AI job gets priority 1
};

// A customer's message committed with an AI job, as its owner shard hands it to the AI.
struct committed_ai_job {
  std::int64_t job = 0;
  int priority = 3;
  std::string conversation;
  std::int64_t seq = 0;
  std::string content;
  std::chrono::steady_clock::time_point committed;  // the owner shard's clock
};

// What the AI (which depends on the inbox) wants to hear from a conversation's owner.
struct ai_hooks {
  reactor::unique_function<void(committed_ai_job)> job_created;
  // A human took the conversation over: a staff message committed (`staff_sub` is its sender), or
  // an update assigned staff or required a human (`staff_sub` empty). The assistant goes quiet.
  reactor::unique_function<void(const std::string& conversation, const std::string& staff_sub)> human_took_over;
};

class inbox_shard;
using inbox_shards = reactor::per_shard<inbox_shard>;

unsigned owner_of(std::string_view key, unsigned shards) noexcept;

// An event of namespace "/" encoded once, for every recipient, with this shard's next recovery
// offset as its last argument (connection state recovery); the caller sets its rooms.
std::shared_ptr<broadcast_message> event_message(sio_server& sio, std::string_view event, boost::json::object payload);

class inbox_shard final : public room_observer {
 public:
  inbox_shard(reactor::shard& shard, sio_server& sio, persistence::pg_connection* pg, persistence::batch_writer* writer,
              const inbox_settings& settings, broker_stats& stats, const inbox_shards& peers);
  ~inbox_shard() override;

  reactor::shard& shard() noexcept { return shard_; }
  sio_server& sio() noexcept { return sio_; }
  persistence::pg_connection* database() noexcept { return pg_; }
  const inbox_settings& settings() const noexcept { return settings_; }
  broker_stats& stats() noexcept { return stats_; }
  rate_limiter& read_limiter() noexcept { return reads_; }
  // Stores read and delivered marks in batches (none without a database); each mark that moves
  // is announced to its conversation as message:status.
  persistence::receipt_writer* receipts() noexcept { return receipts_.get(); }

  // ---- on the socket's shard ----
  // Starts keeping the conversation's broadcasts for a join, and asks its owner to send this shard
  // every later one; `ready` runs here once the owner has, with who is typing there.
  using watched_fn = reactor::unique_function<void(std::vector<typist> typing)>;
  void begin_join(const std::string& conversation, watched_fn ready);
  // Ends a join: hands back the kept broadcasts newer than `after_seq` that are not meant to skip
  // socket `socket_id` (its own sends) (nullopt: the buffer overflowed, the join must be refused)
  // and stops keeping them if no other join waits.
  std::optional<std::vector<std::vector<shared_frame>>> finish_join(const std::string& conversation,
                                                                    std::int64_t after_seq,
                                                                    std::string_view socket_id = {});
  // A socket of this shard stopped watching (left, disconnected, or a join that failed).
  void unwatch(const std::string& conversation);
  // A socket restored by connection state recovery is back in the conversation's room.
  void rewatch(const std::string& conversation);

  // ---- forwarded to the owners ----
  using send_done_fn = reactor::unique_function<void(boost::json::array ack)>;
  // Stores the message through the conversation owner's writer; `done` runs on this shard with the
  // ack arguments ({message..., duplicate} or an error).
  void send_message(persistence::persist_row row, std::string sender_socket, send_done_fn done);
  using verdict_fn = reactor::unique_function<void(std::int64_t retry_after_ms)>;  // 0: done
  void typing(const std::string& conversation, const typist& who, bool start, verdict_fn done);
  void presence_connected(const identity& who);
  void presence_disconnected(const identity& who);
  void presence_activity(const identity& who);
  void presence_set(const identity& who, presence_status status, verdict_fn done);

  // ---- owner side, for the AI ----
  void set_ai_hooks(ai_hooks hooks) { ai_hooks_ = std::move(hooks); }
  // ---- owner side, for outbound delivery ----
  // A staff or AI message committed in a channel conversation with its outbound delivery row.
  using delivery_hook = reactor::unique_function<void(std::int64_t delivery, const std::string& conversation)>;
  void set_delivery_hook(delivery_hook hook) { delivery_hook_ = std::move(hook); }
  // Any shard: tells the conversation's owner that an update gave it to a human.
  void human_took_over(const std::string& conversation);
  // The assistant starts or stops typing (no rate limit: the AI is not a client).
  void assistant_typing(const std::string& conversation, const typist& who, bool typing);

  // Fans an event of `conversation` out from its owner, to the conversation's room and `also`.
  void fan_out(const std::string& conversation, std::shared_ptr<broadcast_message> msg);

  void on_broadcast(const broadcast_message& msg) noexcept override;

 private:
  struct join_buffer {
    unsigned waiting = 0;  // joins of this shard in progress
    bool overflowed = false;
    struct kept_message {
      std::uint64_t seq;
      std::vector<shared_frame> frames;
      std::string except_id;
    };
    std::vector<kept_message> kept;
  };
  // Owner side.
  void watch(const std::string& conversation, unsigned shard);
  void forget_watch(const std::string& conversation, unsigned shard);
  void commit(persistence::persist_row row, std::string sender_socket, unsigned reply_shard, send_done_fn done);
  // The other side of the conversation (its customer, or its assigned staff user when the customer
  // wrote) has one more unread message: their sockets get `unread`.
  void push_unread_after(const std::string& conversation, const std::string& sender_type,
                         const std::optional<std::string>& customer, const std::optional<std::string>& assigned_staff);
  void read_once(persistence::query q, reactor::unique_function<void(const PGresult*)> next);
  template <class Reply>
  void answer_duplicate(const std::string& conversation, std::int64_t seq, send_done_fn done, Reply reply);
  void typing_changed(const std::string& conversation, const typist& who, bool typing);
  void receipt_moved(persistence::watermark_kind kind, const persistence::watermark_change& m);
  void presence_changed(const std::string& type, const std::string& id, presence_status status,
                        presence_tracker::wall_clock::time_point last_seen);

  reactor::shard& shard_;
  sio_server& sio_;
  persistence::pg_connection* pg_;
  persistence::batch_writer* writer_;
  inbox_settings settings_;
  broker_stats& stats_;
  const inbox_shards& peers_;
  ai_hooks ai_hooks_;
  delivery_hook delivery_hook_;
  typing_tracker typing_;
  presence_tracker presence_;
  rate_limiter typing_limit_, presence_limit_, reads_;
  reactor::timer_id sweep_timer_{};
  std::unique_ptr<persistence::receipt_writer> receipts_;
  // Owner side: the shards with sockets watching each conversation (one bit per shard).
  std::unordered_map<std::string, std::uint64_t> watchers_;
  // Socket side: how many sockets of this shard watch each conversation, and joins in progress.
  std::unordered_map<std::string, unsigned> watching_;
  std::unordered_map<std::string, join_buffer> joins_;
};

}  // namespace ringcast::broker::inbox
