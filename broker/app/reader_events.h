#pragma once
// The bench profile's read events, answered from PostgreSQL through the socket's own shard
// connection (the same pipelined, non-blocking one the writer uses):
//   history({conversation, from?, to?, newest?})  -> {messages: [...]}, oldest first
//   markRead({conversation, seq})                 -> {ok: true}
//   unread({conversations: [...]})                -> {counts: {key: n}}
//   conversations({status?, limit?})              -> {conversations: [...]}, most urgent first
// The reader is the socket's auth {userId, role} (role "staff", anything else is a customer).
#include <cstdint>
#include <string_view>

#include <boost/json/array.hpp>

#include "broker/socketio/sio_server.h"

namespace ringcast::broker {

// True when `event` is one of the above (then the ack is answered, now or after the query).
class broker_app;

// `app` is the socket's shard's app: queries run on its connection and answer on that shard.
bool handle_reader_event(broker_app& app, sio_socket& s, std::string_view event, const boost::json::array& args,
                         std::uint64_t ack_id);

}  // namespace ringcast::broker
