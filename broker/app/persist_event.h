#pragma once
// The `persist` event of the bench profile: a durable message write end to end. The client's
// shard validates it, the conversation's owner shard (hash of its name) writes it through its
// group-commit writer, and the ack ({id, seq, createdAt, duplicate} or {error}) comes back to the
// client's shard only after the commit.
#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/array.hpp>

#include "broker/socketio/sio_server.h"

namespace ringcast::broker {

inline constexpr std::size_t persist_max_content = 64 * 1024;
inline constexpr std::size_t persist_max_name = 200;

class broker_app;

// `app` is the socket's shard's app; the write goes to the conversation owner's app.
void handle_persist(broker_app& app, sio_socket& s, const boost::json::array& args,
                    const std::vector<std::string>& attachments, std::uint64_t ack_id);

// The shard that owns (sequences and writes) a conversation.
unsigned conversation_owner(std::string_view conversation, unsigned shards) noexcept;

}  // namespace ringcast::broker
