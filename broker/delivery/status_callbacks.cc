#include "broker/delivery/status_callbacks.h"

#include "persistence/deliveries.h"
#include "protocol/url.h"

namespace ringcast::broker::delivery {
namespace {

const boost::json::array* array_at(const boost::json::value& v, std::string_view key) {
  const auto* o = v.if_object();
  const auto* a = o ? o->if_contains(key) : nullptr;
  return a ? a->if_array() : nullptr;
}

std::string string_at(const boost::json::value& v, std::string_view key) {
  const auto* o = v.if_object();
  const auto* s = o ? o->if_contains(key) : nullptr;
  return s && s->is_string() ? std::string(s->get_string()) : std::string();
}

// A number, or a string of digits (Meta sends both kinds of timestamps).
std::int64_t number_at(const boost::json::value& v, std::string_view key) {
  const auto* o = v.if_object();
  const auto* n = o ? o->if_contains(key) : nullptr;
  if (!n) return 0;
  if (n->is_int64()) return n->get_int64();
  if (n->is_uint64()) return std::int64_t(n->get_uint64());
  if (n->is_double()) return std::int64_t(n->get_double());
  if (n->is_string()) {
    std::int64_t out = 0;
    for (char c : n->get_string()) {
      if (c < '0' || c > '9') return 0;
      out = out * 10 + (c - '0');
    }
    return out;
  }
  return 0;
}

// "131047 Re-engagement message: More than 24 hours have passed..." from a Cloud API errors[].
std::string whatsapp_error(const boost::json::value& status) {
  const auto* errors = array_at(status, "errors");
  if (!errors || errors->empty()) return "whatsapp: failed";
  const auto& e = (*errors)[0];
  std::string out = "whatsapp: " + std::to_string(number_at(e, "code"));
  if (auto title = string_at(e, "title"); !title.empty()) out += " " + title;
  std::string detail = string_at(e, "message");
  if (const auto* o = e.if_object(); o && o->if_contains("error_data"))
    if (auto d = string_at(o->at("error_data"), "details"); !d.empty()) detail = d;
  if (!detail.empty()) out += ": " + detail;
  return out;
}

}  // namespace

std::vector<provider_status_update> parse_twilio_status(std::string_view form_body) {
  std::vector<provider_status_update> out;
  const auto sid = protocol::query_param(form_body, "MessageSid");
  const auto status = protocol::query_param(form_body, "MessageStatus");
  if (!sid || sid->empty() || !status) return out;
  provider_status_update u;
  u.provider = "twilio";
  u.provider_message_id = *sid;
  if (*status == "delivered" || *status == "read") {
    u.status = *status;
  } else if (*status == "failed" || *status == "undelivered" || *status == "canceled") {
    u.status = "failed";
    std::string why = "twilio: " + *status;
    if (auto code = protocol::query_param(form_body, "ErrorCode"); code && !code->empty()) why += " (error " + *code + ")";
    u.error = std::move(why);
  } else {
    return out;  // queued, sending, sent, accepted...: nothing the row does not know
  }
  out.push_back(std::move(u));
  return out;
}

std::vector<provider_status_update> parse_whatsapp_statuses(const boost::json::value& body) {
  std::vector<provider_status_update> out;
  const auto* entries = array_at(body, "entry");
  if (!entries) return out;
  for (const auto& entry : *entries) {
    const auto* changes = array_at(entry, "changes");
    if (!changes) continue;
    for (const auto& change : *changes) {
      const auto* o = change.if_object();
      const auto* value = o ? o->if_contains("value") : nullptr;
      const auto* statuses = value ? array_at(*value, "statuses") : nullptr;
      if (!statuses) continue;
      for (const auto& s : *statuses) {
        provider_status_update u;
        u.provider = "whatsapp";
        u.provider_message_id = string_at(s, "id");
        u.status = string_at(s, "status");
        if (u.provider_message_id.empty()) continue;
        if (u.status == "failed") u.error = whatsapp_error(s);
        else if (u.status != "delivered" && u.status != "read") continue;
        out.push_back(std::move(u));
      }
    }
  }
  return out;
}

std::vector<provider_status_update> parse_instagram_receipts(const boost::json::value& body) {
  std::vector<provider_status_update> out;
  const auto* entries = array_at(body, "entry");
  if (!entries) return out;
  auto add = [&](const std::string& status, std::string mid, const std::string& customer, std::int64_t watermark) {
    provider_status_update u;
    u.provider = "instagram";
    u.status = status;
    if (!mid.empty()) u.provider_message_id = std::move(mid);
    else if (!customer.empty() && watermark > 0) u.recipient = customer, u.watermark_ms = watermark;
    else return;
    out.push_back(std::move(u));
  };
  for (const auto& entry : *entries) {
    const auto* events = array_at(entry, "messaging");
    if (!events) continue;
    for (const auto& ev : *events) {
      const auto* o = ev.if_object();
      if (!o) continue;
      std::string customer;
      if (const auto* sender = o->if_contains("sender")) customer = string_at(*sender, "id");
      if (const auto* delivery = o->if_contains("delivery")) {
        const auto* mids = array_at(*delivery, "mids");
        if (mids && !mids->empty()) {
          for (const auto& mid : *mids)
            if (mid.is_string()) add("delivered", std::string(mid.get_string()), customer, 0);
        } else {
          add("delivered", {}, customer, number_at(*delivery, "watermark"));
        }
      }
      if (const auto* read = o->if_contains("read")) add("read", string_at(*read, "mid"), customer, number_at(*read, "watermark"));
    }
  }
  return out;
}

persistence::query status_query(const provider_status_update& u) {
  if (u.provider_message_id.empty())
    return persistence::provider_status_by_watermark(u.provider, u.recipient, u.status, u.watermark_ms);
  return persistence::provider_status(u.provider, u.provider_message_id, u.status, u.error);
}

}  // namespace ringcast::broker::delivery
