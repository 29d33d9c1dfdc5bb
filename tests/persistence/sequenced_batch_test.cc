// The group-commit statements of the batch writer against a real PostgreSQL, sent in one
// transaction with blocking libpq: PostgreSQL numbers each conversation's new messages from
// last_seq in input order, a retry gets the stored row back and consumes no number, and
// conversations are created by external key in the same transaction.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/persistence/pg_test_support.h"

namespace ringcast::persistence {
namespace {

using test::exec_ok;
using test::scalar;
using test::store_batch;
using test::store_ok;

persist_row row(const std::string& conversation, const std::string& client_id, const std::string& sender = "u",
                const std::string& type = "customer") {
  return {conversation, type, sender, client_id, "content of " + client_id};
}

std::int64_t count(PGconn* c, const std::string& table) {
  return std::stoll(scalar(c, "SELECT count(*) FROM " + table));
}

std::int64_t last_seq(PGconn* c, const std::string& key) {
  return std::stoll(scalar(c, "SELECT last_seq FROM conversations WHERE external_key = '" + key + "'"));
}

struct stored_message {
  std::string conversation;
  std::int64_t seq = 0;
  std::string sender_type, sender_id, client_message_id, content;
  std::int64_t created_at_us = 0;
};

// Every stored message by id.
std::map<std::string, stored_message> stored(PGconn* c) {
  auto res = exec_ok(c,
                     "SELECT m.id, c.external_key, m.seq, m.sender_type, m.sender_id, m.client_message_id, m.content,"
                     " (extract(epoch FROM m.created_at) * 1000000)::bigint"
                     " FROM messages m JOIN conversations c ON c.id = m.conversation_id");
  std::map<std::string, stored_message> out;
  for (int i = 0; i < PQntuples(res.get()); ++i) {
    auto text = [&](int col) { return std::string(PQgetvalue(res.get(), i, col), PQgetlength(res.get(), i, col)); };
    out[text(0)] = {text(1), std::stoll(text(2)), text(3), text(4), text(5), text(6), std::stoll(text(7))};
  }
  return out;
}

// The answer names the stored row that holds exactly this input.
void expect_answer_matches(const std::map<std::string, stored_message>& db, const persist_answer& a,
                           const persist_row& r, std::size_t i) {
  auto it = db.find(a.id);
  ASSERT_NE(it, db.end()) << i;
  const auto& m = it->second;
  EXPECT_EQ(m.conversation, r.conversation) << i;
  EXPECT_EQ(m.seq, a.seq) << i;
  EXPECT_EQ(m.sender_type, r.sender_type) << i;
  EXPECT_EQ(m.sender_id, r.sender_id) << i;
  EXPECT_EQ(m.client_message_id, r.client_message_id) << i;
  EXPECT_EQ(m.content, r.content) << i;
  EXPECT_EQ(m.created_at_us, a.created_at_us) << i;
}

TEST(sequenced_batch, a_thousand_rows_over_several_conversations_in_one_batch) {
  auto c = test::fresh_migrated_connection();
  // Conversations chosen at random, so input order interleaves them unevenly.
  std::mt19937 rng(7);
  std::vector<persist_row> rows;
  for (int i = 0; i < 1000; ++i)
    rows.push_back(row("room-" + std::to_string(rng() % 5), "client-" + std::to_string(i),
                       "user-" + std::to_string(i % 7)));

  auto answers = store_ok(c.get(), rows);
  ASSERT_EQ(answers.size(), rows.size());
  std::map<std::string, std::int64_t> next;  // per conversation: the seq the next input row gets
  std::set<std::string> ids;
  auto db = stored(c.get());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(answers[i].seq, ++next[rows[i].conversation]) << i;
    EXPECT_FALSE(answers[i].duplicate) << i;
    EXPECT_EQ(answers[i].created_at_us, answers[0].created_at_us) << i;  // one transaction
    ids.insert(answers[i].id);
    expect_answer_matches(db, answers[i], rows[i], i);
  }
  EXPECT_EQ(ids.size(), rows.size());
  EXPECT_EQ(count(c.get(), "messages"), 1000);
  EXPECT_EQ(count(c.get(), "conversations"), std::int64_t(next.size()));
  for (const auto& [key, n] : next) EXPECT_EQ(last_seq(c.get(), key), n) << key;
}

TEST(sequenced_batch, the_same_batch_again_returns_the_stored_rows_and_inserts_nothing) {
  auto c = test::fresh_migrated_connection();
  std::vector<persist_row> rows;
  for (int i = 0; i < 100; ++i) rows.push_back(row(i % 3 ? "retry-a" : "retry-b", "c" + std::to_string(i)));
  auto first = store_ok(c.get(), rows);
  auto a_seq = last_seq(c.get(), "retry-a");
  auto b_seq = last_seq(c.get(), "retry-b");

  // A broker that restarted between the commit and the ack sends the whole batch again.
  auto again = store_ok(c.get(), rows);
  ASSERT_EQ(again.size(), first.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_TRUE(again[i].duplicate) << i;
    EXPECT_EQ(again[i].id, first[i].id) << i;
    EXPECT_EQ(again[i].seq, first[i].seq) << i;
    EXPECT_EQ(again[i].created_at_us, first[i].created_at_us) << i;
  }
  EXPECT_EQ(count(c.get(), "messages"), 100);
  EXPECT_EQ(last_seq(c.get(), "retry-a"), a_seq);
  EXPECT_EQ(last_seq(c.get(), "retry-b"), b_seq);
  EXPECT_EQ(a_seq + b_seq, 100);
}

TEST(sequenced_batch, a_batch_mixing_new_and_stored_rows_numbers_only_the_new_ones) {
  auto c = test::fresh_migrated_connection();
  std::vector<persist_row> old_rows;
  for (int i = 1; i <= 10; ++i) old_rows.push_back(row("mixed", "old-" + std::to_string(i)));
  auto first = store_ok(c.get(), old_rows);

  // Retries of old-2, old-4, ... interleaved with new messages: the new ones get 11..15, in input
  // order, with no hole where the retries sit.
  std::vector<persist_row> mixed;
  for (int i = 1; i <= 5; ++i) {
    mixed.push_back(row("mixed", "old-" + std::to_string(2 * i)));
    mixed.push_back(row("mixed", "new-" + std::to_string(i)));
  }
  auto answers = store_ok(c.get(), mixed);
  ASSERT_EQ(answers.size(), 10u);
  for (int i = 0; i < 5; ++i) {
    const auto& retry = answers[2 * i];
    EXPECT_TRUE(retry.duplicate);
    EXPECT_EQ(retry.id, first[2 * i + 1].id);
    EXPECT_EQ(retry.seq, 2 * i + 2);
    const auto& fresh = answers[2 * i + 1];
    EXPECT_FALSE(fresh.duplicate);
    EXPECT_EQ(fresh.seq, 11 + i);
  }
  auto db = stored(c.get());
  for (std::size_t i = 0; i < mixed.size(); ++i) expect_answer_matches(db, answers[i], mixed[i], i);
  EXPECT_EQ(count(c.get(), "messages"), 15);
  EXPECT_EQ(last_seq(c.get(), "mixed"), 15);
}

TEST(sequenced_batch, a_client_id_twice_in_one_batch_is_stored_once) {
  auto c = test::fresh_migrated_connection();
  auto later = row("dup", "same");
  later.content = "the retry's copy";  // the first copy is the one stored
  std::vector<persist_row> rows = {row("dup", "same"), row("dup", "other"), later};
  auto answers = store_ok(c.get(), rows);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_FALSE(answers[0].duplicate);
  EXPECT_EQ(answers[0].seq, 1);
  EXPECT_FALSE(answers[1].duplicate);
  EXPECT_EQ(answers[1].seq, 2);
  EXPECT_TRUE(answers[2].duplicate);
  EXPECT_EQ(answers[2].id, answers[0].id);
  EXPECT_EQ(answers[2].seq, 1);
  EXPECT_EQ(answers[2].created_at_us, answers[0].created_at_us);
  EXPECT_EQ(count(c.get(), "messages"), 2);
  EXPECT_EQ(last_seq(c.get(), "dup"), 2);
  EXPECT_EQ(stored(c.get())[answers[0].id].content, "content of same");
}

TEST(sequenced_batch, the_same_client_id_from_different_senders_is_three_messages) {
  auto c = test::fresh_migrated_connection();
  std::vector<persist_row> rows = {row("senders", "x", "u"), row("senders", "x", "u", "staff"),
                                   row("senders", "x", "v")};
  auto answers = store_ok(c.get(), rows);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_FALSE(answers[i].duplicate);
    EXPECT_EQ(answers[i].seq, std::int64_t(i) + 1);
  }
  EXPECT_EQ(count(c.get(), "messages"), 3);
}

