// The group-commit insert against a real PostgreSQL: one statement for a whole batch, answers in
// input order, idempotent retries, (conversation, seq) uniqueness, and the conversation lookup the
// bench profile uses to find its rows by name.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/persistence/pg_test_support.h"

namespace ringcast::persistence {
namespace {

using test::exec_ok;
using test::run;
using test::scalar;
using outcome = batch_answer::outcome;

std::string conversation(PGconn* c, const std::string& key) {
  auto res = run(c, find_or_create_conversation(key));
  auto ref = parse_conversation_ref(res.get());
  if (!ref) throw std::runtime_error("find_or_create: " + test::error_of(res));
  return ref->id;
}

message_row row(const std::string& conv, std::int64_t seq, const std::string& sender,
                std::optional<std::string> client_id) {
  message_row r;
  r.conversation_id = conv;
  r.seq = seq;
  r.sender_type = sender_type::customer;
  r.sender_id = sender;
  r.content = "message " + std::to_string(seq);
  r.client_message_id = std::move(client_id);
  return r;
}

std::vector<batch_answer> insert(PGconn* c, const std::vector<message_row>& rows) {
  auto res = run(c, batch_insert_sql(), encode_batch_params(rows));
  if (!test::ok(res)) throw std::runtime_error("batch insert: " + test::error_of(res));
  auto answers = parse_batch_result(res.get());
  if (!answers) throw std::runtime_error("batch insert: unexpected result shape");
  return *answers;
}

std::int64_t count_messages(PGconn* c) { return std::stoll(scalar(c, "SELECT count(*) FROM messages")); }

std::int64_t last_seq(PGconn* c, const std::string& conv) {
  return std::stoll(scalar(c, "SELECT last_seq FROM conversations WHERE id = '" + conv + "'"));
}

TEST(batch_insert, a_thousand_rows_in_one_statement_answer_in_input_order) {
  auto c = test::fresh_migrated_connection();
  std::vector<std::string> convs;
  for (int i = 0; i < 4; ++i) convs.push_back(conversation(c.get(), "room-" + std::to_string(i)));
  // Seqs 1..250 per conversation, shuffled so input order is neither seq nor conversation order.
  std::vector<message_row> rows;
  for (int i = 0; i < 1000; ++i)
    rows.push_back(row(convs[i % 4], i / 4 + 1, "user-" + std::to_string(i % 7),
                       "client-" + std::to_string(i)));
  std::shuffle(rows.begin(), rows.end(), std::mt19937(7));

  auto answers = insert(c.get(), rows);
  ASSERT_EQ(answers.size(), 1000u);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(answers[i].state, outcome::inserted) << i;
    EXPECT_EQ(answers[i].seq, rows[i].seq) << i;
    EXPECT_EQ(answers[i].conversation_id, rows[i].conversation_id) << i;
    EXPECT_EQ(answers[i].created_at_us, answers[0].created_at_us);  // one transaction
    ids.insert(answers[i].id);
  }
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(count_messages(c.get()), 1000);
  for (const auto& conv : convs) EXPECT_EQ(last_seq(c.get(), conv), 250);
  // Each answer names the row that holds that input's content.
  auto stored = exec_ok(c.get(), "SELECT id, content FROM messages");
  std::map<std::string, std::string> content_by_id;
  for (int i = 0; i < PQntuples(stored.get()); ++i)
    content_by_id[PQgetvalue(stored.get(), i, 0)] = PQgetvalue(stored.get(), i, 1);
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(content_by_id[answers[i].id], rows[i].content);
}

TEST(batch_insert, rerunning_a_batch_returns_the_original_rows_and_inserts_nothing) {
  auto c = test::fresh_migrated_connection();
  auto conv = conversation(c.get(), "retry-room");
  std::vector<message_row> rows;
  for (int i = 1; i <= 100; ++i) rows.push_back(row(conv, i, "u", "c" + std::to_string(i)));
  auto first = insert(c.get(), rows);

  auto again = insert(c.get(), rows);
  ASSERT_EQ(again.size(), first.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(again[i].state, outcome::existing);
    EXPECT_EQ(again[i].id, first[i].id);
    EXPECT_EQ(again[i].seq, first[i].seq);
    EXPECT_EQ(again[i].created_at_us, first[i].created_at_us);
  }
  // A broker that restarted assigns new seqs to the retries: the original seqs come back and
  // last_seq does not move to the seqs nobody stored.
  for (auto& r : rows) r.seq += 1000;
  auto renumbered = insert(c.get(), rows);
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(renumbered[i].state, outcome::existing);
    EXPECT_EQ(renumbered[i].id, first[i].id);
    EXPECT_EQ(renumbered[i].seq, first[i].seq);
  }
  EXPECT_EQ(count_messages(c.get()), 100);
  EXPECT_EQ(last_seq(c.get(), conv), 100);
}

