// The reply mail: threaded under the customer's last mail, our stable Message-Id, a subject that
// survives non-ASCII text and cannot inject headers, and the text in base64 CRLF lines.
#include <gtest/gtest.h>

#include "broker/delivery/mail_message.h"
#include "protocol/base64.h"

namespace ringcast::broker::delivery {
namespace {

persistence::claimed_delivery mail_delivery() {
  persistence::claimed_delivery d;
  d.id = 9;
  d.message_id = "0b7e8f3c-1111-2222-3333-444455556666";
  d.channel = "email";
  d.recipient = "alice@example.com";
  d.content = "Hello Alice,\nyour order left today.";
  d.subject = "Order 42";
  d.reply_to = "CAF-4242@mail.example.com";
  return d;
}

std::string header(const std::string& mail, const std::string& name) {
  const auto at = mail.find("\r\n" + name + ": ");
  if (at == std::string::npos) return mail.rfind(name + ": ", 0) == 0 ? mail.substr(name.size() + 2, mail.find("\r\n") - name.size() - 2) : "";
  const auto start = at + name.size() + 4;
  return mail.substr(start, mail.find("\r\n", start) - start);
}

TEST(mail_message, message_id_is_stable_and_in_the_senders_domain) {
  auto d = mail_delivery();
  EXPECT_EQ(mail_message_id(d, "Support <support@shop.example>"),
            "ringcast.0b7e8f3c-1111-2222-3333-444455556666@shop.example");
  EXPECT_EQ(mail_message_id(d, "support@shop.example"), mail_message_id(d, "Support <support@shop.example>"));
  EXPECT_EQ(angle_id("a@b"), "<a@b>");
  EXPECT_EQ(angle_id("<a@b>"), "<a@b>");
}

TEST(mail_message, headers_thread_the_reply) {
  auto d = mail_delivery();
  const std::string m = compose_reply_mail(d, "Support <support@shop.example>", "id-1@shop.example", 1764400000);
  EXPECT_EQ(header(m, "From"), "Support <support@shop.example>");
  EXPECT_EQ(header(m, "To"), "<alice@example.com>");
  EXPECT_EQ(header(m, "Subject"), "Re: Order 42");
  EXPECT_EQ(header(m, "Message-ID"), "<id-1@shop.example>");
  EXPECT_EQ(header(m, "In-Reply-To"), "<CAF-4242@mail.example.com>");
  EXPECT_EQ(header(m, "References"), "<CAF-4242@mail.example.com>");
  EXPECT_EQ(header(m, "Date"), "Sat, 29 Nov 2025 07:06:40 +0000");
  EXPECT_EQ(header(m, "Content-Type"), "text/plain; charset=UTF-8");
  const auto body_at = m.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  std::string b64;
  for (char c : m.substr(body_at + 4))
    if (c != '\r' && c != '\n') b64 += c;
  EXPECT_EQ(protocol::base64_decode(b64).value_or("?"), "Hello Alice,\r\nyour order left today.");
}

TEST(mail_message, no_reply_to_no_threading_headers_and_a_default_subject) {
  auto d = mail_delivery();
  d.reply_to.reset();
  d.subject.reset();
  const std::string m = compose_reply_mail(d, "support@shop.example", "x@y", 0);
  EXPECT_EQ(m.find("In-Reply-To"), std::string::npos);
  EXPECT_EQ(m.find("References"), std::string::npos);
  EXPECT_EQ(header(m, "Subject"), "Re: Your message");
  // A mail stored without a Message-Id (under the webhook's own key) is not a thread to name.
  d.reply_to = "mailgun:0123abcd";
  EXPECT_EQ(compose_reply_mail(d, "support@shop.example", "x@y", 0).find("In-Reply-To"), std::string::npos);
}

TEST(mail_message, a_subject_already_a_reply_is_kept_and_non_ascii_is_encoded) {
  auto d = mail_delivery();
  d.subject = "Re: Bestellung";
  EXPECT_EQ(header(compose_reply_mail(d, "s@x", "i@x", 0), "Subject"), "Re: Bestellung");
  d.subject = "Où est ma commande ?";
  const std::string s = header(compose_reply_mail(d, "s@x", "i@x", 0), "Subject");
  EXPECT_EQ(s, "=?UTF-8?B?" + protocol::base64_encode("Re: Où est ma commande ?") + "?=");
}

TEST(mail_message, line_breaks_cannot_inject_headers) {
  auto d = mail_delivery();
  d.subject = "hi\r\nBcc: victim@example.com";
  d.reply_to = "x@y>\r\nBcc: victim@example.com";
  const std::string m = compose_reply_mail(d, "s@x", "i@x", 0);
  EXPECT_EQ(m.find("\r\nBcc:"), std::string::npos);
}

}  // namespace
}  // namespace ringcast::broker::delivery
