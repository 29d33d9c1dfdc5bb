// The readers against a real PostgreSQL: history by range and newest N, unread counts with read
// marks, and the inbox list by priority. Rows go in through the production sequenced batch.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/persistence/pg_test_support.h"

namespace ringcast::persistence {
namespace {

using test::exec_ok;
using test::run;

std::string conversation(PGconn* c, const std::string& key) {
  auto ref = parse_conversation_ref(run(c, find_or_create_conversation(key)).get());
  if (!ref) throw std::runtime_error("find_or_create failed");
  return ref->id;
}

// The batch numbers each conversation's rows 1, 2, ... in input order, so rows appended in seq
// order get the seq of their position.
persist_row message(const std::string& conv_key, std::int64_t seq, sender_type type, const std::string& sender) {
  // Client ids are unique per sender across conversations, like the client's own uuids.
  return {conv_key, std::string(to_string(type)), sender, sender + "-" + conv_key + "-" + std::to_string(seq),
          "text " + std::to_string(seq)};
}

void insert(PGconn* c, const std::vector<persist_row>& rows) { test::store_ok(c, rows); }

std::vector<std::int64_t> seqs(const std::vector<message_record>& ms) {
  std::vector<std::int64_t> out;
  for (const auto& m : ms) out.push_back(m.seq);
  return out;
}

std::vector<message_record> history(PGconn* c, const query& q) {
  auto res = run(c, q);
  auto h = parse_history(res.get());
  if (!h) throw std::runtime_error("history: " + test::error_of(res));
  return *h;
}

TEST(readers, history_by_seq_range_and_newest_n) {
  auto c = test::fresh_migrated_connection();
  auto conv = conversation(c.get(), "history");
  auto other = conversation(c.get(), "other");
  std::vector<persist_row> rows;
  for (int i = 1; i <= 50; ++i) rows.push_back(message("history", i, sender_type::customer, "cust"));
  for (int i = 1; i <= 5; ++i) rows.push_back(message("other", i, sender_type::staff, "s"));
  rows[6].sender_type = "ai";
  rows[6].sender_id = "bot";
  insert(c.get(), rows);
  // sequenced_batch writes neither the AI's columns nor a message without a client id: set them
  // directly to read them back.
  exec_ok(c.get(), "UPDATE messages SET confidence = 0.875, processing_time_ms = 1234, intent = 'refund_request',"
                   " attachments = '{\"files\": [{\"url\": \"https://x/y.png\", \"size\": 3}]}',"
                   " client_message_id = NULL WHERE conversation_id = '" + conv + "' AND seq = 7");

  auto range = history(c.get(), history_range(conv, 10, 20, 100));
  std::vector<std::int64_t> expected;
  for (int i = 10; i <= 20; ++i) expected.push_back(i);
  EXPECT_EQ(seqs(range), expected);
  EXPECT_EQ(seqs(history(c.get(), history_range(conv, 10, 20, 3))),
            (std::vector<std::int64_t>{10, 11, 12}));
  EXPECT_TRUE(history(c.get(), history_range(conv, 51, 99, 10)).empty());

  EXPECT_EQ(seqs(history(c.get(), history_newest(conv, 5))),
            (std::vector<std::int64_t>{46, 47, 48, 49, 50}));
  EXPECT_EQ(history(c.get(), history_newest(other, 100)).size(), 5u);

  auto seven = history(c.get(), history_range(conv, 7, 7, 1));
  ASSERT_EQ(seven.size(), 1u);
  const auto& m = seven[0];
  EXPECT_EQ(m.conversation_id, conv);
  EXPECT_EQ(m.sender_type, sender_type::ai);
  EXPECT_EQ(m.sender_id, "bot");
  EXPECT_EQ(m.content, "text 7");
  EXPECT_FALSE(m.client_message_id);
  EXPECT_EQ(m.confidence, 0.875f);
  EXPECT_EQ(m.processing_time_ms, 1234);
  EXPECT_EQ(m.intent, "refund_request");
  EXPECT_EQ(m.attachments_json, R"({"files": [{"url": "https://x/y.png", "size": 3}]})");
  auto eight = history(c.get(), history_range(conv, 8, 8, 1))[0];
  EXPECT_EQ(eight.client_message_id, "cust-history-8");
  EXPECT_FALSE(eight.confidence);
  EXPECT_FALSE(eight.processing_time_ms);
  EXPECT_FALSE(eight.intent);
  EXPECT_FALSE(eight.attachments_json);
  // created_at is the commit's transaction time, within a minute of now.
  auto now_us = std::stoll(test::scalar(c.get(), "SELECT (extract(epoch FROM now()) * 1000000)::bigint"));
  EXPECT_LT(std::llabs(now_us - m.created_at_us), 60'000'000);
}

std::vector<unread_count> unread(PGconn* c, reader_type type, const std::string& reader,
                                 const std::vector<std::string>& convs) {
  auto res = run(c, unread_counts(type, reader, convs));
  auto u = parse_unread_counts(res.get());
  if (!u) throw std::runtime_error("unread: " + test::error_of(res));
  return *u;
}

TEST(readers, unread_counts_follow_read_marks_and_skip_own_messages) {
  auto c = test::fresh_migrated_connection();
  auto a = conversation(c.get(), "a");
  auto b = conversation(c.get(), "b");
  std::vector<persist_row> rows;
  // a: customer 1..6, staff s1 7..8, customer 9..10.  b: customer 1..3.
  for (int i = 1; i <= 10; ++i)
    rows.push_back(i == 7 || i == 8 ? message("a", i, sender_type::staff, "s1")
                                    : message("a", i, sender_type::customer, "cust"));
  for (int i = 1; i <= 3; ++i) rows.push_back(message("b", i, sender_type::customer, "cust"));
  insert(c.get(), rows);
  std::string missing = "00000000-0000-4000-8000-000000000000";

  auto u = unread(c.get(), reader_type::staff, "s1", {b, missing, a});
  ASSERT_EQ(u.size(), 2u);  // the unknown conversation is left out, input order kept
  EXPECT_EQ(u[0].conversation_id, b);
  EXPECT_EQ(u[0].unread, 3);
  EXPECT_EQ(u[1].conversation_id, a);
  EXPECT_EQ(u[1].unread, 8);
  EXPECT_EQ(u[1].last_read_seq, 0);
  EXPECT_EQ(u[1].last_seq, 10);

  ASSERT_TRUE(test::ok(run(c.get(), mark_read(a, reader_type::staff, "s1", 6))));
  EXPECT_EQ(unread(c.get(), reader_type::staff, "s1", {a})[0].unread, 2);
  // Backwards is ignored; past the end is clamped to last_seq.
  ASSERT_TRUE(test::ok(run(c.get(), mark_read(a, reader_type::staff, "s1", 2))));
  EXPECT_EQ(unread(c.get(), reader_type::staff, "s1", {a})[0].last_read_seq, 6);
  ASSERT_TRUE(test::ok(run(c.get(), mark_read(a, reader_type::staff, "s1", 1000))));
  auto done = unread(c.get(), reader_type::staff, "s1", {a})[0];
  EXPECT_EQ(done.last_read_seq, 10);
  EXPECT_EQ(done.unread, 0);
  // The customer's view of a: only the staff's two messages; marks are per reader.
  EXPECT_EQ(unread(c.get(), reader_type::customer, "cust", {a})[0].unread, 2);
  EXPECT_TRUE(unread(c.get(), reader_type::customer, "cust", {}).empty());
}

TEST(readers, conversation_list_by_priority_then_recent_activity) {
  auto c = test::fresh_migrated_connection();
  struct spec {
    const char* key;
    int priority;
    const char* status;
    int minutes_ago;
  };
  const spec specs[] = {{"low", 5, "open", 1},      {"urgent-old", 1, "open", 30},
                        {"urgent-new", 1, "open", 2}, {"closed", 1, "closed", 0},
                        {"normal", 3, "open", 5},   {"pending", 2, "pending", 0}};
  for (const auto& s : specs) {
    auto id = conversation(c.get(), s.key);
    exec_ok(c.get(), "UPDATE conversations SET priority = " + std::to_string(s.priority) +
                         ", status = '" + s.status + "', updated_at = now() - interval '" +
                         std::to_string(s.minutes_ago) + " minutes' WHERE id = '" + id + "'");
  }
  exec_ok(c.get(), "UPDATE conversations SET requires_human = true, ai_confidence = 0.25,"
                   " escalation_reason = 'angry customer' WHERE external_key = 'normal'");

  auto res = run(c.get(), conversation_list("open", 10));
  auto list = parse_conversation_list(res.get());
  ASSERT_TRUE(list) << test::error_of(res);
  std::vector<std::string> keys;
  for (const auto& s : *list) keys.push_back(s.external_key.value_or("?"));
  EXPECT_EQ(keys, (std::vector<std::string>{"urgent-new", "urgent-old", "normal", "low"}));
  const auto& normal = (*list)[2];
  EXPECT_EQ(normal.priority, 3);
  EXPECT_EQ(normal.status, "open");
  EXPECT_EQ(normal.channel, "website");
  EXPECT_TRUE(normal.requires_human);
  EXPECT_EQ(normal.ai_confidence, 0.25f);
  EXPECT_EQ(normal.escalation_reason, "angry customer");
  EXPECT_FALSE(normal.customer_id);
  EXPECT_GT(normal.created_at_us, normal.updated_at_us);  // updated_at was moved back above

  auto top2 = parse_conversation_list(run(c.get(), conversation_list("open", 2)).get());
  ASSERT_TRUE(top2);
  EXPECT_EQ(top2->size(), 2u);
  auto pending = parse_conversation_list(run(c.get(), conversation_list("pending", 10)).get());
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].external_key, "pending");
}

}  // namespace
}  // namespace ringcast::persistence
