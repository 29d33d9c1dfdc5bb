#include "broker/delivery/status_callbacks.h"

#include "broker/channels/meta_webhook.h"
#include "persistence/deliveries.h"

namespace ringcast::broker::delivery {
namespace {

using channels::object_at;
using channels::objects_at;
using channels::string_at;

// A number, or a string of digits (Meta sends both kinds of timestamps); 0 otherwise.
std::int64_t number_at(const boost::json::object& o, std::string_view key) {
  const auto* n = o.if_contains(key);
  if (!n) return 0;
  if (n->is_int64()) return n->get_int64();
  if (n->is_uint64()) return std::int64_t(n->get_uint64());
  if (n->is_double()) return std::int64_t(n->get_double());
  if (!n->is_string() || n->get_string().empty()) return 0;
  std::int64_t out = 0;
  for (char c : n->get_string()) {
    if (c < '0' || c > '9') return 0;
    out = out * 10 + (c - '0');
  }
  return out;
}

// "131047 Re-engagement message: More than 24 hours have passed..." from a Cloud API errors[].
std::string whatsapp_error(const boost::json::object& status) {
  const auto errors = objects_at(status, "errors");
  if (errors.empty()) return "whatsapp: failed";
  const auto& e = *errors.front();
  std::string out = "whatsapp: " + std::to_string(number_at(e, "code"));
  if (auto title = string_at(e, "title"); !title.empty()) out += " " + title;
  std::string detail = string_at(e, "message");
  if (const auto* data = object_at(e, "error_data"))
    if (auto d = string_at(*data, "details"); !d.empty()) detail = d;
  if (!detail.empty()) out += ": " + detail;
  return out;
}

}  // namespace

std::optional<provider_status_update> parse_twilio_status(const form_lookup& field) {
  const auto sid = field("MessageSid");
  const auto status = field("MessageStatus");
  if (!sid || sid->empty() || !status) return std::nullopt;
  provider_status_update u;
  u.provider = "twilio";
  u.provider_message_id = *sid;
  if (*status == "delivered" || *status == "read") {
    u.status = *status;
  } else if (*status == "failed" || *status == "undelivered" || *status == "canceled") {
    u.status = "failed";
    std::string why = "twilio: " + *status;
    if (auto code = field("ErrorCode"); code && !code->empty()) why += " (error " + *code + ")";
    u.error = std::move(why);
  } else {
    return std::nullopt;  // queued, sending, sent, accepted...: nothing the row does not know
  }
  return u;
}

std::optional<provider_status_update> parse_whatsapp_status(const boost::json::object& status) {
  provider_status_update u;
  u.provider = "whatsapp";
  u.provider_message_id = string_at(status, "id");
  u.status = string_at(status, "status");
  if (u.provider_message_id.empty()) return std::nullopt;
  if (u.status == "failed") u.error = whatsapp_error(status);
  else if (u.status != "delivered" && u.status != "read") return std::nullopt;
  return u;
}

std::vector<provider_status_update> parse_instagram_event(const boost::json::object& event) {
  std::vector<provider_status_update> out;
  std::string customer;
  if (const auto* sender = object_at(event, "sender")) customer = string_at(*sender, "id");
  // By message id, or (no id) every message sent to the customer up to the watermark.
  auto add = [&](const char* status, std::string mid, std::int64_t watermark) {
    provider_status_update u;
    u.provider = "instagram";
    u.status = status;
    if (!mid.empty()) {
      u.provider_message_id = std::move(mid);
    } else if (!customer.empty() && watermark > 0) {
      u.recipient = customer;
      u.watermark_ms = watermark;
    } else {
      return;
    }
    out.push_back(std::move(u));
  };
  if (const auto* delivery = object_at(event, "delivery")) {
    bool any = false;
    if (const auto* mids = delivery->if_contains("mids"); mids && mids->is_array())
      for (const auto& mid : mids->get_array())
        if (mid.is_string()) {
          add("delivered", std::string(mid.get_string()), 0);
          any = true;
        }
    if (!any) add("delivered", {}, number_at(*delivery, "watermark"));
  }
  if (const auto* read = object_at(event, "read")) add("read", string_at(*read, "mid"), number_at(*read, "watermark"));
  return out;
}

persistence::query status_query(const provider_status_update& u) {
  if (u.provider_message_id.empty())
    return persistence::provider_status_by_watermark(u.provider, u.recipient, u.status, u.watermark_ms);
  return persistence::provider_status(u.provider, u.provider_message_id, u.status, u.error);
}

}  // namespace ringcast::broker::delivery
