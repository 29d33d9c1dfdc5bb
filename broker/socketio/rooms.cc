#include "broker/socketio/rooms.h"

#include <algorithm>

#include "broker/stats/broker_stats.h"
#include "broker/socketio/sio_server.h"

namespace ringcast::broker {

std::string room_registry::key(const std::string& nsp, const std::string& room) {
  std::string k;
  k.reserve(nsp.size() + room.size() + 1);
  k += nsp;
  k += '\0';
  k += room;
  return k;
}

void room_registry::join(sio_socket& s, const std::string& room) {
  const std::string k = key(s.nsp(), room);
  member_list& ml = local_[k];
  if (ml.index.count(&s)) return;
  ml.index.emplace(&s, std::uint32_t(ml.members.size()));
  ml.members.push_back(&s);
  s.rooms_.push_back(room);
  if (room.empty()) by_id_.emplace(s.id(), &s);
  if (ml.members.size() == 1 && !held_.count(k)) announce(k, true);
}

void room_registry::leave(sio_socket& s, const std::string& room) {
  auto r = std::find(s.rooms_.begin(), s.rooms_.end(), room);
  if (r == s.rooms_.end()) return;
  s.rooms_.erase(r);
  remove_member(s, room);
}

void room_registry::leave_all(sio_socket& s) {
  for (const std::string& room : s.rooms_) remove_member(s, room);
  s.rooms_.clear();
}

void room_registry::remove_member(sio_socket& s, const std::string& room) {
  if (room.empty()) by_id_.erase(s.id());
  const std::string k = key(s.nsp(), room);
  auto it = local_.find(k);
  if (it == local_.end()) return;
  member_list& ml = it->second;
  auto pos = ml.index.find(&s);
  if (pos == ml.index.end()) return;
  // Swap-remove keeps leave O(1) in rooms of any size.
  const std::uint32_t i = pos->second;
  ml.index.erase(pos);
  if (i + 1 != ml.members.size()) {
    ml.members[i] = ml.members.back();
    ml.index[ml.members[i]] = i;
  }
  ml.members.pop_back();
  if (ml.members.empty()) {
    local_.erase(it);
    if (!held_.count(k)) announce(k, false);
  }
}

void room_registry::hold(const std::string& nsp, const std::string& room) {
  std::string k = key(nsp, room);
  if (++held_[k] == 1 && !local_.count(k)) announce(k, true);
}

void room_registry::release(const std::string& nsp, const std::string& room) {
  const std::string k = key(nsp, room);
  auto it = held_.find(k);
  if (it == held_.end()) return;
  if (--it->second == 0) {
    held_.erase(it);
    if (!local_.count(k)) announce(k, false);
  }
}

std::string room_registry::next_offset() {
  if (kept_.empty()) return {};
  // Shard letter + sequence: unique server-wide without coordination, like the session ids.
  std::string o(1, id_alphabet[shard_.id()]);
  o += std::to_string(++offset_seq_);
  return o;
}

void room_registry::keep(broadcast_ptr msg) {
  if (kept_.empty() || msg->offset.empty()) return;
  if (kept_count_ == kept_.size()) broker_stats::bump(stats_.recovery_dropped);
  else ++kept_count_;
  kept_[kept_next_] = std::move(msg);  // the oldest goes when the ring is full
  kept_next_ = (kept_next_ + 1) % kept_.size();
}

bool room_registry::missed_since(std::string_view offset, const std::string& nsp, const std::vector<std::string>& rooms,
                                 std::vector<broadcast_ptr>& out) const {
  if (kept_.empty() || offset.empty()) return false;
  const std::size_t n = kept_.size();
  const std::size_t oldest = (kept_next_ + n - kept_count_) % n;
  // From the newest back: a recovering client's offset is usually recent.
  std::size_t found = kept_count_;
  for (std::size_t i = kept_count_; i-- > 0;)
    if (kept_[(oldest + i) % n]->offset == offset) {
      found = i;
      break;
    }
  if (found == kept_count_) return false;
  auto in = [&](const std::string& room) { return std::find(rooms.begin(), rooms.end(), room) != rooms.end(); };
  for (std::size_t i = found + 1; i < kept_count_; ++i) {
    const broadcast_ptr& m = kept_[(oldest + i) % n];
    if (m->nsp != nsp) continue;
    // As socket.io's shouldIncludePacket: to the namespace or one of the rooms, and in no excepted room.
    const bool targeted = m->rooms.empty() ? in({}) : std::any_of(m->rooms.begin(), m->rooms.end(), in);
    if (targeted && std::none_of(m->except.begin(), m->except.end(), in)) out.push_back(m);
  }
  return true;
}

void room_registry::announce(const std::string& k, bool present) {
  const unsigned me = shard_.id();
  for (unsigned t = 0; t < shard_.count(); ++t) {
    if (t == me) continue;
    // A lost announcement would leave a shard's replica wrong for as long as the room lives.
    shard_.post_guaranteed(t, [k, me, present, &peers = peers_](reactor::shard& sh) { peers.on(sh).apply(k, me, present); });
  }
}

void room_registry::apply(const std::string& k, unsigned shard, bool present) {
  std::uint64_t& mask = remote_[k];
  if (present) mask |= std::uint64_t{1} << shard;
  else mask &= ~(std::uint64_t{1} << shard);
  if (mask == 0) remote_.erase(k);
}

void room_registry::broadcast(broadcast_ptr msg, std::uint64_t extra_shards) {
  broker_stats::bump(stats_.broadcasts);
  std::uint64_t mask = extra_shards;
  auto add = [&](const std::string& room) {
    auto it = remote_.find(key(msg->nsp, room));
    if (it != remote_.end()) mask |= it->second;
  };
  if (msg->rooms.empty()) add({});
  for (const auto& room : msg->rooms) add(room);
  for (unsigned t = 0; t < shard_.count(); ++t) {
    if (!(mask & (std::uint64_t{1} << t)) || t == shard_.id()) continue;
    auto task = [msg, &peers = peers_](reactor::shard& sh) { peers.on(sh).deliver_remote(*msg); };
    if (msg->guaranteed) {
      shard_.post_guaranteed(t, std::move(task));
    } else if (!shard_.post(t, std::move(task))) {
      // A shard that far behind loses this broadcast rather than growing memory without bound.
      broker_stats::bump(stats_.broadcast_drops);
    }
  }
  deliver_local(*msg);
  keep(std::move(msg));
}

void room_registry::deliver_remote(const broadcast_message& msg) {
  // One copy of the frames per receiving shard: every recipient here then shares a buffer whose
  // reference count lives in this core's cache, instead of bouncing the origin's between cores.
  auto local = std::make_shared<broadcast_message>();
  local->nsp = msg.nsp;
  local->rooms = msg.rooms;
  local->except = msg.except;
  local->except_id = msg.except_id;
  local->topic = msg.topic;
  local->seq = msg.seq;
  local->guaranteed = msg.guaranteed;
  local->offset = msg.offset;
  local->frames.reserve(msg.frames.size());
  for (const shared_frame& f : msg.frames)
    local->frames.push_back(shared_frame{reactor::buffer_ref::copy_of(f.buf->bytes()), f.header, f.binary});
  deliver_local(*local);
  keep(std::move(local));
}

void room_registry::deliver_local(const broadcast_message& msg) {
  const std::uint64_t stamp = ++stamp_;
  auto members_of = [&](const std::string& room) -> const std::vector<sio_socket*>* {
    auto it = local_.find(key(msg.nsp, room));
    return it == local_.end() ? nullptr : &it->second.members;
  };
  // Sockets stamped before delivery are skipped: the excluded ones now, the reached ones as we go
  // (a socket in several target rooms gets the message once).
  for (const auto& room : msg.except)
    if (auto* ms = members_of(room))
      for (sio_socket* s : *ms) s->delivery_stamp = stamp;
  if (!msg.except_id.empty())
    if (sio_socket* s = socket_by_id(msg.except_id)) s->delivery_stamp = stamp;
  if (observer_) observer_->on_broadcast(msg);

  std::uint64_t delivered = 0;
  auto deliver = [&](const std::vector<sio_socket*>& ms) {
    for (sio_socket* s : ms) {
      if (s->delivery_stamp == stamp) continue;
      s->delivery_stamp = stamp;
      // Once a socket refuses a frame, its attachments would only arrive orphaned (and it is
      // going away anyway): the rest of this broadcast skips it.
      for (const shared_frame& f : msg.frames)
        if (s->deliver(f) == reactor::send_status::closed) break;
      ++delivered;
    }
  };
  if (msg.rooms.empty()) {
    if (auto* ms = members_of({})) deliver(*ms);
  }
  for (const auto& room : msg.rooms)
    if (auto* ms = members_of(room)) deliver(*ms);
  broker_stats::bump(stats_.deliveries, std::int64_t(delivered));
}

sio_socket* room_registry::socket_by_id(std::string_view id) const noexcept {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::size_t room_registry::local_members(const std::string& nsp, const std::string& room) const {
  auto it = local_.find(key(nsp, room));
  return it == local_.end() ? 0 : it->second.members.size();
}

bool room_registry::shard_has_members(const std::string& nsp, const std::string& room, unsigned shard) const {
  if (shard == shard_.id()) return local_members(nsp, room) > 0;
  auto it = remote_.find(key(nsp, room));
  return it != remote_.end() && (it->second & (std::uint64_t{1} << shard));
}

}  // namespace ringcast::broker
