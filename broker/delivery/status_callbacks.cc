#include "broker/delivery/status_callbacks.h"

#include "persistence/deliveries.h"
#include "protocol/url.h"

namespace ringcast::broker::delivery {
namespace {

const boost::json::value* member(const boost::json::value& v, std::string_view key) {
  const auto* o = v.if_object();
  return o ? o->if_contains(key) : nullptr;
}

const boost::json::array* array_at(const boost::json::value& v, std::string_view key) {
  const auto* a = member(v, key);
  return a ? a->if_array() : nullptr;
}

std::string string_at(const boost::json::object& o, std::string_view key) {
  const auto* s = o.if_contains(key);
  return s && s->is_string() ? std::string(s->get_string()) : std::string();
}

std::string string_at(const boost::json::value& v, std::string_view key) {
  const auto* o = v.if_object();
  return o ? string_at(*o, key) : std::string();
}

// A number, or a string of digits (Meta sends both kinds of timestamps).
std::int64_t number_at(const boost::json::value& v, std::string_view key) {
  const auto* n = member(v, key);
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
std::string whatsapp_error(const boost::json::object& status) {
  const auto* e_value = status.if_contains("errors");
  const auto* errors = e_value ? e_value->if_array() : nullptr;
  if (!errors || errors->empty()) return "whatsapp: failed";
  const auto& e = (*errors)[0];
  std::string out = "whatsapp: " + std::to_string(number_at(e, "code"));
  if (auto title = string_at(e, "title"); !title.empty()) out += " " + title;
  std::string detail = string_at(e, "message");
  if (const auto* data = member(e, "error_data"))
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

std::optional<provider_status_update> parse_twilio_status(std::string_view form_body) {
  return parse_twilio_status([form_body](std::string_view name) { return protocol::query_param(form_body, name); });
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
      for (const auto& s : *statuses)
        if (const auto* so = s.if_object())
          if (auto u = parse_whatsapp_status(*so)) out.push_back(std::move(*u));
    }
  }
  return out;
}

std::vector<provider_status_update> parse_instagram_event(const boost::json::object& event) {
  std::vector<provider_status_update> out;
  auto add = [&](const char* status, std::string mid, const std::string& customer, std::int64_t watermark) {
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
  std::string customer;
  if (const auto* sender = event.if_contains("sender")) customer = string_at(*sender, "id");
  if (const auto* delivery = event.if_contains("delivery")) {
    const auto* mids = array_at(*delivery, "mids");
    if (mids && !mids->empty()) {
      for (const auto& mid : *mids)
        if (mid.is_string()) add("delivered", std::string(mid.get_string()), customer, 0);
    } else {
      add("delivered", {}, customer, number_at(*delivery, "watermark"));
    }
  }
  if (const auto* read = event.if_contains("read")) add("read", string_at(*read, "mid"), customer, number_at(*read, "watermark"));
  return out;
}

std::vector<provider_status_update> parse_instagram_receipts(const boost::json::value& body) {
  std::vector<provider_status_update> out;
  const auto* entries = array_at(body, "entry");
  if (!entries) return out;
  for (const auto& entry : *entries) {
    const auto* events = array_at(entry, "messaging");
    if (!events) continue;
    for (const auto& ev : *events)
      if (const auto* o = ev.if_object())
        for (auto& u : parse_instagram_event(*o)) out.push_back(std::move(u));
  }
  return out;
}

persistence::query status_query(const provider_status_update& u) {
  if (u.provider_message_id.empty())
    return persistence::provider_status_by_watermark(u.provider, u.recipient, u.status, u.watermark_ms);
  return persistence::provider_status(u.provider, u.provider_message_id, u.status, u.error);
}

}  // namespace ringcast::broker::delivery
