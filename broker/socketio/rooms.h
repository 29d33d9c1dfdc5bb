#pragma once
// Rooms of one shard and broadcasts across shards. Each shard keeps its own members and a replica
// of which other shards have members of each room (updated through the mailbox when a shard's
// first member joins or its last leaves), so a broadcast costs one mailbox message per shard that
// has recipients, and one encoded frame shared by every recipient everywhere.
//
// Connection state recovery: a broadcast carries an offset (its origin shard and a sequence number,
// the same string for every recipient, encoded once into its frames). Each shard keeps the last
// --recovery-buffer broadcasts it delivered, so a recovering socket gets those after its offset.
// A saved session "holds" its rooms on its shard, so broadcasts keep arriving there while it is away.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/engineio/random_ids.h"
#include "broker/http/shared_frame.h"
#include "broker/stats/broker_stats.h"
#include "reactor/per_shard.h"
#include "reactor/shard.h"

namespace ringcast::broker {

class sio_socket;
class room_registry;

// Every shard's room registry: broadcasts and membership replicas are applied on the target shard.
using room_registries = reactor::per_shard<room_registry>;

struct broadcast_message {
  std::string nsp;
  std::vector<std::string> rooms;   // empty: every socket of the namespace
  std::vector<std::string> except;  // sockets in any of these rooms are skipped
  std::vector<shared_frame> frames;     // the packet, then its binary attachments
  std::string except_id;            // a socket (by id, on whichever shard has it) that is skipped
  // What the broadcast carries, for observers (rooms.h room_observer): an inbox message's
  // conversation and seq. Empty and 0 for plain room broadcasts.
  std::string topic;
  std::uint64_t seq = 0;
  // Committed data (an inbox message): never dropped for a busy mailbox, which the writer's
  // bounded backlog bounds in turn. Plain broadcasts are dropped and counted instead.
  bool guaranteed = false;
  // The recovery offset appended to the EVENT (see room_registry::next_offset); empty: not kept.
  std::string offset;
};
using broadcast_ptr = std::shared_ptr<const broadcast_message>;

// Sees every broadcast a shard delivers, before its local members get it (the inbox keeps the
// recent messages of conversations that a socket is joining there).
class room_observer {
 public:
  virtual ~room_observer() = default;
  virtual void on_broadcast(const broadcast_message& msg) noexcept = 0;
};

class room_registry {
 public:
  room_registry(reactor::shard& shard, const room_registries& peers, broker_stats& stats)
      : shard_(shard), peers_(peers), stats_(stats) {}

  // Keeps the last `n` broadcasts that carry an offset (recovery is off, and none kept, until then).
  void keep_broadcasts(std::size_t n) {
    if (kept_.empty()) kept_.resize(n);
  }

  void join(sio_socket& s, const std::string& room);
  void leave(sio_socket& s, const std::string& room);
  // Linear in the socket's rooms (a leave() each would search the socket's list every time).
  void leave_all(sio_socket& s);
  // Delivers to the room members on every shard that has some, and to every shard in
  // `extra_shards` (one bit per shard: shards an observer there waits on, such as the inbox's
  // joining sockets) whether or not the replica knows of members there.
  void broadcast(broadcast_ptr msg, std::uint64_t extra_shards = 0);

  void set_observer(room_observer* o) noexcept { observer_ = o; }
  // A socket of this shard by id (connected to a namespace), or nullptr.
  sio_socket* socket_by_id(std::string_view id) const noexcept;

  // The offset for the next broadcast started on this shard (empty when recovery is off). An
  // event carrying it must be broadcast with msg->offset set to it.
  std::string next_offset();
  // A saved session keeps its rooms present on this shard (see the header comment).
  void hold(const std::string& nsp, const std::string& room);
  void release(const std::string& nsp, const std::string& room);
  // The kept broadcasts after `offset` that reach a socket of `nsp` in `rooms`, oldest first.
  // False when `offset` is no longer (or never was) kept here: the missed packets are unknown.
  bool missed_since(std::string_view offset, const std::string& nsp, const std::vector<std::string>& rooms,
                    std::vector<broadcast_ptr>& out) const;

  std::size_t local_members(const std::string& nsp, const std::string& room) const;
  // Whether this shard believes `shard` has members of the room (the replica; tests and metrics).
  bool shard_has_members(const std::string& nsp, const std::string& room, unsigned shard) const;

 private:
  struct member_list {
    std::vector<sio_socket*> members;
    std::unordered_map<const sio_socket*, std::uint32_t> index;
  };
  static std::string key(const std::string& nsp, const std::string& room);
  void announce(const std::string& key, bool present);
  // Takes s out of the room's members; the socket's own list is the caller's.
  void remove_member(sio_socket& s, const std::string& room);
  void apply(const std::string& key, unsigned shard, bool present);
  void deliver_local(const broadcast_message& msg);
  void deliver_remote(const broadcast_message& msg);
  void keep(broadcast_ptr msg);
  bool present(const std::string& key) const { return local_.count(key) || held_.count(key); }

  reactor::shard& shard_;
  const room_registries& peers_;
  broker_stats& stats_;
  std::unordered_map<std::string, member_list> local_;
  std::unordered_map<std::string, std::uint64_t> remote_;  // key -> bit per shard with members
  std::unordered_map<std::string, std::uint32_t> held_;    // key -> saved sessions holding it
  // A ring of the last kept broadcasts, allocated once: keeping one costs a reference, no copy.
  std::vector<broadcast_ptr> kept_;
  std::size_t kept_next_ = 0;   // slot of the next kept broadcast
  std::size_t kept_count_ = 0;
  std::uint64_t offset_seq_ = 0;
  static_assert(max_shards <= 64, "a shard mask has one bit per shard");
  std::uint64_t stamp_ = 0;
  room_observer* observer_ = nullptr;
  struct id_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  // Every socket is in its namespace's room "" from connect to disconnect: indexed there.
  std::unordered_map<std::string, sio_socket*, id_hash, std::equal_to<>> by_id_;
};

}  // namespace ringcast::broker
