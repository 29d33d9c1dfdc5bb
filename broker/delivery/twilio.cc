// Twilio's Messages API: POST {api}/2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded
// To, From and Body, HTTP Basic auth with the account sid and auth token. WhatsApp numbers carry
// the "whatsapp:" prefix on both ends. The answer's "sid" (SM...) is what status callbacks name.
#include "broker/delivery/providers.h"

namespace ringcast::broker::delivery {

send_result send_twilio(const persistence::claimed_delivery& d, const provider_settings& p) {
  const bool whatsapp = d.channel == "whatsapp";
  const std::string& from = whatsapp && !p.twilio_whatsapp_from.empty() ? p.twilio_whatsapp_from : p.twilio_from;
  if (from.empty())
    return send_result{send_verdict::final, "twilio", {}, "twilio: no sender number (--twilio-from)"};
  const std::string prefix = whatsapp ? "whatsapp:" : "";
  http_post_request req;
  req.url = join_url(p.twilio_api_url, "2010-04-01/Accounts/" + p.twilio_account_sid + "/Messages.json");
  req.content_type = "application/x-www-form-urlencoded";
  append_form_field(req.body, "To", prefix + *d.recipient);
  append_form_field(req.body, "From", from.rfind(prefix, 0) == 0 ? from : prefix + from);
  append_form_field(req.body, "Body", d.content);
  req.basic_user = p.twilio_account_sid;
  req.basic_password = p.twilio_auth_token;
  req.timeout = p.request_timeout;
  return http_send_result("twilio", http_post(req), [](std::string_view body) { return json_string_at(body, {"sid"}); });
}

}  // namespace ringcast::broker::delivery
