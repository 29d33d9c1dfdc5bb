// The outbox of channel replies: a staff or AI message in a channel conversation gets its
// delivery row in the transaction that stores it (and nothing else does); a row is claimed once
// per attempt, finished with the attempt's outcome, moved forward only by the providers' status
// callbacks, and found again at start (pending) or failed as interrupted (sending).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "persistence/deliveries.h"
#include "tests/persistence/pg_test_support.h"

namespace ringcast::persistence {
namespace {

using test::exec_ok;
using test::scalar;
using test::store_ok;

// A customer known on the channel (keyed (channel, external_id)) with a conversation there.
std::string channel_conversation(PGconn* c, const std::string& channel, const std::string& external_id,
                                 const std::string& subject = "") {
  const std::string customer = scalar(c, "INSERT INTO customers (channel, external_id, name) VALUES ('" + channel +
                                             "', '" + external_id + "', 'Sam') RETURNING id");
  return scalar(c, "INSERT INTO conversations (customer_id, channel, subject) VALUES ('" + customer + "', '" + channel +
                       "', " + (subject.empty() ? "NULL" : "'" + subject + "'") + ") RETURNING id");
}

persist_row message(const std::string& conversation, const std::string& type, const std::string& client_id,
                    const std::string& content = "Your order ships today.") {
  persist_row r{conversation, type, type == "customer" ? "cust" : "agent-1", client_id, content};
  r.key = conversation_key::id;
  return r;
}

std::vector<delivery_change> changes(PGconn* c, const query& q) {
  auto r = test::run(c, q);
  EXPECT_TRUE(test::ok(r)) << test::error_of(r);
  auto rows = parse_delivery_changes(r.get());
  EXPECT_TRUE(rows);
  return rows.value_or(std::vector<delivery_change>{});
}

claimed_delivery claim(PGconn* c, std::int64_t id) {
  auto r = test::run(c, claim_delivery(id));
  EXPECT_TRUE(test::ok(r)) << test::error_of(r);
  auto rows = parse_claimed_delivery(r.get());
  EXPECT_TRUE(rows && rows->size() == 1);
  return rows && !rows->empty() ? rows->front() : claimed_delivery{};
}

TEST(deliveries, staff_and_ai_messages_in_channel_conversations_get_a_row_with_their_message) {
  auto c = test::fresh_migrated_connection();
  const auto sms = channel_conversation(c.get(), "sms", "+15550001111");
  const auto website = scalar(c.get(), "INSERT INTO conversations DEFAULT VALUES RETURNING id");
  auto ai = message(sms, "ai", "ai-job-1");
  auto answers = store_ok(c.get(), std::vector<persist_row>{message(sms, "customer", "in-1"), message(sms, "staff", "s-1"),
                                                            ai, message(website, "staff", "w-1")});
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(answers[0].delivery, 0);  // the customer's own message is not sent back
  EXPECT_GT(answers[1].delivery, 0);
  EXPECT_GT(answers[2].delivery, answers[1].delivery);
  EXPECT_EQ(answers[3].delivery, 0);  // website conversations have no outbox
  EXPECT_EQ(scalar(c.get(), "SELECT string_agg(status || ':' || channel || ':' || attempts, ',' ORDER BY id)"
                            " FROM outbound_deliveries"),
            "pending:sms:0,pending:sms:0");
  // A retried send is the same message: no second row, and its answer names none.
  auto again = store_ok(c.get(), std::vector<persist_row>{message(sms, "staff", "s-1")});
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].delivery, 0);
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM outbound_deliveries"), "2");
}

TEST(deliveries, a_row_is_claimed_once_with_what_the_provider_needs) {
  auto c = test::fresh_migrated_connection();
  const auto conv = channel_conversation(c.get(), "email", "alice@example.com", "Order 42");
  store_ok(c.get(), std::vector<persist_row>{message(conv, "customer", "<CAF-1@mail.example.com>", "Where is it?")});
  const auto id = store_ok(c.get(), std::vector<persist_row>{message(conv, "staff", "s-1", "On its way.")})[0].delivery;
  const auto d = claim(c.get(), id);
  EXPECT_EQ(d.id, id);
  EXPECT_EQ(d.conversation, conv);
  EXPECT_EQ(d.seq, 2);
  EXPECT_EQ(d.channel, "email");
  EXPECT_EQ(d.recipient.value_or(""), "alice@example.com");
  EXPECT_EQ(d.content, "On its way.");
  EXPECT_EQ(d.subject.value_or(""), "Order 42");
  EXPECT_EQ(d.reply_to.value_or(""), "<CAF-1@mail.example.com>");
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(scalar(c.get(), "SELECT status FROM outbound_deliveries"), "sending");
  // A second claim (another thread, a duplicate queue entry) gets nothing.
  auto again = test::run(c.get(), claim_delivery(id));
  EXPECT_EQ(parse_claimed_delivery(again.get())->size(), 0u);
}