TEST(batch_insert, a_batch_mixing_new_and_existing_rows) {
  auto c = test::fresh_migrated_connection();
  auto conv = conversation(c.get(), "mixed");
  std::vector<message_row> first_rows;
  for (int i = 1; i <= 10; ++i) first_rows.push_back(row(conv, i, "u", "old-" + std::to_string(i)));
  auto first = insert(c.get(), first_rows);

  // Retries of old-2, old-4, ... (with fresh seqs) interleaved with new messages.
  std::vector<message_row> mixed;
  std::int64_t next_seq = 11;
  for (int i = 1; i <= 5; ++i) {
    mixed.push_back(row(conv, next_seq++, "u", "old-" + std::to_string(2 * i)));
    mixed.push_back(row(conv, next_seq++, "u", "new-" + std::to_string(i)));
  }
  auto answers = insert(c.get(), mixed);
  ASSERT_EQ(answers.size(), 10u);
  for (int i = 0; i < 5; ++i) {
    const auto& retry = answers[2 * i];
    EXPECT_EQ(retry.state, outcome::existing);
    EXPECT_EQ(retry.id, first[2 * i + 1].id);
    EXPECT_EQ(retry.seq, 2 * i + 2);
    const auto& fresh = answers[2 * i + 1];
    EXPECT_EQ(fresh.state, outcome::inserted);
    EXPECT_EQ(fresh.seq, mixed[2 * i + 1].seq);
  }
  EXPECT_EQ(count_messages(c.get()), 15);
  EXPECT_EQ(last_seq(c.get(), conv), 20);
}

TEST(batch_insert, a_client_id_twice_in_one_batch_stores_the_first) {
  auto c = test::fresh_migrated_connection();
  auto conv = conversation(c.get(), "dup");
  std::vector<message_row> rows = {row(conv, 1, "u", "same"), row(conv, 2, "u", "other"),
                                   row(conv, 3, "u", "same")};
  auto answers = insert(c.get(), rows);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].state, outcome::inserted);
  EXPECT_EQ(answers[1].state, outcome::inserted);
  EXPECT_EQ(answers[2].state, outcome::existing);
  EXPECT_EQ(answers[2].id, answers[0].id);
  EXPECT_EQ(answers[2].seq, 1);
  EXPECT_EQ(count_messages(c.get()), 2);
  EXPECT_EQ(last_seq(c.get(), conv), 2);
}

TEST(batch_insert, the_same_client_id_from_different_senders_is_two_messages) {
  auto c = test::fresh_migrated_connection();
  auto conv = conversation(c.get(), "senders");
  auto staff = row(conv, 2, "u", "x");
  staff.sender_type = sender_type::staff;
  auto answers = insert(c.get(), {row(conv, 1, "u", "x"), staff, row(conv, 3, "v", "x")});
  for (const auto& a : answers) EXPECT_EQ(a.state, outcome::inserted);
  EXPECT_EQ(count_messages(c.get()), 3);
}

TEST(batch_insert, rows_without_a_client_id_are_answered_by_conversation_and_seq) {
  auto c = test::fresh_migrated_connection();
  auto a = conversation(c.get(), "a");
  auto b = conversation(c.get(), "b");
  std::vector<message_row> rows = {row(a, 1, "sys", std::nullopt), row(b, 1, "sys", std::nullopt),
                                   row(a, 2, "u", "k")};
  rows[0].sender_type = rows[1].sender_type = sender_type::system;
  auto answers = insert(c.get(), rows);
  ASSERT_EQ(answers.size(), 3u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(answers[i].state, outcome::inserted);
    EXPECT_EQ(answers[i].conversation_id, rows[i].conversation_id);
    EXPECT_EQ(answers[i].seq, rows[i].seq);
  }
  EXPECT_NE(answers[0].id, answers[1].id);
}