// The idempotency key is (sender, client id), unique per sender across conversations: a client id
// the sender already used in another conversation is not a retry of that message, so it must not
// be answered as its duplicate (the new content would be dropped silently) but as a conflict, with
// nothing stored and no number consumed. In the same conversation it stays an idempotent retry.
TEST(sequenced_batch, a_client_id_reused_in_another_conversation_is_a_conflict) {
  auto c = test::fresh_migrated_connection();
  auto first = store_ok(c.get(), std::vector{row("conv-a", "reused")});
  ASSERT_EQ(first.size(), 1u);
  EXPECT_FALSE(first[0].conflict);

  auto elsewhere = row("conv-b", "reused");
  elsewhere.content = "different content in another conversation";
  auto answers = store_ok(c.get(), std::vector{row("conv-b", "fresh"), elsewhere, row("conv-a", "reused"),
                                               row("conv-b", "after")});
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_FALSE(answers[0].conflict);
  EXPECT_EQ(answers[0].seq, 1);
  EXPECT_TRUE(answers[1].conflict);
  EXPECT_FALSE(answers[2].conflict);  // the same conversation: a retry
  EXPECT_TRUE(answers[2].duplicate);
  EXPECT_EQ(answers[2].id, first[0].id);
  EXPECT_EQ(answers[2].seq, 1);
  EXPECT_FALSE(answers[3].conflict);
  EXPECT_EQ(answers[3].seq, 2);  // the conflicting row consumed no number
  EXPECT_EQ(count(c.get(), "messages"), 3);
  EXPECT_EQ(last_seq(c.get(), "conv-b"), 2);
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM messages WHERE content = '" + elsewhere.content + "'"), "0");
  EXPECT_EQ(stored(c.get())[first[0].id].content, "content of reused");

  // Within one batch: the first copy is stored, a later copy in another conversation conflicts,
  // a later copy in the same conversation is its duplicate.
  auto in_batch = store_ok(c.get(), std::vector{row("conv-c", "twice"), row("conv-d", "twice"), row("conv-c", "twice")});
  ASSERT_EQ(in_batch.size(), 3u);
  EXPECT_FALSE(in_batch[0].conflict);
  EXPECT_FALSE(in_batch[0].duplicate);
  EXPECT_TRUE(in_batch[1].conflict);
  EXPECT_FALSE(in_batch[2].conflict);
  EXPECT_TRUE(in_batch[2].duplicate);
  EXPECT_EQ(in_batch[2].id, in_batch[0].id);
  EXPECT_EQ(count(c.get(), "messages"), 4);
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM conversations c JOIN messages m ON m.conversation_id = c.id"
                            " WHERE c.external_key = 'conv-d'"),
            "0");
}

