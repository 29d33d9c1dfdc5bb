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

#include "broker/ws_frame.h"
#include "reactor/shard.h"

namespace ringcast::broker {

class sio_socket;
class room_registry;

// The room registry of a given shard (the same kind of object on every shard).
using room_locator = room_registry& (*)(reactor::shard&);

struct broadcast_message {
  std::string nsp;
  std::vector<std::string> rooms;   // empty: every socket of the namespace
  std::vector<std::string> except;  // sockets in any of these rooms are skipped
  std::vector<ws_frame> frames;     // the packet, then its binary attachments
  const sio_socket* except_socket = nullptr;  // meaningful on the origin shard only
  unsigned origin = 0;
};

class room_registry {
 public:
  room_registry(reactor::shard& shard, room_locator locate) : shard_(shard), locate_(locate) {}

  void join(sio_socket& s, const std::string& room);
  void leave(sio_socket& s, const std::string& room);
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
  void apply(const std::string& key, unsigned shard, bool present);
  void deliver_local(const broadcast_message& msg);
  void deliver_remote(const broadcast_message& msg);

  reactor::shard& shard_;
  room_locator locate_;
  std::unordered_map<std::string, member_list> local_;
  std::unordered_map<std::string, std::uint64_t> remote_;  // key -> bit per shard with members
  std::uint64_t stamp_ = 0;
};

}  // namespace ringcast::broker