TEST(batch_insert, a_taken_seq_fails_the_whole_batch) {
  auto c = test::fresh_migrated_connection();
  auto conv = conversation(c.get(), "seq");
  insert(c.get(), {row(conv, 1, "u", "first")});
  // Another message with seq 1: nothing of this batch may be stored, not even the valid row.
  auto res = run(c.get(), batch_insert_sql(),
                 encode_batch_params(std::vector{row(conv, 2, "u", "fine"), row(conv, 1, "v", "clash")}));
  ASSERT_FALSE(test::ok(res));
  EXPECT_STREQ(PQresultErrorField(res.get(), PG_DIAG_SQLSTATE), "23505");
  EXPECT_STREQ(PQresultErrorField(res.get(), PG_DIAG_CONSTRAINT_NAME), "messages_conversation_seq_key");
  EXPECT_EQ(count_messages(c.get()), 1);
  EXPECT_EQ(last_seq(c.get(), conv), 1);
  // Also on a direct insert: the constraint is in the table, not in our statement.
  auto direct = test::pg_result(PQexec(
      c.get(), ("INSERT INTO messages (conversation_id, seq, sender_type, sender_id, content)"
                " VALUES ('" + conv + "', 1, 'staff', 's', 'x')").c_str()));
  EXPECT_STREQ(PQresultErrorField(direct.get(), PG_DIAG_SQLSTATE), "23505");
}

TEST(batch_insert, an_unknown_conversation_fails_the_batch) {
  auto c = test::fresh_migrated_connection();
  auto res = run(c.get(), batch_insert_sql(),
                 encode_batch_params(std::vector{row("00000000-0000-4000-8000-000000000000", 1, "u", "x")}));
  ASSERT_FALSE(test::ok(res));
  EXPECT_STREQ(PQresultErrorField(res.get(), PG_DIAG_SQLSTATE), "23503");  // foreign key
}

TEST(batch_insert, last_seq_never_moves_backwards) {
  auto c = test::fresh_migrated_connection();
  auto conv = conversation(c.get(), "order");
  insert(c.get(), {row(conv, 5, "u", "five")});
  // A batch that lands later with lower seqs (a gap being filled) leaves last_seq at 5.
  insert(c.get(), {row(conv, 3, "u", "three"), row(conv, 4, "u", "four")});
  EXPECT_EQ(last_seq(c.get(), conv), 5);
}

TEST(batch_insert, lookup_finds_stored_rows_and_reports_missing_ones) {
  auto c = test::fresh_migrated_connection();
  auto conv = conversation(c.get(), "lookup");
  std::vector<message_row> rows = {row(conv, 1, "u", "a"), row(conv, 2, "sys", std::nullopt)};
  auto stored = insert(c.get(), rows);
  rows.push_back(row(conv, 3, "u", "never-sent"));
  auto res = run(c.get(), batch_lookup_sql(), encode_batch_params(rows));
  ASSERT_TRUE(test::ok(res)) << test::error_of(res);
  auto answers = parse_batch_result(res.get());
  ASSERT_TRUE(answers);
  ASSERT_EQ(answers->size(), 3u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ((*answers)[i].state, outcome::existing);
    EXPECT_EQ((*answers)[i].id, stored[i].id);
    EXPECT_EQ((*answers)[i].seq, stored[i].seq);
    EXPECT_EQ((*answers)[i].created_at_us, stored[i].created_at_us);
  }
  EXPECT_EQ((*answers)[2].state, outcome::unresolved);
  EXPECT_EQ(count_messages(c.get()), 2);
}

TEST(batch_insert, an_empty_batch_is_valid) {
  auto c = test::fresh_migrated_connection();
  EXPECT_TRUE(insert(c.get(), {}).empty());
}

TEST(batch_insert, find_or_create_conversation_by_external_key) {
  auto c = test::fresh_migrated_connection();
  auto first = run(c.get(), find_or_create_conversation("room-7"));
  auto created = parse_conversation_ref(first.get());
  ASSERT_TRUE(created) << test::error_of(first);
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->last_seq, 0);
  insert(c.get(), {row(created->id, 1, "u", "a"), row(created->id, 2, "u", "b")});

  auto second = run(c.get(), find_or_create_conversation("room-7"));
  auto found = parse_conversation_ref(second.get());
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->created);
  EXPECT_EQ(found->id, created->id);
  EXPECT_EQ(found->last_seq, 2);
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM conversations"), "1");
  EXPECT_EQ(scalar(c.get(), "SELECT status || ',' || channel || ',' || priority FROM conversations"),
            "open,website,3");
}

TEST(batch_insert, parsers_reject_a_result_of_another_shape) {
  auto c = test::fresh_migrated_connection();
  auto res = exec_ok(c.get(), "SELECT 1");
  EXPECT_FALSE(parse_batch_result(res.get()));
  EXPECT_FALSE(parse_conversation_ref(res.get()));
  EXPECT_FALSE(parse_history(res.get()));
  EXPECT_FALSE(parse_batch_result(nullptr));
}

}  // namespace
}  // namespace ringcast::persistence