TEST(sequenced_batch, a_conversation_key_seen_for_the_first_time_is_created) {
  auto c = test::fresh_migrated_connection();
  auto known = parse_conversation_ref(test::run(c.get(), find_or_create_conversation("known")).get());
  ASSERT_TRUE(known);
  auto answers = store_ok(c.get(), std::vector{row("known", "a"), row("brand-new", "b"), row("brand-new", "c")});
  EXPECT_EQ(answers[0].seq, 1);
  EXPECT_EQ(answers[2].seq, 2);
  EXPECT_EQ(count(c.get(), "conversations"), 2);
  EXPECT_EQ(scalar(c.get(), "SELECT id FROM conversations WHERE external_key = 'known'"), known->id);
  EXPECT_EQ(scalar(c.get(), "SELECT status || ',' || channel || ',' || priority || ',' || last_seq"
                            " FROM conversations WHERE external_key = 'brand-new'"),
            "open,website,3,2");
  // The conversation lookup the readers use agrees with the batch's numbering.
  auto found = parse_conversation_ref(test::run(c.get(), find_or_create_conversation("brand-new")).get());
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->created);
  EXPECT_EQ(found->last_seq, 2);
}

TEST(sequenced_batch, a_row_the_server_refuses_rolls_back_the_whole_batch) {
  auto c = test::fresh_migrated_connection();
  store_ok(c.get(), std::vector{row("kept", "first")});
  auto bad = store_batch(c.get(), std::vector{row("kept", "fine"), row("never-created", "x"),
                                              row("kept", "bad", "u", "robot")});
  EXPECT_FALSE(bad.committed());
  EXPECT_EQ(bad.sqlstate, "23514") << bad.error;  // check_violation on sender_type
  EXPECT_EQ(count(c.get(), "messages"), 1);
  EXPECT_EQ(count(c.get(), "conversations"), 1);
  EXPECT_EQ(last_seq(c.get(), "kept"), 1);
  // No number was consumed by the failed batch.
  EXPECT_EQ(store_ok(c.get(), std::vector{row("kept", "fine")})[0].seq, 2);
}

