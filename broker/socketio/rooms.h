#pragma once
// Rooms of one shard and broadcasts across shards. Each shard keeps its own members and a replica
// of which other shards have members of each room (updated through the mailbox when a shard's
// first member joins or its last leaves), so a broadcast costs one mailbox message per shard that
// has recipients, and one encoded frame shared by every recipient everywhere.
#include <cstdint>
#include <memory>
#include <string>
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
  const sio_socket* except_socket = nullptr;  // meaningful on the origin shard only
  unsigned origin = 0;
};

class room_registry {
 public:
  room_registry(reactor::shard& shard, const room_registries& peers, broker_stats& stats)
      : shard_(shard), peers_(peers), stats_(stats) {}

  void join(sio_socket& s, const std::string& room);
  void leave(sio_socket& s, const std::string& room);
  // Linear in the socket's rooms (a leave() each would search the socket's list every time).
  void leave_all(sio_socket& s);
  void broadcast(std::shared_ptr<const broadcast_message> msg);

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

  reactor::shard& shard_;
  const room_registries& peers_;
  broker_stats& stats_;
  std::unordered_map<std::string, member_list> local_;
  std::unordered_map<std::string, std::uint64_t> remote_;  // key -> bit per shard with members
  static_assert(max_shards <= 64, "a shard mask has one bit per shard");
  std::uint64_t stamp_ = 0;
};

}  // namespace ringcast::broker
