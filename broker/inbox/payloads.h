#pragma once
// The JSON objects of the inbox event API (docs/events.md): camelCase fields, times as ISO 8601
// strings with milliseconds in UTC.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>

#include "persistence/inbox_conversations.h"
#include "persistence/queries.h"

namespace ringcast::broker::inbox {

// 2026-11-29T03:40:00.123Z
std::string iso_time(std::int64_t unix_us);
std::string iso_time_now();

boost::json::object conversation_json(const persistence::inbox_conversation& c);
boost::json::object message_json(const persistence::message_record& m);

}  // namespace ringcast::broker::inbox
