// Twilio Programmable Messaging, WhatsApp and SMS: POST /webhooks/twilio, a form with From, To,
// Body, MessageSid, NumMedia, MediaUrl0..., signed with X-Twilio-Signature; answered with empty
// TwiML (no automatic reply: replies go out through the outbound delivery).
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "broker/channels/webhook_router.h"
#include "protocol/webhook_signature.h"

namespace ringcast::broker::channels {
namespace {

constexpr std::string_view empty_twiml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response/>";
constexpr std::size_t max_media = 10;  // Twilio sends at most 10 media per message

std::string field(const std::vector<protocol::form_field>& f, std::string_view name) {
  const std::string* v = protocol::find_field(f, name);
  return v ? *v : std::string();
}

void inbound(webhook_call& call) {
  auto fields = twilio_verified_form(call);
  if (!fields) return;
  call.on_success("text/xml", std::string(empty_twiml));
  inbound_message m;
  m.provider_message_id = field(*fields, "MessageSid");
  std::string from = field(*fields, "From");
  constexpr std::string_view wa = "whatsapp:";
  if (from.compare(0, wa.size(), wa) == 0) {
    m.channel = "whatsapp";
    from.erase(0, wa.size());
  } else {
    m.channel = "sms";
  }
  m.external_id = std::move(from);
  if (m.provider_message_id.empty() || m.external_id.empty())
    return call.refuse(400, webhook_outcome::malformed, "From and MessageSid are required");
  m.content = field(*fields, "Body");
  if (auto name = field(*fields, "ProfileName"); !name.empty()) m.customer_name = std::move(name);
  boost::json::array media;
  for (std::size_t i = 0; i < max_media; ++i) {
    const std::string url = field(*fields, "MediaUrl" + std::to_string(i));
    if (url.empty()) break;
    media.push_back(boost::json::object{{"url", url}, {"contentType", field(*fields, "MediaContentType" + std::to_string(i))}});
  }
  if (!media.empty()) m.attachments_json = boost::json::serialize(media);
  std::vector<inbound_message> batch;
  batch.push_back(std::move(m));
  call.store(std::move(batch));
}

}  // namespace

std::optional<std::vector<protocol::form_field>> twilio_verified_form(webhook_call& call) {
  if (call.media_type() != "application/x-www-form-urlencoded") {
    call.refuse(415, webhook_outcome::unsupported_type, "expected application/x-www-form-urlencoded");
    return std::nullopt;
  }
  auto fields = call.form();
  if (!fields) return std::nullopt;
  const std::string_view header = call.request().find_header("X-Twilio-Signature").value_or("");
  if (!protocol::twilio_signature_valid(call.config().twilio_auth_token, call.signed_url(), *fields, header)) {
    call.refuse(403, webhook_outcome::forbidden, "bad or missing X-Twilio-Signature");
    return std::nullopt;
  }
  const std::string& sid = call.config().twilio_account_sid;
  const std::string* account = protocol::find_field(*fields, "AccountSid");
  if (!sid.empty() && (!account || *account != sid)) {
    call.refuse(403, webhook_outcome::forbidden, "another Twilio account");
    return std::nullopt;
  }
  return fields;
}

void add_twilio_routes(webhook_router& r) {
  r.add_route(protocol::http_method::post, "/webhooks/twilio", webhook_provider::twilio, inbound);
}

}  // namespace ringcast::broker::channels
