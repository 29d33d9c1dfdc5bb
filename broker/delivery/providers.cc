#include "broker/delivery/providers.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cctype>

namespace ringcast::broker::delivery {
namespace {

send_result final_failure(std::string_view provider, std::string why) {
  return send_result{send_verdict::final, std::string(provider), {}, std::move(why)};
}

// The provider's own words for a refusal: Twilio's {message, code}, Meta's {error: {message, code}}.
std::string provider_error(std::string_view body) {
  std::string message = json_string_at(body, {"error", "message"});
  if (message.empty()) message = json_string_at(body, {"message"});
  if (message.empty()) message = json_string_at(body, {"error"});
  return message;
}

}  // namespace

std::string json_string_at(std::string_view json, std::initializer_list<std::string_view> path) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  if (ec) return {};
  const boost::json::value* at = &v;
  for (std::string_view key : path) {
    if (const auto* o = at->if_object()) {
      at = o->if_contains(key);
    } else if (const auto* a = at->if_array(); a && !key.empty() && std::isdigit(static_cast<unsigned char>(key[0]))) {
      const std::size_t i = std::size_t(std::stoul(std::string(key)));
      at = i < a->size() ? &(*a)[i] : nullptr;
    } else {
      at = nullptr;
    }
    if (!at) return {};
  }
  return at->is_string() ? std::string(at->get_string()) : std::string();
}

std::string join_url(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string out(base);
  out += '/';
  out += path;
  return out;
}

send_result http_send_result(std::string_view provider, const http_post_response& r, const message_id_fn& message_id) {
  send_result out;
  out.provider = provider;
  out.verdict = verdict_of_http(r.status);
  if (out.verdict == send_verdict::sent) {
    out.provider_message_id = message_id(r.body);
    return out;
  }
  if (r.status == 0) {
    out.error = std::string(provider) + ": " + r.transport_error;
    return out;
  }
  out.error = std::string(provider) + ": HTTP " + std::to_string(r.status);
  if (std::string why = provider_error(r.body); !why.empty()) out.error += ": " + why.substr(0, 500);
  return out;
}

send_result post_json_with_token(std::string_view provider, std::string url, std::string json_body,
                                 const std::string& token, const provider_settings& p,
                                 const message_id_fn& message_id) {
  http_post_request req;
  req.url = std::move(url);
  req.content_type = "application/json";
  req.body = std::move(json_body);
  req.bearer = token;
  req.timeout = p.request_timeout;
  return http_send_result(provider, http_post(req), message_id);
}

std::string_view provider_for(std::string_view channel, const provider_settings& p) noexcept {
  if (channel == "sms") return "twilio";
  if (channel == "whatsapp") return p.whatsapp_token.empty() ? "twilio" : "whatsapp";
  if (channel == "instagram") return "instagram";
  if (channel == "email") return "smtp";
  return {};
}

send_result send_delivery(const persistence::claimed_delivery& d, const provider_settings& p) {
  const std::string_view provider = provider_for(d.channel, p);
  if (provider.empty()) return final_failure("none", "no provider serves the channel " + d.channel);
  if (!d.recipient || d.recipient->empty())
    return final_failure(provider, "the conversation's customer has no " + d.channel + " address");
  if (provider == "twilio") {
    if (p.twilio_account_sid.empty() || p.twilio_auth_token.empty())
      return final_failure(provider, "Twilio is not configured (--twilio-account-sid, --twilio-auth-token)");
    return send_twilio(d, p);
  }
  if (provider == "whatsapp") {
    if (p.whatsapp_phone_number_id.empty())
      return final_failure(provider, "the WhatsApp Cloud API is not configured (--whatsapp-phone-number-id)");
    return send_whatsapp_cloud(d, p);
  }
  if (provider == "instagram") {
    if (p.instagram_token.empty()) return final_failure(provider, "Instagram is not configured (--instagram-token)");
    return send_instagram(d, p);
  }
  if (p.smtp_url.empty() || p.smtp_from.empty())
    return final_failure(provider, "e-mail is not configured (--smtp-url, --smtp-from)");
  return send_smtp(d, p);
}

}  // namespace ringcast::broker::delivery
