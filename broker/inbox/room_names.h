#pragma once
// The Socket.IO rooms of the inbox: who gets which event.
#include <string>
#include <string_view>

#include "broker/inbox/identity.h"

namespace ringcast::broker::inbox {

// Every socket of one identity ("user:customer:alice"): its unread counts, and the typist's own
// sockets that its typing is not echoed to.
std::string identity_room(std::string_view user_type, std::string_view user_id);
inline std::string identity_room(const identity& who) { return identity_room(to_string(who.role), who.sub); }
// Every staff socket: conversation:new, conversation:updated and every message:new.
inline constexpr std::string_view staff_feed_room = "staff";
// The sockets that joined a conversation.
std::string conversation_room(std::string_view conversation_id);
// The sockets that joined a conversation with this identity: its presence changes.
std::string presence_room(std::string_view user_type, std::string_view user_id);

}  // namespace ringcast::broker::inbox
