// The WhatsApp Cloud API: POST {api}/v19.0/{phone-number-id}/messages with a Bearer token and a
// JSON text message. The answer's messages[0].id (a wamid) is what the statuses[] of the
// webhook name.
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "broker/delivery/providers.h"

namespace ringcast::broker::delivery {

send_result send_whatsapp_cloud(const persistence::claimed_delivery& d, const provider_settings& p) {
  // The Cloud API takes the number with its country code and without the '+'.
  std::string_view to = *d.recipient;
  if (!to.empty() && to.front() == '+') to.remove_prefix(1);
  boost::json::object body{{"messaging_product", "whatsapp"},
                           {"recipient_type", "individual"},
                           {"to", to},
                           {"type", "text"},
                           {"text", boost::json::object{{"preview_url", false}, {"body", d.content}}}};
  return post_json_with_token("whatsapp", join_url(p.whatsapp_api_url, "v19.0/" + p.whatsapp_phone_number_id + "/messages"),
                              boost::json::serialize(body), p.whatsapp_token, p,
                              [](std::string_view b) { return json_string_at(b, {"messages", "0", "id"}); });
}

}  // namespace ringcast::broker::delivery
