#pragma once
// The providers that carry replies to channel customers, one file each: Twilio's Messages API
// (SMS, and WhatsApp when no Cloud API token is set), the WhatsApp Cloud API, Instagram's Send
// API and SMTP for e-mail. Each call blocks (delivery threads only) and ends within
// provider_settings::request_timeout.
#include <functional>
#include <string>
#include <string_view>

#include "broker/delivery/delivery_policy.h"
#include "broker/delivery/delivery_settings.h"
#include "broker/delivery/http_post.h"
#include "persistence/deliveries.h"

namespace ringcast::broker::delivery {

struct send_result {
  send_verdict verdict = send_verdict::final;
  std::string provider;             // twilio | whatsapp | instagram | smtp
  std::string provider_message_id;  // when sent
  std::string error;                // when not sent: why, for the staff and the row
};

// Which provider serves a channel with these settings: sms -> twilio; whatsapp -> whatsapp (the
// Cloud API) when its token is set, else twilio; instagram -> instagram; email -> smtp.
std::string_view provider_for(std::string_view channel, const provider_settings& p) noexcept;

// Sends the delivery through the provider_for() its channel. Not configured (no credentials or
// URL) or no customer address: a final failure that says what is missing.
send_result send_delivery(const persistence::claimed_delivery& d, const provider_settings& p);

send_result send_twilio(const persistence::claimed_delivery& d, const provider_settings& p);
send_result send_whatsapp_cloud(const persistence::claimed_delivery& d, const provider_settings& p);
send_result send_instagram(const persistence::claimed_delivery& d, const provider_settings& p);
send_result send_smtp(const persistence::claimed_delivery& d, const provider_settings& p);

// The result of a provider's HTTP answer: a 2xx is sent, with the message id `message_id` finds
// in the JSON body (a 2xx without one is sent with no id); otherwise verdict_of_http, with the
// provider's own error message when its body has one.
using message_id_fn = std::function<std::string(std::string_view body)>;
send_result http_send_result(std::string_view provider, const http_post_response& r, const message_id_fn& message_id);

// POSTs a JSON body with a Bearer token (the Meta APIs) and reads the result as above.
send_result post_json_with_token(std::string_view provider, std::string url, std::string json_body,
                                 const std::string& token, const provider_settings& p,
                                 const message_id_fn& message_id);

// A string at a path of object keys in a JSON text ("messages", 0, "id" is {"messages", "0", "id"});
// empty when absent or not a string.
std::string json_string_at(std::string_view json, std::initializer_list<std::string_view> path);

// Base URL + path, with exactly one '/' between them.
std::string join_url(std::string_view base, std::string_view path);

}  // namespace ringcast::broker::delivery
