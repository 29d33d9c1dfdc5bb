// What an inbound channel message must be before it is stored (broker/channels/inbound_store.h):
// ids present, short and clean; text cut at a character boundary; a name, subject or attachment
// list that cannot be stored is dropped rather than refusing the customer's words.
#include "broker/channels/inbound_store.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::broker::channels {
namespace {

inbound_message sample() {
  inbound_message m;
  m.channel = "whatsapp";
  m.external_id = "+15550001";
  m.provider_message_id = "wamid.1";
  m.content = "hello";
  return m;
}

TEST(InboundStore, SenderIdIsChannelAndExternalId) {
  EXPECT_EQ(sender_id_of(sample()), "whatsapp:+15550001");
}

TEST(InboundStore, RefusesMissingLongOrUncleanIds) {
  for (auto change : {+[](inbound_message& m) { m.external_id.clear(); },
                      +[](inbound_message& m) { m.provider_message_id.clear(); },
                      +[](inbound_message& m) { m.provider_message_id.assign(201, 'x'); },
                      +[](inbound_message& m) { m.external_id = std::string("a\0b", 3); },
                      +[](inbound_message& m) { m.provider_message_id = "\xff"; },
                      +[](inbound_message& m) { m.content = std::string("a\0b", 3); },
                      +[](inbound_message& m) { m.content = "bad \xc3"; },
                      +[](inbound_message& m) { m.thread_refs = {std::string("<a\0>", 4)}; }}) {
    inbound_message m = sample();
    change(m);
    EXPECT_FALSE(make_storable(m, 1000));
  }
  inbound_message ok = sample();
  ok.provider_message_id.assign(200, 'x');
  EXPECT_TRUE(make_storable(ok, 1000));
}

TEST(InboundStore, CutsContentAtACharacterBoundary) {
  inbound_message m = sample();
  m.content = "ab\xc3\xa9\xe2\x82\xac";  // "abé€": 2 + 2 + 3 bytes
  ASSERT_TRUE(make_storable(m, 5));
  EXPECT_EQ(m.content, "ab\xc3\xa9");
  m.content = "ab\xc3\xa9\xe2\x82\xac";
  ASSERT_TRUE(make_storable(m, 3));
  EXPECT_EQ(m.content, "ab");
  m.content = "short";
  ASSERT_TRUE(make_storable(m, 5));
  EXPECT_EQ(m.content, "short");
}

TEST(InboundStore, DropsWhatCannotBeStoredButKeepsTheMessage) {
  inbound_message m = sample();
  m.customer_name = std::string(201, 'n');
  m.subject = "\xff";
  m.attachments_json = R"([{"caption":"a\u0000b"}])";
  ASSERT_TRUE(make_storable(m, 1000));
  EXPECT_FALSE(m.customer_name);
  EXPECT_FALSE(m.subject);
  EXPECT_FALSE(m.attachments_json);

  m = sample();
  m.customer_name = "Wanda";
  m.subject = std::string(600, 's');
  m.thread_refs.assign(60, "<r@example.com>");
  ASSERT_TRUE(make_storable(m, 1000));
  EXPECT_EQ(m.customer_name, "Wanda");
  EXPECT_EQ(m.subject->size(), 500u);
  EXPECT_EQ(m.thread_refs.size(), 50u);
}

}  // namespace
}  // namespace ringcast::broker::channels
