#include "protocol/webhook_signature.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringcast::protocol {
namespace {

// Every expected value here was computed outside this code base (Python's hmac module, and
// Twilio's own documented example), never with the functions under test.

TEST(WebhookSignature, HmacMatchesTheRfcVectors) {
  // RFC 2202 test case 2 and RFC 4231 test case 2.
  EXPECT_EQ(hex_encode(hmac_sha1("Jefe", "what do ya want for nothing?")), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignature, ConstantTimeEqualComparesLengthAndBytes) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

const std::vector<form_field> twilio_params{
    {"To", "+18005551212"}, {"CallSid", "CA1234567890ABCDE"}, {"Digits", "1234"},
    {"From", "+12349013030"}, {"Caller", "+12349013030"},
};

TEST(WebhookSignature, TwilioDocumentedExample) {
  // The example in Twilio's webhook security documentation (auth token 12345); the parameters
  // arrive in any order and are sorted by name.
  const std::string url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  EXPECT_EQ(twilio_signature("12345", url, twilio_params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  EXPECT_TRUE(twilio_signature_valid("12345", url, twilio_params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
}

TEST(WebhookSignature, TwilioRefusesWrongTokenUrlParamsAndEmptyHeader) {
  const std::string url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const std::string good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
  EXPECT_FALSE(twilio_signature_valid("12346", url, twilio_params, good));
  EXPECT_FALSE(twilio_signature_valid("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", twilio_params, good));
  auto altered = twilio_params;
  altered[2].value = "1235";
  EXPECT_FALSE(twilio_signature_valid("12345", url, altered, good));
  EXPECT_FALSE(twilio_signature_valid("12345", url, twilio_params, ""));
  EXPECT_FALSE(twilio_signature_valid("12345", url, twilio_params, "NGAgWNhdnsLF8j385frvrQoi9sg="));
}

TEST(WebhookSignature, MetaSha256OfTheRawBody) {
  const std::string body = R"({"object":"whatsapp_business_account","entry":[]})";
  const std::string hex = "d3e4f9da0ce6c71ab3dba55929b8eeeee2455349e534924ead19f98d143e904f";
  EXPECT_TRUE(meta_signature_valid("app-secret", body, "sha256=" + hex));
  EXPECT_TRUE(meta_signature_valid("app-secret", body, "sha256=D3E4F9DA0CE6C71AB3DBA55929B8EEEEE2455349E534924EAD19F98D143E904F"));
  EXPECT_FALSE(meta_signature_valid("app-secret", body, hex));              // no prefix
  EXPECT_FALSE(meta_signature_valid("app-secret", body, "sha1=" + hex));
  EXPECT_FALSE(meta_signature_valid("other-secret", body, "sha256=" + hex));
  EXPECT_FALSE(meta_signature_valid("app-secret", body + " ", "sha256=" + hex));
  EXPECT_FALSE(meta_signature_valid("app-secret", body, "sha256=" + hex.substr(1)));
  EXPECT_FALSE(meta_signature_valid("app-secret", body, ""));
}

TEST(WebhookSignature, MailgunTimestampAndToken) {
  const std::string sig = "6447bac07505ef56e3ed42e9376ee7e2232f51a14861a7a9070c4f43e202a9ed";
  EXPECT_TRUE(mailgun_signature_valid("key-signing", "1700000000", "abcdef0123456789", sig));
  EXPECT_FALSE(mailgun_signature_valid("key-signing", "1700000001", "abcdef0123456789", sig));
  EXPECT_FALSE(mailgun_signature_valid("key-signing", "1700000000", "abcdef012345678", sig));
  EXPECT_FALSE(mailgun_signature_valid("key-other", "1700000000", "abcdef0123456789", sig));
  EXPECT_FALSE(mailgun_signature_valid("key-signing", "1700000000", "abcdef0123456789", ""));
}

}  // namespace
}  // namespace ringcast::protocol
