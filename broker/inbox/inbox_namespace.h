#pragma once
// The inbox's Socket.IO namespace "/": who may connect (a JWT in `auth: {token}`), the rooms a
// connected socket is in (its identity's, and the staff feed for staff), and the event API
// (docs/events.md). One handler per shard; everything it holds belongs to that shard. Everything
// that needs a conversation's or an identity's owner goes through inbox_shard.
#include <memory>

#include "broker/inbox/identity.h"
#include "broker/inbox/inbox_shard.h"
#include "broker/inbox/room_names.h"
#include "broker/socketio/sio_server.h"

namespace ringcast::broker::inbox {

struct inbox_config {
  // Shared by every shard; immutable once made at start-up.
  std::shared_ptr<const token_verifier> verifier;
  inbox_settings settings;
};

std::unique_ptr<sio_namespace_handler> make_inbox_namespace(const inbox_config& cfg, inbox_shard& inbox);

}  // namespace ringcast::broker::inbox
