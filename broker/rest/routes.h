#pragma once
// The REST routes, one function per route, grouped by resource in one file each. Each answers
// through r.out exactly once, now or after an asynchronous step.
#include "broker/rest/rest_api.h"

namespace ringcast::broker::rest {

// conversations.cc
void list_conversations(rest_context& ctx, rest_request& r);
void create_conversation(rest_context& ctx, rest_request& r);
void get_conversation(rest_context& ctx, rest_request& r);
void update_conversation(rest_context& ctx, rest_request& r);
// messages.cc
void list_messages(rest_context& ctx, rest_request& r);
void post_message(rest_context& ctx, rest_request& r);
void mark_read(rest_context& ctx, rest_request& r);
void get_unread(rest_context& ctx, rest_request& r);
// widget.cc
void create_widget_session(rest_context& ctx, rest_request& r);
void realtime_subscribe(rest_context& ctx, rest_request& r);
// knowledge.cc
void list_knowledge(rest_context& ctx, rest_request& r);
void create_knowledge(rest_context& ctx, rest_request& r);
void replace_knowledge(rest_context& ctx, rest_request& r);
void delete_knowledge(rest_context& ctx, rest_request& r);
// metrics_summary.cc
void metrics_summary(rest_context& ctx, rest_request& r);

// The query string as a JSON object for the inbox operations: integers and booleans become JSON
// numbers and booleans where the key is in `numbers` / `booleans` and the text parses; anything
// else stays a string (which the operation's validation then refuses).
boost::json::object query_object(std::string_view query, std::initializer_list<std::string_view> numbers,
                                 std::initializer_list<std::string_view> booleans);

}  // namespace ringcast::broker::rest
