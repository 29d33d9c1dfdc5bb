#include "broker/channels/meta_webhook.h"

#include <boost/json/parse.hpp>

#include "protocol/url.h"
#include "protocol/webhook_signature.h"

namespace ringcast::broker::channels {

void answer_meta_verification(webhook_call& call, const std::string& verify_token) {
  if (verify_token.empty()) return call.refuse(404, webhook_outcome::not_configured, "not found");
  const std::string_view query = call.request().query;
  const auto mode = protocol::query_param(query, "hub.mode");
  const auto token = protocol::query_param(query, "hub.verify_token");
  const auto challenge = protocol::query_param(query, "hub.challenge");
  if (!mode || !token || !challenge || *mode != "subscribe")
    return call.refuse(400, webhook_outcome::malformed, "expected hub.mode=subscribe, hub.verify_token and hub.challenge");
  if (!protocol::constant_time_equal(*token, verify_token))
    return call.refuse(403, webhook_outcome::forbidden, "wrong hub.verify_token");
  call.answer(200, webhook_outcome::accepted, "text/plain", *challenge);
}

std::optional<boost::json::object> meta_verified_json(webhook_call& call, const std::string& app_secret) {
  if (call.media_type() != "application/json") {
    call.refuse(415, webhook_outcome::unsupported_type, "expected application/json");
    return std::nullopt;
  }
  const std::string_view header = call.request().find_header("X-Hub-Signature-256").value_or("");
  if (!protocol::meta_signature_valid(app_secret, call.body(), header)) {
    call.refuse(403, webhook_outcome::forbidden, "bad or missing X-Hub-Signature-256");
    return std::nullopt;
  }
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(call.body(), ec);
  const auto* entries = v.is_object() ? v.as_object().if_contains("entry") : nullptr;
  if (ec || !entries || !entries->is_array()) {
    call.refuse(400, webhook_outcome::malformed, "the body is not a JSON object with entry[]");
    return std::nullopt;
  }
  return std::move(v.as_object());
}

void add_meta_routes(webhook_router& r, const std::string& path, webhook_provider provider,
                     std::string channel_config::*verify_token, webhook_handler inbound) {
  r.add_route(protocol::http_method::get, path, provider,
              [verify_token](webhook_call& call) { answer_meta_verification(call, call.config().*verify_token); });
  r.add_route(protocol::http_method::post, path, provider, std::move(inbound));
}

void store_then_hook(webhook_call& call, std::vector<inbound_message> messages, const meta_hook& hook,
                     const std::vector<const boost::json::object*>& events) {
  call.store(std::move(messages));
  if (call.answered() || !hook) return;
  for (const auto* e : events) hook(call, *e);
}

std::string string_at(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

const boost::json::object* object_at(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

std::vector<const boost::json::object*> objects_at(const boost::json::object& o, std::string_view key) {
  std::vector<const boost::json::object*> out;
  const auto* v = o.if_contains(key);
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->as_array())
    if (e.is_object()) out.push_back(&e.as_object());
  return out;
}

}  // namespace ringcast::broker::channels
