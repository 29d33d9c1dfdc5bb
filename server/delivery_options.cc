#include "server/delivery_options.h"

#include <string>

#include "server/options.h"

namespace ringcast::server {
namespace {

using broker::delivery::provider_settings;

bool is_url(std::string_view v, std::initializer_list<std::string_view> schemes) {
  for (auto s : schemes)
    if (v.substr(0, s.size()) == s && v.size() > s.size()) return true;
  return false;
}

// A text flag of the providers' settings; `check` the value's shape.
option_spec text_flag(std::string_view flag, std::string_view env, std::string_view value_name,
                      std::string_view help, std::string provider_settings::*field,
                      bool (*check)(std::string_view) = nullptr) {
  return {flag, env, value_name, help, [field, check](options& o, std::string_view v) {
            if (check ? !check(v) : v.empty()) return false;
            o.delivery.providers.*field = std::string(v);
            return true;
          }};
}

bool http_url(std::string_view v) { return is_url(v, {"http://", "https://"}); }
bool smtp_url(std::string_view v) { return is_url(v, {"smtp://", "smtps://"}); }

}  // namespace

std::vector<option_spec> delivery_option_specs() {
  return {
      text_flag("twilio-api-url", "RINGCAST_TWILIO_API_URL", "URL",
                "outbound: Twilio's API base URL (default https://api.twilio.com)", &provider_settings::twilio_api_url,
                http_url),
      text_flag("twilio-from", "RINGCAST_TWILIO_FROM", "NUMBER", "outbound: the E.164 number replies by SMS come from",
                &provider_settings::twilio_from),
      text_flag("twilio-whatsapp-from", "RINGCAST_TWILIO_WHATSAPP_FROM", "NUMBER",
                "outbound: the WhatsApp number replies through Twilio come from (default --twilio-from)",
                &provider_settings::twilio_whatsapp_from),
      text_flag("whatsapp-api-url", "RINGCAST_WHATSAPP_API_URL", "URL",
                "outbound: the WhatsApp Cloud API base URL (default https://graph.facebook.com)",
                &provider_settings::whatsapp_api_url, http_url),
      text_flag("instagram-api-url", "RINGCAST_INSTAGRAM_API_URL", "URL",
                "outbound: Instagram's Send API base URL (default https://graph.facebook.com)",
                &provider_settings::instagram_api_url, http_url),
      text_flag("smtp-url", "RINGCAST_SMTP_URL", "URL",
                "outbound: the SMTP server for e-mail replies, smtp://host:port or smtps://user:password@host:port",
                &provider_settings::smtp_url, smtp_url),
      text_flag("smtp-from", "RINGCAST_SMTP_FROM", "ADDRESS", "outbound: the From of e-mail replies (its domain names the Message-Ids)",
                &provider_settings::smtp_from),
      {"delivery-timeout-ms", "RINGCAST_DELIVERY_TIMEOUT_MS", "MS", "outbound: one provider call's time limit (default 15000)",
       [](options& o, std::string_view v) { return parse_ms(v, o.delivery.providers.request_timeout); }},
      {"delivery-concurrency", "RINGCAST_DELIVERY_CONCURRENCY", "N", "outbound: provider calls at once, on delivery threads (default 4)",
       [](options& o, std::string_view v) { return parse_number<unsigned>(v, o.delivery.concurrency, 1, 256); }},
      {"delivery-max-attempts", "RINGCAST_DELIVERY_MAX_ATTEMPTS", "N",
       "outbound: provider calls per message before a retryable failure is final (default 5)",
       [](options& o, std::string_view v) { return parse_number<unsigned>(v, o.delivery.policy.max_attempts, 1, 100); }},
      {"delivery-backoff-ms", "RINGCAST_DELIVERY_BACKOFF_MS", "MS",
       "outbound: the wait before the first retry; it doubles for each next one (default 1000)",
       [](options& o, std::string_view v) { return parse_ms(v, o.delivery.policy.backoff); }},
      {"delivery-max-backoff-ms", "RINGCAST_DELIVERY_MAX_BACKOFF_MS", "MS", "outbound: the longest wait between retries (default 300000)",
       [](options& o, std::string_view v) { return parse_ms(v, o.delivery.policy.max_backoff); }},
      {"delivery-max-queue", "RINGCAST_DELIVERY_MAX_QUEUE", "N",
       "outbound: deliveries waiting for a thread or a retry; past it they wait for the next start (default 100000)",
       [](options& o, std::string_view v) { return parse_number<std::size_t>(v, o.delivery.max_queue, 1, 10'000'000); }},
  };
}

}  // namespace ringcast::server
