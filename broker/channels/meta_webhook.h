#pragma once
// What the Meta platforms' webhooks share (WhatsApp Cloud API, Instagram Messaging): the
// subscription GET and the X-Hub-Signature-256 check on the raw JSON body.
#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "broker/channels/webhook_router.h"

namespace ringcast::broker::channels {

// GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...: echoes the challenge when the
// token is `verify_token` (404 when none is configured, 403 for another token, 400 otherwise).
void answer_meta_verification(webhook_call& call, const std::string& verify_token);

// The JSON object (with an entry[] array) of a POST whose X-Hub-Signature-256 matches `app_secret`; otherwise the call is
// answered (415, 403, 400) and nullopt returned.
std::optional<boost::json::object> meta_verified_json(webhook_call& call, const std::string& app_secret);

// GET `path` answers the subscription with the verify token `verify_token` of the config, POST
// `path` runs `inbound`.
void add_meta_routes(webhook_router& r, const std::string& path, webhook_provider provider,
                     std::string channel_config::*verify_token, webhook_handler inbound);

using meta_hook = std::function<void(webhook_call&, const boost::json::object&)>;
// Stores the messages, then hands each event to `hook` (when set) unless the store refused them.
void store_then_hook(webhook_call& call, std::vector<inbound_message> messages, const meta_hook& hook,
                     const std::vector<const boost::json::object*>& events);

// A string member, or "" when absent or not a string.
std::string string_at(const boost::json::object& o, std::string_view key);
// An object member, or nullptr.
const boost::json::object* object_at(const boost::json::object& o, std::string_view key);
// An array member's objects (the others skipped), or none.
std::vector<const boost::json::object*> objects_at(const boost::json::object& o, std::string_view key);

}  // namespace ringcast::broker::channels
