#include "broker/inbox/room_names.h"

namespace ringcast::broker::inbox {
namespace {
std::string join_parts(std::string_view prefix, std::string_view a, std::string_view b = {}) {
  std::string r(prefix);
  r += a;
  if (!b.empty()) {
    r += ':';
    r += b;
  }
  return r;
}
}  // namespace

std::string identity_room(std::string_view user_type, std::string_view user_id) {
  return join_parts("user:", user_type, user_id);
}

std::string conversation_room(std::string_view conversation_id) { return join_parts("conversation:", conversation_id); }

std::string presence_room(std::string_view user_type, std::string_view user_id) {
  return join_parts("presence:", user_type, user_id);
}

}  // namespace ringcast::broker::inbox