TEST(deliveries, a_customer_without_an_address_on_the_channel_is_claimed_without_one) {
  auto c = test::fresh_migrated_connection();
  // A website identity in an SMS conversation (a staff-made conversation): no phone known.
  const auto customer = scalar(c.get(), "INSERT INTO customers (external_id) VALUES ('web-sub') RETURNING id");
  const auto conv = scalar(c.get(), "INSERT INTO conversations (customer_id, channel) VALUES ('" + customer +
                                        "', 'sms') RETURNING id");
  const auto id = store_ok(c.get(), std::vector<persist_row>{message(conv, "staff", "s-1")})[0].delivery;
  EXPECT_FALSE(claim(c.get(), id).recipient);
  exec_ok(c.get(), "UPDATE customers SET phone = '+15550009999'");
  exec_ok(c.get(), "UPDATE outbound_deliveries SET status = 'pending'");
  EXPECT_EQ(claim(c.get(), id).recipient.value_or(""), "+15550009999");
}

TEST(deliveries, a_retry_waits_for_its_time_and_is_claimed_again) {
  auto c = test::fresh_migrated_connection();
  const auto conv = channel_conversation(c.get(), "sms", "+15550001111");
  const auto id = store_ok(c.get(), std::vector<persist_row>{message(conv, "staff", "s-1")})[0].delivery;
  claim(c.get(), id);
  attempt_outcome retry{"pending", "twilio", std::nullopt, "twilio: HTTP 503", 60'000};
  auto moved = changes(c.get(), finish_attempt(id, retry));
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].status, "pending");
  EXPECT_EQ(moved[0].error.value_or(""), "twilio: HTTP 503");
  auto open = parse_open_deliveries(test::run(c.get(), open_deliveries()).get());
  ASSERT_TRUE(open && open->size() == 1);
  EXPECT_EQ((*open)[0].id, id);
  EXPECT_EQ((*open)[0].conversation, conv);
  EXPECT_GT((*open)[0].due_in_ms, 55'000);
  EXPECT_LE((*open)[0].due_in_ms, 60'000);
  EXPECT_EQ(claim(c.get(), id).attempts, 2);
  // Finishing a row that is not sending records nothing.
  EXPECT_EQ(changes(c.get(), finish_attempt(id + 100, retry)).size(), 0u);
}

TEST(deliveries, status_callbacks_move_forward_only) {
  auto c = test::fresh_migrated_connection();
  const auto conv = channel_conversation(c.get(), "sms", "+15550001111");
  const auto id = store_ok(c.get(), std::vector<persist_row>{message(conv, "staff", "s-1")})[0].delivery;
  claim(c.get(), id);
  auto sent = changes(c.get(), finish_attempt(id, attempt_outcome{"sent", "twilio", "SM1", std::nullopt, 0}));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].provider_message_id.value_or(""), "SM1");
  EXPECT_EQ(sent[0].seq, 1);
  // Another provider's id, or an unknown one, moves nothing.
  EXPECT_EQ(changes(c.get(), provider_status("whatsapp", "SM1", "delivered")).size(), 0u);
  EXPECT_EQ(changes(c.get(), provider_status("twilio", "SM404", "delivered")).size(), 0u);
  auto delivered = changes(c.get(), provider_status("twilio", "SM1", "delivered"));
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].status, "delivered");
  EXPECT_EQ(delivered[0].conversation, conv);
  EXPECT_EQ(changes(c.get(), provider_status("twilio", "SM1", "delivered")).size(), 0u);  // repeated
  EXPECT_EQ(changes(c.get(), provider_status("twilio", "SM1", "read")).size(), 1u);
  // A late 'delivered' or a 'failed' after 'read' changes nothing.
  EXPECT_EQ(changes(c.get(), provider_status("twilio", "SM1", "delivered")).size(), 0u);
  EXPECT_EQ(changes(c.get(), provider_status("twilio", "SM1", "failed", std::string("late"))).size(), 0u);
  EXPECT_EQ(scalar(c.get(), "SELECT status FROM outbound_deliveries"), "read");
}

