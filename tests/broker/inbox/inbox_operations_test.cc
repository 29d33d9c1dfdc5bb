// What the Socket.IO events and the REST API share without a database: who may act on a
// conversation, and acks turned into results.
#include <gtest/gtest.h>

#include "broker/inbox/errors.h"
#include "broker/inbox/inbox_operations.h"

namespace ringcast::broker::inbox {
namespace {

persistence::inbox_conversation conversation_of(std::string customer, std::string channel) {
  persistence::inbox_conversation c;
  c.customer_id = std::move(customer);
  c.customer_channel = std::move(channel);
  return c;
}

TEST(inbox_operations, a_customer_token_is_only_ever_a_website_customer) {
  const identity alice{"alice", role::customer, ""};
  EXPECT_TRUE(may_access(alice, conversation_of("alice", "website")));
  EXPECT_FALSE(may_access(alice, conversation_of("bob", "website")));
  // A sub that reads like a channel customer's id is not that customer.
  const identity lookalike{"sms:+15550100", role::customer, ""};
  EXPECT_FALSE(may_access(lookalike, conversation_of("sms:+15550100", "sms")));
  EXPECT_TRUE(may_access(lookalike, conversation_of("sms:+15550100", "website")));
  persistence::inbox_conversation room;  // a bench room: no customer
  EXPECT_FALSE(may_access(alice, room));
  const identity staff{"agent", role::staff, ""};
  EXPECT_TRUE(may_access(staff, conversation_of("+15550100", "sms")));
  EXPECT_TRUE(may_access(staff, room));
}

TEST(inbox_operations, send_acks_become_results) {
  auto ok = op_result::from_ack(boost::json::array{boost::json::object{{"id", "m"}, {"seq", 3}}});
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.value.at("seq").as_int64(), 3);
  auto refused = op_result::from_ack(error_ack(error_code::unavailable, "later", 1000));
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, error_code::unavailable);
  EXPECT_EQ(refused.error->message, "later");
  EXPECT_EQ(refused.error->retry_after_ms, 1000);
  auto conflict = op_result::from_ack(error_ack(error_code::conflict, "used"));
  EXPECT_EQ(conflict.error->code, error_code::conflict);
  EXPECT_FALSE(conflict.error->retry_after_ms);
  EXPECT_TRUE(op_result::from_ack(boost::json::array{}).error);
}

TEST(inbox_operations, fields_of_the_wrong_type_are_flagged) {
  boost::json::object o{{"s", "x"}, {"n", 5}, {"bad", true}, {"nul", nullptr}};
  bool wrong = false;
  EXPECT_EQ(string_field(o, "s", wrong), "x");
  EXPECT_EQ(int_field(o, "n", wrong), 5);
  EXPECT_FALSE(string_field(o, "nul", wrong));
  EXPECT_FALSE(string_field(o, "absent", wrong));
  EXPECT_FALSE(wrong);
  EXPECT_FALSE(string_field(o, "bad", wrong));
  EXPECT_TRUE(wrong);
  EXPECT_TRUE(storable("héllo"));
  EXPECT_FALSE(storable(std::string("a\0b", 3)));
  EXPECT_FALSE(storable("\xff"));
}

}  // namespace
}  // namespace ringcast::broker::inbox
