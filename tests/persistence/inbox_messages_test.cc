// Inbox messages against a real PostgreSQL: the group-commit statement storing rows into
// conversations named by uuid (beside bench rooms named by key), with sender name, attachments and
// last_message_at; and history pages after a seq (500 at a time) and before a seq.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "persistence/inbox_conversations.h"
#include "tests/persistence/nasty_strings.h"
#include "tests/persistence/pg_test_support.h"

namespace ringcast::persistence {
namespace {

using test::exec_ok;
using test::run;
using test::scalar;

using test::new_conversation;

persist_row by_id(const std::string& conv, const std::string& client_id, const std::string& sender = "cust",
                  const std::string& type = "customer") {
  persist_row r{conv, type, sender, client_id, "content of " + client_id};
  r.key = conversation_key::id;
  return r;
}

std::vector<message_record> all_messages(PGconn* c, const std::string& conv) {
  auto res = run(c, history_range(conv, 1, INT64_MAX, 100000));
  auto h = parse_history(res.get());
  if (!h) throw std::runtime_error("history: " + test::error_of(res));
  return *h;
}

TEST(inbox_messages, rows_by_conversation_id_keep_nasty_text_names_and_attachments) {
  auto c = test::fresh_migrated_connection();
  auto conv = new_conversation(c.get());
  const auto nasty = test::nasty_strings();
  std::vector<persist_row> rows;
  for (std::size_t i = 0; i < nasty.size(); ++i) {
    auto r = by_id(conv, "client " + nasty[i], "sender " + nasty[i]);
    r.content = nasty[i];
    r.sender_name = "name " + nasty[i];
    // JSON as Boost.JSON would serialize it: the nasty text escaped inside a string.
    std::string escaped;
    for (char ch : nasty[i]) {
      if (ch == '"' || ch == '\\') escaped += '\\', escaped += ch;
      else if (ch == '\n') escaped += "\\n";
      else if (ch == '\t') escaped += "\\t";
      else if (ch == '\r') escaped += "\\r";
      else escaped += ch;
    }
    r.attachments_json = "[{\"name\":\"" + escaped + "\",\"size\":" + std::to_string(i) + "}]";
    rows.push_back(r);
  }
  rows.push_back(by_id(conv, "plain"));  // no name, no attachments
  auto answers = test::store_ok(c.get(), rows);
  ASSERT_EQ(answers.size(), rows.size());
  auto stored = all_messages(c.get(), conv);
  ASSERT_EQ(stored.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(answers[i].seq, std::int64_t(i) + 1);
    EXPECT_FALSE(answers[i].duplicate);
    const auto& m = stored[i];
    EXPECT_EQ(m.id, answers[i].id);
    EXPECT_EQ(m.conversation_id, conv);
    EXPECT_EQ(m.seq, answers[i].seq);
    EXPECT_EQ(m.sender_id, rows[i].sender_id);
    EXPECT_EQ(m.sender_name, rows[i].sender_name);
    EXPECT_EQ(m.content, rows[i].content);
    EXPECT_EQ(m.client_message_id, rows[i].client_message_id);
    EXPECT_EQ(m.created_at_us, answers[i].created_at_us);
    if (rows[i].attachments_json) {
      // jsonb normalizes the spacing; the same value must come back.
      ASSERT_TRUE(m.attachments_json);
      auto same = run(c.get(), query{"SELECT ($1::jsonb = $2::jsonb)::text", {{m.attachments_json, rows[i].attachments_json}}});
      ASSERT_TRUE(test::ok(same)) << test::error_of(same);
      EXPECT_STREQ(PQgetvalue(same.get(), 0, 0), "true");
    } else {
      EXPECT_FALSE(m.attachments_json);
    }
  }
  // The nasty name's JSON text round-trips through jsonb to the same string.
  EXPECT_EQ(scalar(c.get(), "SELECT attachments->0->>'name' FROM messages WHERE conversation_id = '" + conv +
                                "' AND seq = 2"),
            nasty[1]);
  // last_seq and last_message_at move in the same statement: the batch's transaction time.
  auto conv_row = parse_inbox_conversations(run(c.get(), get_conversation(conv)).get());
  ASSERT_TRUE(conv_row);
  EXPECT_EQ((*conv_row)[0].last_seq, std::int64_t(rows.size()));
  EXPECT_EQ((*conv_row)[0].last_message_at_us, answers[0].created_at_us);
}

TEST(inbox_messages, retries_conflicts_and_bench_rooms_in_one_batch) {
  auto c = test::fresh_migrated_connection();
  auto a = new_conversation(c.get(), "a");
  auto b = new_conversation(c.get(), "b");
  auto first = test::store_ok(c.get(), std::vector{by_id(a, "m1", "a"), by_id(b, "m1", "b")});
  ASSERT_EQ(first.size(), 2u);
  // A retry by id, a room by key, a new message by id, a client id reused in another conversation.
  persist_row room{"room-7", "customer", "bench", "r1", "bench text"};
  auto answers = test::store_ok(c.get(), std::vector{by_id(a, "m1", "a"), room, by_id(a, "m2", "a"),
                                                     by_id(a, "m1", "b"), by_id(b, "m2", "b")});
  ASSERT_EQ(answers.size(), 5u);
  EXPECT_TRUE(answers[0].duplicate);
  EXPECT_EQ(answers[0].id, first[0].id);
  EXPECT_EQ(answers[1].seq, 1);
  EXPECT_EQ(answers[2].seq, 2);
  EXPECT_FALSE(answers[2].duplicate);
  EXPECT_TRUE(answers[3].conflict);
  EXPECT_EQ(answers[4].seq, 2);
  EXPECT_EQ(scalar(c.get(), "SELECT string_agg(coalesce(external_key, 'inbox') || ':' || last_seq, ','"
                            " ORDER BY external_key NULLS FIRST, last_seq) FROM conversations"),
            "inbox:2,inbox:2,room-7:1");
  EXPECT_EQ(scalar(c.get(), "SELECT (last_message_at IS NOT NULL)::text FROM conversations WHERE external_key = 'room-7'"),
            "true");
}

TEST(inbox_messages, an_unknown_conversation_id_fails_its_batch_and_validate_refuses_a_bad_id) {
  auto c = test::fresh_migrated_connection();
  auto a = new_conversation(c.get());
  auto bad = test::store_batch(c.get(), std::vector{by_id(a, "ok"), by_id("00000000-0000-4000-8000-000000000000", "lost")});
  EXPECT_FALSE(bad.committed());
  EXPECT_EQ(bad.sqlstate, "23503") << bad.error;  // foreign key: the writer retries rows alone
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM messages"), "0");
  EXPECT_EQ(test::store_ok(c.get(), std::vector{by_id(a, "ok")})[0].seq, 1);

  EXPECT_EQ(validate(by_id(a, "x")), "");
  EXPECT_NE(validate(by_id("room-7", "x")), "");
  EXPECT_NE(validate(by_id(a + "'", "x")), "");
  persist_row key_row{"room-7", "customer", "u", "x", "t"};
  EXPECT_EQ(validate(key_row), "");  // a key need not be a uuid
}

std::vector<std::int64_t> seqs(const history_page& p) {
  std::vector<std::int64_t> out;
  for (const auto& m : p.messages) out.push_back(m.seq);
  return out;
}

std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> out;
  for (auto i = from; i <= to; ++i) out.push_back(i);
  return out;
}

TEST(inbox_messages, history_after_a_seq_pages_at_500_and_before_a_seq_at_most_100) {
  auto c = test::fresh_migrated_connection();
  auto conv = new_conversation(c.get());
  auto other = new_conversation(c.get(), "other");
  std::vector<persist_row> rows;
  for (int i = 1; i <= 1200; ++i) rows.push_back(by_id(conv, "m" + std::to_string(i)));
  rows.push_back(by_id(other, "elsewhere"));
  test::store_ok(c.get(), rows);

  auto since = [&](std::int64_t s) {
    auto res = run(c.get(), history_since(conv, s));
    auto p = parse_history_since(res.get());
    if (!p) throw std::runtime_error("since: " + test::error_of(res));
    return *p;
  };
  auto p1 = since(0);
  EXPECT_EQ(seqs(p1), range(1, 500));
  EXPECT_TRUE(p1.more);
  auto p2 = since(p1.messages.back().seq);
  EXPECT_EQ(seqs(p2), range(501, 1000));
  EXPECT_TRUE(p2.more);
  auto p3 = since(p2.messages.back().seq);
  EXPECT_EQ(seqs(p3), range(1001, 1200));
  EXPECT_FALSE(p3.more);
  EXPECT_EQ(seqs(since(700)).front(), 701);
  auto exactly = since(700);
  EXPECT_EQ(exactly.messages.size(), 500u);
  EXPECT_FALSE(exactly.more);  // 701..1200 is exactly one page
  EXPECT_TRUE(since(1200).messages.empty());
  EXPECT_FALSE(since(1200).more);

  auto before = [&](std::optional<std::int64_t> b, int limit) {
    auto res = run(c.get(), history_before(conv, b, limit));
    auto p = parse_history_before(res.get(), limit);
    if (!p) throw std::runtime_error("before: " + test::error_of(res));
    return *p;
  };
  auto newest = before(std::nullopt, 50);
  EXPECT_EQ(seqs(newest), range(1151, 1200));
  EXPECT_TRUE(newest.more);
  EXPECT_EQ(seqs(before(1151, 100)), range(1051, 1150));
  EXPECT_EQ(seqs(before(1151, 5000)), range(1051, 1150));  // clamped to 100
  EXPECT_EQ(seqs(before(1151, 0)), range(1150, 1150));      // at least one
  auto start = before(4, 100);
  EXPECT_EQ(seqs(start), range(1, 3));
  EXPECT_FALSE(start.more);
  auto just = before(101, 100);
  EXPECT_EQ(seqs(just), range(1, 100));
  EXPECT_FALSE(just.more);
  EXPECT_TRUE(before(1, 10).messages.empty());
  // Another conversation's history is its own.
  auto res = run(c.get(), history_before(other, std::nullopt, 50));
  auto theirs = parse_history_before(res.get(), 50);
  ASSERT_TRUE(theirs);
  ASSERT_EQ(theirs->messages.size(), 1u);
  EXPECT_EQ(theirs->messages[0].client_message_id, "elsewhere");

  EXPECT_FALSE(parse_history_since(nullptr));
  EXPECT_FALSE(parse_history_before(exec_ok(c.get(), "SELECT 1").get(), 10));
}

}  // namespace
}  // namespace ringcast::persistence
