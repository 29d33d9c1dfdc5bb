// open_channel_conversation against a real PostgreSQL: the conversation a channel message (a
// webhook) goes to. The customer is found or created per (channel, external_id) and renamed by
// the provider, the open conversation is reused and a resolved one is not, a redelivery goes where
// the message already is, e-mail threads by Message-Id (the customer's own mails and our replies),
// and a known customer with a known conversation writes nothing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "persistence/inbox_conversations.h"
#include "persistence/sequenced_batch.h"
#include "tests/persistence/pg_test_support.h"

namespace ringcast::persistence {
namespace {

using test::exec_ok;
using test::run;
using test::scalar;

channel_conversation message(const std::string& channel, const std::string& external, const std::string& provider_id) {
  channel_conversation m;
  m.channel = channel;
  m.external_id = external;
  m.sender_id = channel + ":" + external;
  m.client_message_id = provider_id;
  m.join_open = channel != "email";
  return m;
}

opened_conversation open(PGconn* c, const channel_conversation& m) {
  exec_ok(c, "BEGIN");
  auto lock = run(c, lock_channel_customer(m.sender_id));
  if (!test::ok(lock)) throw std::runtime_error(test::error_of(lock));
  auto res = run(c, open_channel_conversation(m));
  auto opened = parse_opened_conversation(res.get());
  if (!opened) throw std::runtime_error("open_channel_conversation: " + test::error_of(res));
  exec_ok(c, "COMMIT");
  return *opened;
}

// Stores the message (as the webhook's group commit would) in `conversation`.
void store(PGconn* c, const channel_conversation& m, const std::string& conversation, const std::string& sender_type = "customer") {
  persist_row row;
  row.conversation = conversation;
  row.key = conversation_key::id;
  row.sender_type = sender_type;
  row.sender_id = sender_type == "customer" ? m.sender_id : "agent-1";
  row.client_message_id = m.client_message_id;
  row.content = "text";
  test::store_ok(c, std::span(&row, 1));
}

TEST(channel_conversations, a_new_customer_gets_a_new_conversation_then_keeps_it) {
  auto c = test::fresh_migrated_connection();
  auto m = message("whatsapp", "+15550001", "wamid.1");
  m.customer_name = "Wanda";
  const auto first = open(c.get(), m);
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.conversation.channel, "whatsapp");
  // The customer's id is the external id, or "<channel>:<external id>" once the conversation
  // object names channel customers that way (the REST API's change).
  EXPECT_TRUE(first.conversation.customer_id == "+15550001" || first.conversation.customer_id == "whatsapp:+15550001")
      << first.conversation.customer_id.value_or("(none)");
  EXPECT_EQ(first.conversation.status, "open");
  store(c.get(), m, first.conversation.id);

  auto next = message("whatsapp", "+15550001", "wamid.2");
  next.customer_name = "Wanda W.";
  const auto second = open(c.get(), next);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.conversation.id, first.conversation.id);
  EXPECT_EQ(scalar(c.get(), "SELECT name FROM customers WHERE channel = 'whatsapp'"), "Wanda W.");
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM customers"), "1");
  EXPECT_EQ(scalar(c.get(), "SELECT phone FROM customers WHERE channel = 'whatsapp'"), "+15550001");

  // The same number on SMS is another customer with another conversation.
  const auto sms = open(c.get(), message("sms", "+15550001", "SM1"));
  EXPECT_TRUE(sms.created);
  EXPECT_NE(sms.conversation.id, first.conversation.id);
}

TEST(channel_conversations, a_resolved_conversation_is_not_reused_but_a_redelivery_goes_where_it_was_stored) {
  auto c = test::fresh_migrated_connection();
  const auto m = message("instagram", "IGSID-1", "mid.1");
  const auto first = open(c.get(), m);
  store(c.get(), m, first.conversation.id);
  exec_ok(c.get(), "UPDATE conversations SET status = 'resolved'");
  const auto redelivered = open(c.get(), m);
  EXPECT_FALSE(redelivered.created);
  EXPECT_EQ(redelivered.conversation.id, first.conversation.id);
  const auto fresh = open(c.get(), message("instagram", "IGSID-1", "mid.2"));
  EXPECT_TRUE(fresh.created);
  EXPECT_NE(fresh.conversation.id, first.conversation.id);
}

TEST(channel_conversations, email_threads_by_message_id_of_the_customer_or_of_our_reply) {
  auto c = test::fresh_migrated_connection();
  auto first_mail = message("email", "carol@example.com", "<m1@example.com>");
  first_mail.subject = "Kettle";
  const auto thread = open(c.get(), first_mail);
  EXPECT_TRUE(thread.created);
  EXPECT_EQ(thread.conversation.subject, "Kettle");
  EXPECT_EQ(scalar(c.get(), "SELECT email FROM customers WHERE channel = 'email'"), "carol@example.com");
  store(c.get(), first_mail, thread.conversation.id);

  // A mail without references opens a new conversation even though the first one is open.
  const auto other = open(c.get(), message("email", "carol@example.com", "<m2@example.com>"));
  EXPECT_TRUE(other.created);

  // A reply naming the first mail joins its thread.
  auto reply = message("email", "carol@example.com", "<m3@example.com>");
  reply.thread_refs = {"<unknown@example.com>", "<m1@example.com>"};
  EXPECT_EQ(open(c.get(), reply).conversation.id, thread.conversation.id);

  // A reply to our reply: the outbound delivery's provider message id is the Message-Id we sent
  // (kept without its angle brackets).
  auto ours = message("email", "carol@example.com", "<ours-1@support.example>");
  store(c.get(), ours, other.conversation.id, "staff");
  exec_ok(c.get(),
          "INSERT INTO delivery_status (message_id, recipient_type, recipient_id, status, provider_message_id)"
          " SELECT id, 'customer', 'email:carol@example.com', 'sent', 'ours-1@support.example' FROM messages"
          " WHERE sender_type = 'staff'");
  auto to_ours = message("email", "carol@example.com", "<m4@example.com>");
  to_ours.thread_refs = {"<ours-1@support.example>"};
  EXPECT_EQ(open(c.get(), to_ours).conversation.id, other.conversation.id);

  // Another sender naming Carol's mail does not get into her conversation.
  auto stranger = message("email", "mallory@example.com", "<x1@example.com>");
  stranger.thread_refs = {"<m1@example.com>", "<ours-1@support.example>"};
  const auto theirs = open(c.get(), stranger);
  EXPECT_TRUE(theirs.created);
  EXPECT_NE(theirs.conversation.id, thread.conversation.id);
}

TEST(channel_conversations, a_known_customer_in_a_known_conversation_writes_nothing) {
  auto c = test::fresh_migrated_connection();
  auto m = message("sms", "+15550002", "SM1");
  m.customer_name = "Sam";
  open(c.get(), m);
  exec_ok(c.get(), "BEGIN");
  run(c.get(), lock_channel_customer(m.sender_id));
  auto again = message("sms", "+15550002", "SM2");
  again.customer_name = "Sam";
  ASSERT_TRUE(parse_opened_conversation(run(c.get(), open_channel_conversation(again)).get()));
  // No transaction id was assigned: nothing was written, so the commit needs no WAL flush.
  EXPECT_EQ(scalar(c.get(), "SELECT txid_current_if_assigned() IS NULL"), "t");
  exec_ok(c.get(), "COMMIT");
}

}  // namespace
}  // namespace ringcast::persistence
