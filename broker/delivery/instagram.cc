// Instagram's Send API (Messenger Platform): POST {api}/v19.0/me/messages with the page's token
// and JSON {recipient: {id: IGSID}, message: {text}}. The answer's message_id (a mid) is what
// the delivery and read events of the webhook name.
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "broker/delivery/providers.h"

namespace ringcast::broker::delivery {

send_result send_instagram(const persistence::claimed_delivery& d, const provider_settings& p) {
  boost::json::object body{{"recipient", boost::json::object{{"id", *d.recipient}}},
                           {"message", boost::json::object{{"text", d.content}}}};
  return post_json_with_token("instagram", join_url(p.instagram_api_url, "v19.0/me/messages"),
                              boost::json::serialize(body), p.instagram_token, p,
                              [](std::string_view b) { return json_string_at(b, {"message_id"}); });
}

}  // namespace ringcast::broker::delivery
