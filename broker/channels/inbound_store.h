#pragma once
// The durable write of inbound channel messages, on the shard that received the webhook: find or
// create the customer and the conversation (one transaction on this shard's connection), announce
// a new conversation on the staff feed, then store the message through the conversation owner's
// group commit (inbox_shard::send_message), so it fans out, creates the AI job and moves unread
// counts exactly like a widget message. The provider's message id is the clientId of a customer
// sender "<channel>:<external_id>": a redelivery finds the stored row and stores nothing twice.
#include <vector>

#include "broker/channels/webhook_router.h"

namespace ringcast::broker::channels {

// Checks and trims a message for storage: false when an id is empty, too long, not UTF-8 or holds
// NUL, or the text is not UTF-8 or holds NUL. Content is cut to `max_content_bytes` (at a
// character boundary), a name or subject that cannot be stored is dropped.
bool make_storable(inbound_message& m, std::size_t max_content_bytes);

// The message's sender id: "<channel>:<external_id>".
std::string sender_id_of(const inbound_message& m);

// Stores the messages one after the other (a conversation sees them in the provider's order);
// `done` gets failed if one failed, else stored if one was new, else duplicate.
void store_in_order(inbox::inbox_shard& inbox, std::vector<inbound_message> messages,
                    reactor::unique_function<void(step_result)> done);

}  // namespace ringcast::broker::channels
