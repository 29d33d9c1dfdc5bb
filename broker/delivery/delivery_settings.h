#pragma once
// Outbound delivery's flags (server/options.cc parses them): where each provider is, the
// credentials it takes, and how hard to try.
#include <chrono>
#include <cstddef>
#include <string>

#include "broker/delivery/delivery_policy.h"

namespace ringcast::broker::delivery {

// The providers' base URLs (flags, so tests point at a local fake) and credentials. The
// credentials are the channels' shared secrets (broker/channels/channel_config.h, whose flags
// --twilio-account-sid, --twilio-auth-token, --whatsapp-token, --whatsapp-phone-number-id and
// --instagram-token also switch the webhooks on): server/main.cc copies them here.
struct provider_settings {
  std::string twilio_api_url = "https://api.twilio.com";
  std::string twilio_account_sid;
  std::string twilio_auth_token;
  std::string twilio_from;           // the sender's number (E.164) for SMS
  std::string twilio_whatsapp_from;  // WhatsApp through Twilio (default: twilio_from)
  std::string whatsapp_api_url = "https://graph.facebook.com";
  std::string whatsapp_token;        // set: WhatsApp goes through the Cloud API, not Twilio
  std::string whatsapp_phone_number_id;
  std::string instagram_api_url = "https://graph.facebook.com";
  std::string instagram_token;
  std::string smtp_url;              // smtp://host:port or smtps://user:password@host:port
  std::string smtp_from;             // the From address; its domain names the Message-Ids
  std::chrono::milliseconds request_timeout{15000};  // one provider call, connection included
};

struct delivery_settings {
  provider_settings providers;
  delivery_policy policy;
  unsigned concurrency = 4;           // delivery threads: provider calls at once
  std::size_t max_queue = 100'000;    // deliveries waiting for a thread (or for their retry time)
};

}  // namespace ringcast::broker::delivery
