// WhatsApp Cloud API: GET /webhooks/whatsapp (subscription) and POST /webhooks/whatsapp with
// entry[].changes[].value.{messages[], contacts[], statuses[]}, signed with X-Hub-Signature-256.
// Messages become inbound messages of the customer (whatsapp, +<wa_id>); statuses go to the
// whatsapp_status hook (outbound delivery).
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "broker/channels/meta_webhook.h"

namespace ringcast::broker::channels {
namespace {

// The text of a message and what it carries; false for kinds that are not a customer's words
// (reactions, system notices, unsupported): they are skipped.
bool read_message(const boost::json::object& msg, inbound_message& m) {
  const std::string type = string_at(msg, "type");
  auto member = [&](std::string_view key) { return object_at(msg, key); };
  if (type == "text") {
    const auto* text = member("text");
    m.content = text ? string_at(*text, "body") : std::string();
    return true;
  }
  if (type == "button") {
    const auto* b = member("button");
    m.content = b ? string_at(*b, "text") : std::string();
    return true;
  }
  if (type == "interactive") {
    const auto* i = member("interactive");
    for (const char* kind : {"button_reply", "list_reply"})
      if (const auto* r = i ? i->if_contains(kind) : nullptr; r && r->is_object()) m.content = string_at(r->as_object(), "title");
    return true;
  }
  if (type == "image" || type == "video" || type == "audio" || type == "document" || type == "sticker") {
    const auto* media = member(type);
    if (!media) return false;
    m.content = string_at(*media, "caption");
    boost::json::object a{{"type", type}, {"id", string_at(*media, "id")}, {"mimeType", string_at(*media, "mime_type")}};
    if (auto name = string_at(*media, "filename"); !name.empty()) a["filename"] = name;
    m.attachments_json = boost::json::serialize(boost::json::array{std::move(a)});
    return true;
  }
  if (type == "location") {
    const auto* l = member("location");
    if (!l) return false;
    boost::json::object a{{"type", "location"}};
    for (const char* k : {"latitude", "longitude", "name", "address"})
      if (const auto* v = l->if_contains(k)) a[k] = *v;
    m.content = string_at(*l, "name");
    m.attachments_json = boost::json::serialize(boost::json::array{std::move(a)});
    return true;
  }
  return false;
}

// wa_id 15551234567 -> +15551234567, the E.164 form Twilio's WhatsApp senders use too.
std::string e164(std::string id) {
  if (!id.empty() && id.front() != '+') id.insert(0, 1, '+');
  return id;
}

void inbound(webhook_call& call) {
  auto body = meta_verified_json(call, call.config().whatsapp_app_secret);
  if (!body) return;
  std::vector<inbound_message> messages;
  std::vector<const boost::json::object*> statuses;
  for (const auto* entry : objects_at(*body, "entry")) {
    for (const auto* change : objects_at(*entry, "changes")) {
      const auto* value = change->if_contains("value");
      if (!value || !value->is_object()) continue;
      const auto& v = value->as_object();
      for (const auto* msg : objects_at(v, "messages")) {
        inbound_message m;
        m.channel = "whatsapp";
        m.external_id = e164(string_at(*msg, "from"));
        m.provider_message_id = string_at(*msg, "id");
        if (m.external_id.size() < 2 || m.provider_message_id.empty())
          return call.refuse(400, webhook_outcome::malformed, "a message without from or id");
        for (const auto* contact : objects_at(v, "contacts")) {
          if (e164(string_at(*contact, "wa_id")) != m.external_id) continue;
          if (const auto* p = contact->if_contains("profile"); p && p->is_object())
            if (auto name = string_at(p->as_object(), "name"); !name.empty()) m.customer_name = std::move(name);
        }
        if (read_message(*msg, m)) messages.push_back(std::move(m));
      }
      for (const auto* s : objects_at(v, "statuses")) statuses.push_back(s);
    }
  }
  store_then_hook(call, std::move(messages), call.router().hooks().whatsapp_status, statuses);
}

}  // namespace

void add_whatsapp_routes(webhook_router& r) {
  add_meta_routes(r, "/webhooks/whatsapp", webhook_provider::whatsapp, &channel_config::whatsapp_verify_token, inbound);
}

}  // namespace ringcast::broker::channels
