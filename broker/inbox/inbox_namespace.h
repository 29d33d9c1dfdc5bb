#pragma once
// The inbox's Socket.IO namespace "/": who may connect (a JWT in `auth: {token}`), the rooms a
// connected socket is in (its own identity's, and the staff feed for staff), and the event API.
// One handler per shard; everything it holds belongs to that shard.
#include <memory>

#include "broker/inbox/identity.h"
#include "broker/socketio/sio_server.h"

namespace ringcast::broker::inbox {

struct inbox_config {
  // Shared by every shard; immutable once made at start-up.
  std::shared_ptr<const token_verifier> verifier;
};

// The room every socket of one identity is in ("user:customer:alice"), and the staff feed.
std::string identity_room(const identity& who);
inline constexpr std::string_view staff_feed_room = "staff";

// The identity admitted for `s`, or nullptr (a socket of another namespace).
const identity* identity_of(const sio_socket& s) noexcept;

std::unique_ptr<sio_namespace_handler> make_inbox_namespace(const inbox_config& cfg, broker_stats& stats);

}  // namespace ringcast::broker::inbox
