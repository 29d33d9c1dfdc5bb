// Instagram Messaging: GET /webhooks/instagram (subscription) and POST /webhooks/instagram with
// entry[].messaging[] events, signed with X-Hub-Signature-256. A `message` from a customer (not
// our own echo) becomes an inbound message of (instagram, sender IGSID); `read` and `delivery`
// events go to the instagram_event hook (outbound delivery).
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "broker/channels/meta_webhook.h"

namespace ringcast::broker::channels {
namespace {

void inbound(webhook_call& call) {
  auto body = meta_verified_json(call, call.config().instagram_app_secret);
  if (!body) return;
  std::vector<inbound_message> messages;
  std::vector<const boost::json::object*> events;
  for (const auto* entry : objects_at(*body, "entry")) {
    for (const auto* event : objects_at(*entry, "messaging")) {
      const auto* msg = object_at(*event, "message");
      if (!msg) {
        if (event->contains("read") || event->contains("delivery")) events.push_back(event);
        continue;
      }
      if (const auto* echo = msg->if_contains("is_echo"); echo && echo->is_bool() && echo->as_bool()) continue;
      const auto* sender = object_at(*event, "sender");
      inbound_message m;
      m.channel = "instagram";
      m.external_id = sender ? string_at(*sender, "id") : std::string();
      m.provider_message_id = string_at(*msg, "mid");
      if (m.external_id.empty() || m.provider_message_id.empty())
        return call.refuse(400, webhook_outcome::malformed, "a message without sender.id or mid");
      m.content = string_at(*msg, "text");
      boost::json::array attachments;
      for (const auto* a : objects_at(*msg, "attachments")) {
        const auto* payload = object_at(*a, "payload");
        attachments.push_back(
            boost::json::object{{"type", string_at(*a, "type")}, {"url", payload ? string_at(*payload, "url") : ""}});
      }
      if (!attachments.empty()) m.attachments_json = boost::json::serialize(attachments);
      messages.push_back(std::move(m));
    }
  }
  store_then_hook(call, std::move(messages), call.router().hooks().instagram_event, events);
}

}  // namespace

void add_instagram_routes(webhook_router& r) {
  add_meta_routes(r, "/webhooks/instagram", webhook_provider::instagram, &channel_config::instagram_verify_token,
                  inbound);
}

}  // namespace ringcast::broker::channels
