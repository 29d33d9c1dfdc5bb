#pragma once
// The channel providers' secrets and settings, from flags and their RINGCAST_... environment
// twins (server/options.cc), never from a request. One struct for both directions: the webhooks
// in (webhook_router) and the outbound delivery. A provider whose webhook secret is empty is off:
// its routes answer 404.
#include <chrono>
#include <cstddef>
#include <string>

#include "broker/stats/broker_stats.h"

namespace ringcast::broker::channels {

struct channel_config {
  // Twilio (WhatsApp and SMS): X-Twilio-Signature is keyed with the auth token.
  std::string twilio_auth_token;
  std::string twilio_account_sid;  // set: webhooks naming another AccountSid are refused (403)
  // WhatsApp Cloud API: X-Hub-Signature-256 is keyed with the app secret; the verify token
  // answers the subscription GET; the token and phone number id send (outbound).
  std::string whatsapp_app_secret;
  std::string whatsapp_verify_token;
  std::string whatsapp_token;
  std::string whatsapp_phone_number_id;
  // Instagram Messaging: as WhatsApp.
  std::string instagram_app_secret;
  std::string instagram_verify_token;
  std::string instagram_token;
  // Mailgun inbound routes: the signature is keyed with the webhook signing key.
  std::string mailgun_signing_key;

  // The scheme and authority the providers call us at ("https://support.example.com"): Twilio
  // signs the full URL. Empty: "http://" and the request's Host.
  std::string public_url;
  // A webhook body longer than this is refused with 413 before it is parsed.
  std::size_t max_body_bytes = 1 << 20;
  // Mailgun posts older (or further in the future) than this are refused as replays.
  std::chrono::seconds mailgun_max_age{300};

  // The secret that switches the provider's webhooks on.
  const std::string& webhook_secret(webhook_provider p) const noexcept {
    switch (p) {
      case webhook_provider::twilio: return twilio_auth_token;
      case webhook_provider::whatsapp: return whatsapp_app_secret;
      case webhook_provider::instagram: return instagram_app_secret;
      default: return mailgun_signing_key;
    }
  }
};

}  // namespace ringcast::broker::channels
