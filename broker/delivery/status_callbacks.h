#pragma once
// The providers' status callbacks, parsed into updates of outbound deliveries. The webhook
// routes (broker/channels) verify the signature and walk the body; status_routes.cc hands each
// status here, then to delivery_shard::apply.
// - Twilio, POST /webhooks/twilio/status (form): MessageSid, MessageStatus (queued, sending, sent,
//   delivered, read, failed, undelivered, ...), ErrorCode;
// - the WhatsApp Cloud API, POST /webhooks/whatsapp (JSON): each entry[].changes[].value.statuses[]
//   element, with id, status (sent, delivered, read, failed) and errors[];
// - Instagram, POST /webhooks/instagram (JSON): each entry[].messaging[] element with delivery
//   {mids[], watermark} or read {mid} or {watermark}, sender.id being the customer.
// Only delivered, read and failed become updates: "sent" is what the delivery thread recorded
// already, and earlier states say nothing new. The rows move forward only (deliveries.h).
#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/queries.h"

namespace ringcast::broker::delivery {

struct provider_status_update {
  std::string provider;             // twilio | whatsapp | instagram
  std::string provider_message_id;  // empty: by watermark
  std::string recipient;            // by watermark: the customer's id on the channel (an IGSID)
  std::int64_t watermark_ms = 0;
  std::string status;               // delivered | read | failed
  std::optional<std::string> error; // failed: why
  bool operator==(const provider_status_update&) const = default;
};

// A Twilio status callback's fields (`field` looks one up by name): at most one update.
using form_lookup = std::function<std::optional<std::string>(std::string_view name)>;
std::optional<provider_status_update> parse_twilio_status(const form_lookup& field);

// One element of a WhatsApp change's value.statuses[].
std::optional<provider_status_update> parse_whatsapp_status(const boost::json::object& status);

// One Instagram entry[].messaging[] element: its `delivery` and `read` parts (none for a message).
std::vector<provider_status_update> parse_instagram_event(const boost::json::object& event);

// The statement that applies one update (persistence/deliveries.h).
persistence::query status_query(const provider_status_update& u);

}  // namespace ringcast::broker::delivery
