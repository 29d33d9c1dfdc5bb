// Which provider serves a channel, what a provider's HTTP answer means, and the refusals that
// need no call (no address, not configured).
#include <gtest/gtest.h>

#include "broker/delivery/providers.h"

namespace ringcast::broker::delivery {
namespace {

TEST(providers, the_provider_of_each_channel) {
  provider_settings p;
  EXPECT_EQ(provider_for("sms", p), "twilio");
  EXPECT_EQ(provider_for("whatsapp", p), "twilio");
  p.whatsapp_token = "t";
  EXPECT_EQ(provider_for("whatsapp", p), "whatsapp");
  EXPECT_EQ(provider_for("instagram", p), "instagram");
  EXPECT_EQ(provider_for("email", p), "smtp");
  EXPECT_EQ(provider_for("website", p), "");
}

TEST(providers, an_http_answer_becomes_a_result) {
  auto id = [](std::string_view body) { return json_string_at(body, {"messages", "0", "id"}); };
  auto ok = http_send_result("whatsapp", {200, R"({"messages":[{"id":"wamid.X"}]})", ""}, id);
  EXPECT_EQ(ok.verdict, send_verdict::sent);
  EXPECT_EQ(ok.provider_message_id, "wamid.X");
  auto meta = http_send_result("whatsapp", {400, R"({"error":{"message":"(#100) Invalid parameter","code":100}})", ""}, id);
  EXPECT_EQ(meta.verdict, send_verdict::final);
  EXPECT_EQ(meta.error, "whatsapp: HTTP 400: (#100) Invalid parameter");
  auto twilio = http_send_result("twilio", {429, R"({"code":20429,"message":"Too Many Requests"})", ""}, id);
  EXPECT_EQ(twilio.verdict, send_verdict::retryable);
  EXPECT_EQ(twilio.error, "twilio: HTTP 429: Too Many Requests");
  auto down = http_send_result("instagram", {0, "", "curl: Couldn't connect to server"}, id);
  EXPECT_EQ(down.verdict, send_verdict::retryable);
  EXPECT_EQ(down.error, "instagram: curl: Couldn't connect to server");
  auto html = http_send_result("twilio", {502, "<html>bad gateway</html>", ""}, id);
  EXPECT_EQ(html.error, "twilio: HTTP 502");
}

TEST(providers, json_paths_and_urls) {
  EXPECT_EQ(json_string_at(R"({"a":{"b":["x","y"]}})", {"a", "b", "1"}), "y");
  EXPECT_EQ(json_string_at(R"({"a":1})", {"a"}), "");
  EXPECT_EQ(json_string_at("not json", {"a"}), "");
  EXPECT_EQ(json_string_at(R"({"a":["x"]})", {"a", "5"}), "");
  EXPECT_EQ(join_url("http://h:1/", "/v19.0/me/messages"), "http://h:1/v19.0/me/messages");
  EXPECT_EQ(join_url("http://h:1/base", "x"), "http://h:1/base/x");
}

TEST(providers, refusals_that_need_no_call) {
  provider_settings p;
  persistence::claimed_delivery d;
  d.channel = "sms";
  auto no_address = send_delivery(d, p);
  EXPECT_EQ(no_address.verdict, send_verdict::final);
  EXPECT_EQ(no_address.error, "the conversation's customer has no sms address");
  d.recipient = "+15550001111";
  auto unconfigured = send_delivery(d, p);
  EXPECT_EQ(unconfigured.verdict, send_verdict::final);
  EXPECT_NE(unconfigured.error.find("--twilio-account-sid"), std::string::npos);
  d.channel = "email";
  d.recipient = "a@b.example";
  EXPECT_NE(send_delivery(d, p).error.find("--smtp-url"), std::string::npos);
  d.channel = "website";
  EXPECT_EQ(send_delivery(d, p).verdict, send_verdict::final);
}

}  // namespace
}  // namespace ringcast::broker::delivery