// Two transactions on one conversation (two brokers, or a batch resent while its first send is
// still running): the second waits for the first's row lock and numbers after its commit.
TEST(sequenced_batch, concurrent_batches_on_one_conversation_number_one_after_the_other) {
  auto url = test::fresh_database();
  auto a = test::connect(url);
  persistence::apply_migrations(a.get());
  auto b = test::connect(url);
  store_ok(a.get(), std::vector{row("shared", "seed")});

  std::vector<persist_row> rows_a, rows_b;
  for (int i = 0; i < 20; ++i) {
    rows_a.push_back(row("shared", "a-" + std::to_string(i), "alice"));
    rows_b.push_back(row("shared", "b-" + std::to_string(i), "bob"));
  }
  exec_ok(a.get(), "BEGIN");
  test::pg_result held;
  for (const auto& st : sequenced_batch(rows_a)) {
    std::vector<const char*> values;
    for (const auto& p : st.params) values.push_back(p->c_str());
    held.reset(PQexecParams(a.get(), st.sql.c_str(), int(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
    ASSERT_TRUE(test::ok(held)) << test::error_of(held);
  }
  test::batch_result result_b;
  std::thread other([&] { result_b = store_batch(b.get(), rows_b); });
  // Commit only once b is really waiting for a's lock.
  auto monitor = test::connect(url);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (scalar(monitor.get(), "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") == "0" &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  exec_ok(a.get(), "COMMIT");
  other.join();
  ASSERT_TRUE(result_b.committed()) << result_b.error;
  auto answers_a = parse_sequenced_batch(held.get(), rows_a);
  ASSERT_TRUE(answers_a);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ((*answers_a)[i].seq, 2 + i);
    EXPECT_EQ(result_b.answers[i].seq, 22 + i);
  }
  EXPECT_EQ(last_seq(a.get(), "shared"), 41);
  EXPECT_EQ(scalar(a.get(), "SELECT count(DISTINCT seq) || ',' || max(seq) FROM messages"), "41,41");
}

// The writer runs the statement on one generic plan (plan_cache_mode = force_generic_plan),
// which PostgreSQL makes at its first batch, for a new database while its tables are empty, and
// keeps until their statistics change. Even that plan must look a row up by its indexes: a scan
// of messages or conversations would make every batch as slow as the tables are large.
TEST(sequenced_batch, the_generic_plan_made_on_empty_tables_scans_no_table) {
  auto c = test::fresh_migrated_connection();
  std::vector<persist_row> rows{row("a", "1"), row("b", "2")};
  rows[1].key = conversation_key::id;
  rows[1].conversation = "00000000-0000-4000-8000-000000000000";
  const auto statements = sequenced_batch(rows);
  const auto& insert = statements.back();
  test::pg_result prepared(PQprepare(c.get(), "batch", insert.sql.c_str(), int(insert.params.size()), nullptr));
  ASSERT_TRUE(test::ok(prepared)) << test::error_of(prepared);
  std::string call = "EXPLAIN EXECUTE batch(";
  for (std::size_t i = 0; i < insert.params.size(); ++i) {
    char* literal = PQescapeLiteral(c.get(), insert.params[i]->c_str(), insert.params[i]->size());
    call += (i ? "," : "") + std::string(literal);
    PQfreemem(literal);
  }
  call += ")";
  exec_ok(c.get(), "SET plan_cache_mode = force_generic_plan");
  auto plan = exec_ok(c.get(), call);
  std::string text;
  for (int i = 0; i < PQntuples(plan.get()); ++i) text += std::string(PQgetvalue(plan.get(), i, 0)) + "\n";
  EXPECT_NE(text.find("Index Scan using messages_sender_client_key"), std::string::npos) << text;
  EXPECT_EQ(text.find("Seq Scan on messages"), std::string::npos) << text;
  EXPECT_EQ(text.find("Seq Scan on conversations"), std::string::npos) << text;
}

TEST(sequenced_batch, an_empty_batch_is_valid) {
  auto c = test::fresh_migrated_connection();
  EXPECT_TRUE(store_ok(c.get(), std::vector<persist_row>{}).empty());
}

TEST(sequenced_batch, the_parser_rejects_a_result_of_another_shape) {
  auto c = test::fresh_migrated_connection();
  persist_row row;
  row.conversation = "room";
  row.sender_type = "customer";
  row.sender_id = "u";
  row.client_message_id = "m1";
  const std::vector<persist_row> one_row{row};
  std::vector<persist_row> two_rows{row, row};
  two_rows[1].client_message_id = "m2";
  auto one = exec_ok(c.get(), "SELECT 1");
  EXPECT_FALSE(parse_sequenced_batch(one.get(), one_row));
  // The answer shape: id, seq, created_at, duplicate, conflict, ai job, its priority, customer, assignee,
  // outbound delivery, the row's place in the batch (from 1).
  const std::string fields = "gen_random_uuid(), 1::bigint, 2::bigint, true, false, NULL::bigint, NULL::smallint, "
                             "NULL::text, NULL::text, NULL::bigint";
  auto shaped = exec_ok(c.get(), ("SELECT " + fields + ", 1::bigint").c_str());
  EXPECT_TRUE(parse_sequenced_batch(shaped.get(), one_row));
  EXPECT_FALSE(parse_sequenced_batch(shaped.get(), two_rows));  // one answer per row sent or none
  auto out_of_place = exec_ok(c.get(), ("SELECT " + fields + ", 2::bigint").c_str());
  EXPECT_FALSE(parse_sequenced_batch(out_of_place.get(), one_row));
  auto without_people = exec_ok(c.get(), "SELECT gen_random_uuid(), 1::bigint, 2::bigint, true, false, NULL::bigint, NULL::smallint");
  EXPECT_FALSE(parse_sequenced_batch(without_people.get(), one_row));
  auto null_seq = exec_ok(c.get(), "SELECT gen_random_uuid(), NULL::bigint, 2::bigint, true, false, NULL::bigint, "
                                   "NULL::smallint, NULL::text, NULL::text, NULL::bigint, 1::bigint");
  EXPECT_FALSE(parse_sequenced_batch(null_seq.get(), one_row));
  EXPECT_FALSE(parse_sequenced_batch(nullptr, std::vector<persist_row>{}));
  // A repeat of a row is not sent: one answer serves both, the second as a duplicate.
  const std::vector<persist_row> repeated{row, row};
  auto answered = parse_sequenced_batch(shaped.get(), repeated);
  ASSERT_TRUE(answered);
  ASSERT_EQ(answered->size(), 2u);
  EXPECT_EQ((*answered)[1].id, (*answered)[0].id);
  EXPECT_TRUE((*answered)[1].duplicate);
  EXPECT_FALSE((*answered)[1].conflict);
}

}  // namespace
}  // namespace ringcast::persistence
