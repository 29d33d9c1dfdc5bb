#include "broker/inbox/payloads.h"

#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace ringcast::broker::inbox {

std::string iso_time(std::int64_t unix_us) {
  const std::int64_t ms = unix_us / 1000;
  std::time_t secs = std::time_t(ms / 1000);
  int millis = int(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", millis);
  return buf;
}

std::string iso_time_now() {
  return iso_time(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

namespace {
boost::json::value optional_string(const std::optional<std::string>& s) {
  return s ? boost::json::value(*s) : boost::json::value(nullptr);
}
}  // namespace

boost::json::object conversation_json(const persistence::inbox_conversation& c) {
  boost::json::object o;
  o["id"] = c.id;
  o["customerId"] = optional_string(c.customer_id);
  o["channel"] = c.channel;
  o["status"] = c.status;
  o["priority"] = c.priority;
  o["assignedStaffId"] = optional_string(c.assigned_staff_id);
  o["requiresHuman"] = c.requires_human;
  o["lastSeq"] = c.last_seq;
  o["lastMessageAt"] = c.last_message_at_us ? boost::json::value(iso_time(*c.last_message_at_us)) : nullptr;
  o["createdAt"] = iso_time(c.created_at_us);
  o["subject"] = optional_string(c.subject);
  o["escalationReason"] = optional_string(c.escalation_reason);
  return o;
}

boost::json::object message_json(const persistence::message_record& m) {
  boost::json::object o;
  o["id"] = m.id;
  o["conversationId"] = m.conversation_id;
  o["seq"] = m.seq;
  o["senderType"] = persistence::to_string(m.sender_type);
  o["senderId"] = m.sender_id;
  if (m.sender_name) o["senderName"] = *m.sender_name;
  o["content"] = m.content;
  if (m.attachments_json) {
    boost::system::error_code ec;
    auto v = boost::json::parse(*m.attachments_json, ec);
    if (!ec) o["attachments"] = std::move(v);
  }
  if (m.client_message_id) o["clientId"] = *m.client_message_id;
  if (m.sender_type == persistence::sender_type::ai && m.confidence)
    o["ai"] = boost::json::object{{"confidence", double(*m.confidence)},
                                  {"intent", m.intent ? boost::json::value(*m.intent) : boost::json::value(nullptr)},
                                  {"processingTimeMs", m.processing_time_ms ? *m.processing_time_ms : 0}};
  o["createdAt"] = iso_time(m.created_at_us);
  if (m.delivery_status) {
    // pending and sending are one state for a client: not yet accepted by the provider.
    const bool waiting = *m.delivery_status == "pending" || *m.delivery_status == "sending";
    boost::json::object d{{"status", waiting ? "pending" : *m.delivery_status}};
    if (m.delivery_error) d["reason"] = *m.delivery_error;
    o["delivery"] = std::move(d);
  }
  return o;
}

}  // namespace ringcast::broker::inbox