TEST(deliveries, a_failure_after_sent_keeps_the_reason) {
  auto c = test::fresh_migrated_connection();
  const auto conv = channel_conversation(c.get(), "whatsapp", "+15550001111");
  const auto id = store_ok(c.get(), std::vector<persist_row>{message(conv, "staff", "s-1")})[0].delivery;
  claim(c.get(), id);
  changes(c.get(), finish_attempt(id, attempt_outcome{"sent", "whatsapp", "wamid.1", std::nullopt, 0}));
  auto failed = changes(c.get(), provider_status("whatsapp", "wamid.1", "failed", std::string("whatsapp: 131047")));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error.value_or(""), "whatsapp: 131047");
  EXPECT_EQ(changes(c.get(), provider_status("whatsapp", "wamid.1", "read")).size(), 0u);
}

TEST(deliveries, instagram_watermarks_cover_what_was_sent_to_that_customer_before_them) {
  auto c = test::fresh_migrated_connection();
  const auto mine = channel_conversation(c.get(), "instagram", "IGSID1");
  const auto other = channel_conversation(c.get(), "instagram", "IGSID2");
  std::vector<std::int64_t> ids;
  for (const auto& [conv, key] : {std::pair{mine, "a"}, std::pair{mine, "b"}, std::pair{other, "c"}}) {
    const auto id = store_ok(c.get(), std::vector<persist_row>{message(conv, "staff", key)})[0].delivery;
    claim(c.get(), id);
    changes(c.get(), finish_attempt(id, attempt_outcome{"sent", "instagram", std::string("mid.") + key, std::nullopt, 0}));
    ids.push_back(id);
  }
  exec_ok(c.get(), "UPDATE outbound_deliveries SET sent_at = now() + interval '1 hour' WHERE id = " + std::to_string(ids[1]));
  const auto now_ms = std::stoll(scalar(c.get(), "SELECT (extract(epoch FROM now()) * 1000)::bigint + 1000"));
  auto read = changes(c.get(), provider_status_by_watermark("instagram", "IGSID1", "read", now_ms));
  ASSERT_EQ(read.size(), 1u);  // b was sent after the watermark, c to someone else
  EXPECT_EQ(read[0].id, ids[0]);
  EXPECT_EQ(scalar(c.get(), "SELECT string_agg(status, ',' ORDER BY id) FROM outbound_deliveries"), "read,sent,sent");
}

TEST(deliveries, at_start_sending_rows_fail_as_interrupted_and_pending_ones_are_open) {
  auto c = test::fresh_migrated_connection();
  const auto conv = channel_conversation(c.get(), "sms", "+15550001111");
  const auto first = store_ok(c.get(), std::vector<persist_row>{message(conv, "staff", "s-1")})[0].delivery;
  const auto second = store_ok(c.get(), std::vector<persist_row>{message(conv, "staff", "s-2")})[0].delivery;
  claim(c.get(), first);
  auto r = test::run(c.get(), interrupt_sending_deliveries());
  ASSERT_TRUE(test::ok(r));
  EXPECT_EQ(PQntuples(r.get()), 1);
  EXPECT_EQ(scalar(c.get(), "SELECT status || ':' || left(error, 11) FROM outbound_deliveries WHERE id = " +
                                std::to_string(first)),
            "failed:interrupted");
  auto open = parse_open_deliveries(test::run(c.get(), open_deliveries()).get());
  ASSERT_TRUE(open && open->size() == 1);
  EXPECT_EQ((*open)[0].id, second);
  EXPECT_EQ((*open)[0].due_in_ms, 0);
}

TEST(deliveries, history_shows_each_channel_reply_with_its_delivery_status) {
  auto c = test::fresh_migrated_connection();
  const auto conv = channel_conversation(c.get(), "sms", "+15550001111");
  const auto sent = store_ok(c.get(), std::vector<persist_row>{message(conv, "customer", "in-1"),
                                                               message(conv, "staff", "s-1"),
                                                               message(conv, "staff", "s-2")});
  claim(c.get(), sent[1].delivery);
  changes(c.get(), finish_attempt(sent[1].delivery, attempt_outcome{"failed", "twilio", std::nullopt, "twilio: HTTP 400", 0}));
  auto res = test::run(c.get(), history_range(conv, 1, 10, 10));
  auto h = parse_history(res.get());
  ASSERT_TRUE(h && h->size() == 3) << test::error_of(res);
  EXPECT_FALSE((*h)[0].delivery_status);  // the customer's own message
  EXPECT_EQ((*h)[1].delivery_status.value_or(""), "failed");
  EXPECT_EQ((*h)[1].delivery_error.value_or(""), "twilio: HTTP 400");
  EXPECT_EQ((*h)[2].delivery_status.value_or(""), "pending");
  EXPECT_FALSE((*h)[2].delivery_error);
}

}  // namespace
}  // namespace ringcast::persistence
