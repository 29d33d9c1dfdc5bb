// The providers' status callbacks become delivery updates: only delivered, read and failed (with
// the provider's reason); anything else says nothing new.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "broker/delivery/status_callbacks.h"
#include "protocol/url.h"

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

std::optional<provider_status_update> twilio(std::string_view form) {
  return parse_twilio_status([form](std::string_view name) { return protocol::query_param(form, name); });
}

boost::json::object object(std::string_view json) { return boost::json::parse(json).as_object(); }

TEST(twilio_status, delivered_read_and_failures) {
  EXPECT_EQ(twilio("MessageSid=SM1&MessageStatus=delivered&AccountSid=AC1"), by_id("twilio", "SM1", "delivered"));
  EXPECT_EQ(twilio("MessageStatus=read&MessageSid=SM2"), by_id("twilio", "SM2", "read"));
  EXPECT_EQ(twilio("MessageSid=SM3&MessageStatus=undelivered&ErrorCode=30003"),
            by_id("twilio", "SM3", "failed", "twilio: undelivered (error 30003)"));
  EXPECT_EQ(twilio("MessageSid=SM4&MessageStatus=failed"), by_id("twilio", "SM4", "failed", "twilio: failed"));
}

TEST(twilio_status, earlier_states_and_malformed_bodies_are_nothing) {
  for (const char* s : {"queued", "sending", "sent", "accepted", "scheduled", "receiving"})
    EXPECT_FALSE(twilio(std::string("MessageSid=SM1&MessageStatus=") + s)) << s;
  EXPECT_FALSE(twilio("MessageStatus=delivered"));
  EXPECT_FALSE(twilio("MessageSid=&MessageStatus=delivered"));
  EXPECT_FALSE(twilio("MessageSid=SM1"));
  EXPECT_FALSE(twilio(""));
}

TEST(whatsapp_status, delivered_read_and_failed_with_the_reason) {
  EXPECT_FALSE(parse_whatsapp_status(object(R"({"id": "wamid.A", "status": "sent", "recipient_id": "1555"})")));
  EXPECT_EQ(parse_whatsapp_status(object(R"({"id": "wamid.A", "status": "delivered", "timestamp": "1700000001"})")),
            by_id("whatsapp", "wamid.A", "delivered"));
  EXPECT_EQ(parse_whatsapp_status(object(R"({"id": "wamid.B", "status": "read"})")), by_id("whatsapp", "wamid.B", "read"));
  EXPECT_EQ(parse_whatsapp_status(object(R"({"id": "wamid.C", "status": "failed", "errors": [{"code": 131047,
              "title": "Re-engagement message", "message": "Re-engagement message",
              "error_data": {"details": "More than 24 hours have passed"}}]})")),
            by_id("whatsapp", "wamid.C", "failed",
                  "whatsapp: 131047 Re-engagement message: More than 24 hours have passed"));
  EXPECT_EQ(parse_whatsapp_status(object(R"({"id": "wamid.D", "status": "failed"})")),
            by_id("whatsapp", "wamid.D", "failed", "whatsapp: failed"));
}

TEST(whatsapp_status, shapes_that_are_not_a_status_give_nothing) {
  for (const char* text : {"{}", R"({"status": "delivered"})", R"({"id": 5, "status": "read"})",
                           R"({"id": "wamid.X", "status": 3})", R"({"id": "wamid.X", "status": "deleted"})"})
    EXPECT_FALSE(parse_whatsapp_status(object(text))) << text;
}

TEST(instagram_event, delivery_mids_read_mid_and_watermarks) {
  auto delivered = parse_instagram_event(object(
      R"({"sender": {"id": "IGSID1"}, "recipient": {"id": "IGID"}, "delivery": {"mids": ["mid.1", "mid.2"], "watermark": 1700000000000}})"));
  ASSERT_EQ(delivered.size(), 2u);
  EXPECT_EQ(delivered[0], by_id("instagram", "mid.1", "delivered"));
  EXPECT_EQ(delivered[1], by_id("instagram", "mid.2", "delivered"));
  auto read = parse_instagram_event(object(R"({"sender": {"id": "IGSID1"}, "read": {"mid": "mid.2"}})"));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0], by_id("instagram", "mid.2", "read"));
  auto read_all = parse_instagram_event(object(R"({"sender": {"id": "IGSID2"}, "read": {"watermark": 1700000005000}})"));
  ASSERT_EQ(read_all.size(), 1u);
  EXPECT_EQ(read_all[0].status, "read");
  EXPECT_EQ(read_all[0].recipient, "IGSID2");
  EXPECT_EQ(read_all[0].watermark_ms, 1700000005000);
  EXPECT_TRUE(read_all[0].provider_message_id.empty());
  auto delivered_all = parse_instagram_event(object(R"({"sender": {"id": "IGSID3"}, "delivery": {"watermark": "1700000006000"}})"));
  ASSERT_EQ(delivered_all.size(), 1u);
  EXPECT_EQ(delivered_all[0].recipient, "IGSID3");
  EXPECT_EQ(delivered_all[0].watermark_ms, 1700000006000);
}

TEST(instagram_event, messages_and_watermarks_without_their_customer_are_nothing) {
  EXPECT_TRUE(parse_instagram_event(object(R"({"sender": {"id": "IGSID4"}, "message": {"mid": "mid.in", "text": "hi"}})")).empty());
  EXPECT_TRUE(parse_instagram_event(object(R"({"read": {"watermark": 5}})")).empty());
  EXPECT_TRUE(parse_instagram_event(object(R"({"sender": {"id": "X"}, "delivery": {}})")).empty());
  EXPECT_TRUE(parse_instagram_event(object(R"({"sender": {"id": "X"}, "read": {"watermark": "soon"}})")).empty());
}

}  // namespace
}  // namespace ringcast::broker::delivery
