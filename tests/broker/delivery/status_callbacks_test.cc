// The providers' status callbacks become delivery updates: only delivered, read and failed (with
// the provider's reason); anything else says nothing new.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "broker/delivery/status_callbacks.h"

namespace ringcast::broker::delivery {
namespace {

provider_status_update by_id(std::string provider, std::string id, std::string status,
                             std::optional<std::string> error = std::nullopt) {
  provider_status_update u;
  u.provider = std::move(provider);
  u.provider_message_id = std::move(id);
  u.status = std::move(status);
  u.error = std::move(error);
  return u;
}

TEST(twilio_status, delivered_read_and_failures) {
  EXPECT_EQ(parse_twilio_status("MessageSid=SM1&MessageStatus=delivered&AccountSid=AC1"),
            by_id("twilio", "SM1", "delivered"));
  EXPECT_EQ(parse_twilio_status("MessageStatus=read&MessageSid=SM2"), by_id("twilio", "SM2", "read"));
  EXPECT_EQ(parse_twilio_status("MessageSid=SM3&MessageStatus=undelivered&ErrorCode=30003"),
            by_id("twilio", "SM3", "failed", "twilio: undelivered (error 30003)"));
  EXPECT_EQ(parse_twilio_status("MessageSid=SM4&MessageStatus=failed"), by_id("twilio", "SM4", "failed", "twilio: failed"));
}

TEST(twilio_status, earlier_states_and_malformed_bodies_are_nothing) {
  for (const char* s : {"queued", "sending", "sent", "accepted", "scheduled", "receiving"})
    EXPECT_FALSE(parse_twilio_status(std::string("MessageSid=SM1&MessageStatus=") + s)) << s;
  EXPECT_FALSE(parse_twilio_status("MessageStatus=delivered"));
  EXPECT_FALSE(parse_twilio_status("MessageSid=&MessageStatus=delivered"));
  EXPECT_FALSE(parse_twilio_status("MessageSid=SM1"));
  EXPECT_FALSE(parse_twilio_status(""));
}

TEST(whatsapp_statuses, every_status_of_every_change) {
  auto body = boost::json::parse(R"({
    "object": "whatsapp_business_account",
    "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
      "messaging_product": "whatsapp",
      "statuses": [
        {"id": "wamid.A", "status": "sent", "timestamp": "1700000000", "recipient_id": "15550001111"},
        {"id": "wamid.A", "status": "delivered", "timestamp": "1700000001", "recipient_id": "15550001111"},
        {"id": "wamid.B", "status": "read", "timestamp": "1700000002"},
        {"id": "wamid.C", "status": "failed", "errors": [{"code": 131047, "title": "Re-engagement message",
          "message": "Re-engagement message", "error_data": {"details": "More than 24 hours have passed"}}]},
        {"status": "delivered"}
      ]}}]},
      {"id": "WABA2", "changes": [{"field": "messages", "value": {"messages": [{"id": "wamid.in"}]}}]}]
  })");
  auto got = parse_whatsapp_statuses(body);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], by_id("whatsapp", "wamid.A", "delivered"));
  EXPECT_EQ(got[1], by_id("whatsapp", "wamid.B", "read"));
  EXPECT_EQ(got[2], by_id("whatsapp", "wamid.C", "failed",
                          "whatsapp: 131047 Re-engagement message: More than 24 hours have passed"));
}

TEST(whatsapp_statuses, shapes_that_are_not_a_webhook_give_nothing) {
  for (const char* text : {"{}", "[]", "42", R"({"entry": {}})", R"({"entry": [{"changes": [{"value": 1}]}]})",
                           R"({"entry": [{"changes": [{"value": {"statuses": [1, "x", null]}}]}]})"})
    EXPECT_TRUE(parse_whatsapp_statuses(boost::json::parse(text)).empty()) << text;
}

TEST(instagram_receipts, delivery_mids_read_mid_and_watermarks) {
  auto body = boost::json::parse(R"({
    "object": "instagram",
    "entry": [{"id": "IGID", "time": 1700000000000, "messaging": [
      {"sender": {"id": "IGSID1"}, "recipient": {"id": "IGID"}, "delivery": {"mids": ["mid.1", "mid.2"], "watermark": 1700000000000}},
      {"sender": {"id": "IGSID1"}, "recipient": {"id": "IGID"}, "read": {"mid": "mid.2"}},
      {"sender": {"id": "IGSID2"}, "recipient": {"id": "IGID"}, "read": {"watermark": 1700000005000}},
      {"sender": {"id": "IGSID3"}, "recipient": {"id": "IGID"}, "delivery": {"watermark": "1700000006000"}},
      {"sender": {"id": "IGSID4"}, "recipient": {"id": "IGID"}, "message": {"mid": "mid.in", "text": "hi"}}
    ]}]
  })");
  auto got = parse_instagram_receipts(body);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0], by_id("instagram", "mid.1", "delivered"));
  EXPECT_EQ(got[1], by_id("instagram", "mid.2", "delivered"));
  EXPECT_EQ(got[2], by_id("instagram", "mid.2", "read"));
  EXPECT_EQ(got[3].status, "read");
  EXPECT_EQ(got[3].recipient, "IGSID2");
  EXPECT_EQ(got[3].watermark_ms, 1700000005000);
  EXPECT_TRUE(got[3].provider_message_id.empty());
  EXPECT_EQ(got[4].status, "delivered");
  EXPECT_EQ(got[4].recipient, "IGSID3");
  EXPECT_EQ(got[4].watermark_ms, 1700000006000);
}

TEST(instagram_receipts, a_watermark_without_its_customer_is_nothing) {
  auto body = boost::json::parse(R"({"entry": [{"messaging": [{"read": {"watermark": 5}}, {"delivery": {}}]}]})");
  EXPECT_TRUE(parse_instagram_receipts(body).empty());
}

}  // namespace
}  // namespace ringcast::broker::delivery
