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
#include "persistence/sequenced_batch.h"

namespace ringcast::broker {

inline constexpr std::size_t persist_max_content = 64 * 1024;
inline constexpr std::size_t persist_max_name = 200;

class broker_app;

// `app` is the socket's shard's app; the write goes to the conversation owner's app.
void handle_persist(broker_app& app, sio_socket& s, const boost::json::array& args,
                    const std::vector<std::string>& attachments, std::uint64_t ack_id);

// Why the database would refuse this row, or empty when it is storable: persistence::validate()
// plus every field valid UTF-8 without NUL (what PostgreSQL's UTF8 encoding stores: no overlong
// forms, surrogates, or code points past U+10FFFF).
std::string_view check_persist_row(const persistence::persist_row& row) noexcept;

// The shard that owns (sequences and writes) a conversation.
unsigned conversation_owner(std::string_view conversation, unsigned shards) noexcept;

}  // namespace ringcast::broker
