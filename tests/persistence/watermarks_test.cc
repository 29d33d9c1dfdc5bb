// Batched watermarks, reader unread counts and presence against a real PostgreSQL: marks only move
// forward and the statement answers exactly the ones that moved; unread counts follow the marks
// and skip the reader's own messages; presence keeps the last status and the latest last_seen.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "persistence/inbox_conversations.h"
#include "persistence/watermarks.h"
#include "tests/persistence/nasty_strings.h"
#include "tests/persistence/pg_test_support.h"

namespace ringcast::persistence {
namespace {

using test::exec_ok;
using test::run;
using test::scalar;

using test::new_conversation;

// Appends messages by (type, sender) to the conversation.
void say(PGconn* c, const std::string& conv, const std::vector<std::pair<std::string, std::string>>& senders) {
  static int n = 0;
  std::vector<persist_row> rows;
  for (const auto& [type, sender] : senders) {
    persist_row r{conv, type, sender, "c" + std::to_string(++n), "text"};
    r.key = conversation_key::id;
    rows.push_back(r);
  }
  test::store_ok(c, rows);
}

using change_key = std::tuple<std::string, reader_type, std::string, std::int64_t, std::int64_t>;

std::vector<change_key> advance(PGconn* c, watermark_kind kind, const std::vector<watermark_update>& updates) {
  auto res = run(c, advance_watermarks(kind, updates));
  auto changes = parse_watermark_changes(res.get());
  if (!changes) throw std::runtime_error("advance: " + test::error_of(res));
  std::vector<change_key> out;
  for (const auto& w : *changes) out.emplace_back(w.conversation_id, w.reader, w.reader_id, w.last_read_seq, w.last_delivered_seq);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<change_key> sorted(std::vector<change_key> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(watermarks, a_batch_moves_marks_forward_only_and_answers_what_moved) {
  auto c = test::fresh_migrated_connection();
  auto a = new_conversation(c.get(), "ca");
  auto b = new_conversation(c.get(), "cb");
  say(c.get(), a, std::vector<std::pair<std::string, std::string>>(10, {"customer", "ca"}));
  say(c.get(), b, std::vector<std::pair<std::string, std::string>>(3, {"customer", "cb"}));
  const std::string missing = "00000000-0000-4000-8000-000000000000";
  const auto staff = reader_type::staff;
  const auto cust = reader_type::customer;

  // Delivered first: twice for one mark in the batch (the highest wins), past the end (clamped),
  // an unknown conversation (ignored), a zero (no move).
  auto moved = advance(c.get(), watermark_kind::delivered,
                       {{a, staff, "s1", 4}, {a, staff, "s1", 7}, {a, staff, "s1", 5}, {b, staff, "s1", 99},
                        {missing, staff, "s1", 3}, {a, cust, "ca", 0}});
  EXPECT_EQ(moved, sorted({{a, staff, "s1", 0, 7}, {b, staff, "s1", 0, 3}}));
  // The same again moves nothing; lower moves nothing.
  EXPECT_TRUE(advance(c.get(), watermark_kind::delivered, {{a, staff, "s1", 7}, {b, staff, "s1", 2}}).empty());

  // Read below delivered moves read only; read above delivered moves both.
  moved = advance(c.get(), watermark_kind::read, {{a, staff, "s1", 5}, {b, staff, "s1", 3}, {a, cust, "ca", 2}});
  EXPECT_EQ(moved, sorted({{a, staff, "s1", 5, 7}, {b, staff, "s1", 3, 3}, {a, cust, "ca", 2, 2}}));
  moved = advance(c.get(), watermark_kind::read, {{a, staff, "s1", 9}, {a, staff, "s1", 4}, {a, cust, "ca", 1}});
  EXPECT_EQ(moved, sorted({{a, staff, "s1", 9, 9}}));
  // Delivered never goes below read.
  EXPECT_TRUE(advance(c.get(), watermark_kind::delivered, {{a, staff, "s1", 8}}).empty());
  EXPECT_EQ(scalar(c.get(), "SELECT last_read_seq || '/' || last_delivered_seq FROM read_receipts"
                            " WHERE conversation_id = '" + a + "' AND reader_id = 's1'"),
            "9/9");
  EXPECT_TRUE(advance(c.get(), watermark_kind::read, {}).empty());
  // The same reader id as customer and as staff are two watermarks.
  moved = advance(c.get(), watermark_kind::read, {{a, cust, "s1", 1}});
  EXPECT_EQ(moved, sorted({{a, cust, "s1", 1, 1}}));
}

TEST(watermarks, a_conversations_marks_are_every_participants_within_the_limit) {
  auto c = test::fresh_migrated_connection();
  auto a = new_conversation(c.get(), "ca");
  auto b = new_conversation(c.get(), "cb");
  say(c.get(), a, std::vector<std::pair<std::string, std::string>>(5, {"customer", "ca"}));
  say(c.get(), b, {{"customer", "cb"}});
  const auto staff = reader_type::staff;
  const auto cust = reader_type::customer;
  advance(c.get(), watermark_kind::read, {{a, staff, "s2", 3}, {a, cust, "ca", 5}, {b, staff, "s1", 1}});
  advance(c.get(), watermark_kind::delivered, {{a, staff, "s1", 4}});
  auto marks_of = [&](int limit) {
    auto res = run(c.get(), conversation_watermarks(a, limit));
    auto marks = parse_watermark_changes(res.get());
    if (!marks) throw std::runtime_error("conversation_watermarks: " + test::error_of(res));
    std::vector<change_key> out;
    for (const auto& w : *marks) out.emplace_back(w.conversation_id, w.reader, w.reader_id, w.last_read_seq, w.last_delivered_seq);
    return out;
  };
  // Ordered by reader type then id; the other conversation's marks are not among them.
  EXPECT_EQ(marks_of(100), (std::vector<change_key>{{a, cust, "ca", 5, 5}, {a, staff, "s1", 0, 4}, {a, staff, "s2", 3, 3}}));
  EXPECT_EQ(marks_of(2).size(), 2u);
  EXPECT_TRUE(parse_watermark_changes(run(c.get(), conversation_watermarks("00000000-0000-4000-8000-000000000000")).get())->empty());
}

TEST(watermarks, reader_ids_with_nasty_text_round_trip) {
  auto c = test::fresh_migrated_connection();
  auto a = new_conversation(c.get(), "ca");
  say(c.get(), a, {{"customer", "ca"}, {"customer", "ca"}});
  std::vector<watermark_update> updates;
  std::vector<change_key> expected;
  for (const auto& s : test::nasty_strings()) {
    updates.push_back({a, reader_type::staff, s, 2});
    expected.emplace_back(a, reader_type::staff, s, 0, 2);
  }
  EXPECT_EQ(advance(c.get(), watermark_kind::delivered, updates), sorted(expected));
}

reader_unread_counts unread_of(PGconn* c, reader_type reader, const std::string& id) {
  auto res = run(c, reader_unread(reader, id));
  auto u = parse_reader_unread(res.get());
  if (!u) throw std::runtime_error("reader_unread: " + test::error_of(res));
  return *u;
}

std::map<std::string, std::int64_t> by_conversation(const reader_unread_counts& u) {
  std::map<std::string, std::int64_t> out;
  for (const auto& x : u.conversations) out[x.conversation_id] = x.unread;
  return out;
}

TEST(watermarks, reader_unread_counts_follow_the_marks_and_skip_own_messages) {
  auto c = test::fresh_migrated_connection();
  auto a = new_conversation(c.get(), "ann");
  auto b = new_conversation(c.get(), "ann");
  auto z = new_conversation(c.get(), "zed");
  // a: ann x2, staff s1, ai, staff s2.  b: staff s1 x3.  z: zed x4.
  say(c.get(), a, {{"customer", "ann"}, {"customer", "ann"}, {"staff", "s1"}, {"ai", "bot"}, {"staff", "s2"}});
  say(c.get(), b, {{"staff", "s1"}, {"staff", "s1"}, {"staff", "s1"}});
  say(c.get(), z, {{"customer", "zed"}, {"customer", "zed"}, {"customer", "zed"}, {"customer", "zed"}});

  auto ann = unread_of(c.get(), reader_type::customer, "ann");
  EXPECT_EQ(ann.total, 6);
  EXPECT_EQ(by_conversation(ann), (std::map<std::string, std::int64_t>{{a, 3}, {b, 3}}));
  advance(c.get(), watermark_kind::read, {{b, reader_type::customer, "ann", 3}, {a, reader_type::customer, "ann", 4}});
  ann = unread_of(c.get(), reader_type::customer, "ann");
  EXPECT_EQ(ann.total, 1);
  ASSERT_EQ(ann.conversations.size(), 1u);
  EXPECT_EQ(ann.conversations[0].conversation_id, a);
  EXPECT_EQ(ann.conversations[0].last_read_seq, 4);
  EXPECT_EQ(ann.conversations[0].last_seq, 5);
  EXPECT_EQ(unread_of(c.get(), reader_type::customer, "nobody").total, 0);

  // Staff s1: nothing assigned and no marks yet, so no conversations of theirs.
  EXPECT_EQ(unread_of(c.get(), reader_type::staff, "s1").total, 0);
  parse_inbox_conversations(run(c.get(), update_conversation(z, {.assigned_staff = std::optional<std::string>("s1")})).get());
  advance(c.get(), watermark_kind::delivered, {{a, reader_type::staff, "s1", 1}});
  auto s1 = unread_of(c.get(), reader_type::staff, "s1");
  // a: 4 from others (s2's message counts: "others" is anyone but s1).  z: assigned, 4.
  EXPECT_EQ(by_conversation(s1), (std::map<std::string, std::int64_t>{{a, 4}, {z, 4}}));
  EXPECT_EQ(s1.total, 8);
  advance(c.get(), watermark_kind::read, {{z, reader_type::staff, "s1", 4}});
  EXPECT_EQ(by_conversation(unread_of(c.get(), reader_type::staff, "s1")), (std::map<std::string, std::int64_t>{{a, 4}}));
  // A customer with a staff user's sub is someone else.
  EXPECT_EQ(unread_of(c.get(), reader_type::customer, "s1").total, 0);

  EXPECT_FALSE(parse_reader_unread(nullptr));
  EXPECT_FALSE(parse_watermark_changes(exec_ok(c.get(), "SELECT 1").get()));
  EXPECT_FALSE(parse_watermark_changes(
      exec_ok(c.get(), "SELECT gen_random_uuid(), 'robot', 'x', 1::bigint, 1::bigint").get()));
}

std::vector<presence_record> presence_rows(PGconn* c, const query& q) {
  auto res = run(c, q);
  auto p = parse_presence(res.get());
  if (!p) throw std::runtime_error("presence: " + test::error_of(res));
  return *p;
}

TEST(presence, a_batch_upserts_last_status_wins_and_last_seen_never_goes_back) {
  auto c = test::fresh_migrated_connection();
  const std::int64_t t0 = 1'700'000'000'000'000;
  auto stored = presence_rows(c.get(), upsert_presence(std::vector<presence_update>{
                                           {reader_type::customer, "u1", presence_status::online, t0},
                                           {reader_type::staff, "u1", presence_status::away, t0 + 5},
                                           {reader_type::customer, "u1", presence_status::away, t0 + 10},
                                           {reader_type::customer, "u2", presence_status::online, std::nullopt}}));
  ASSERT_EQ(stored.size(), 3u);
  auto customers = presence_rows(c.get(), presence_of(reader_type::customer, std::vector<std::string>{"u2", "u1", "u9"}));
  ASSERT_EQ(customers.size(), 2u);
  EXPECT_EQ(customers[0].user_id, "u1");
  EXPECT_EQ(customers[0].status, presence_status::away);
  EXPECT_EQ(customers[0].last_seen_us, t0 + 10);
  EXPECT_EQ(customers[1].user_id, "u2");
  EXPECT_EQ(customers[1].status, presence_status::online);
  auto now = std::stoll(scalar(c.get(), "SELECT (extract(epoch FROM now()) * 1000000)::bigint"));
  EXPECT_LT(std::llabs(customers[1].last_seen_us - now), 60'000'000);
  auto staff = presence_rows(c.get(), presence_of(reader_type::staff, std::vector<std::string>{"u1"}));
  ASSERT_EQ(staff.size(), 1u);
  EXPECT_EQ(staff[0].user, reader_type::staff);
  EXPECT_EQ(staff[0].last_seen_us, t0 + 5);

  // Offline with an older last_seen: the status changes, last_seen stays.
  presence_rows(c.get(), upsert_presence(std::vector<presence_update>{
                             {reader_type::customer, "u1", presence_status::offline, t0 + 1}}));
  auto after = presence_rows(c.get(), presence_of(reader_type::customer, std::vector<std::string>{"u1"}));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].status, presence_status::offline);
  EXPECT_EQ(after[0].last_seen_us, t0 + 10);
  EXPECT_TRUE(presence_rows(c.get(), upsert_presence({})).empty());
}

TEST(presence, nasty_user_ids_round_trip) {
  auto c = test::fresh_migrated_connection();
  std::vector<presence_update> updates;
  for (const auto& s : test::nasty_strings()) updates.push_back({reader_type::staff, s, presence_status::online, 42});
  EXPECT_EQ(presence_rows(c.get(), upsert_presence(updates)).size(), updates.size());
  auto back = presence_rows(c.get(), presence_of(reader_type::staff, test::nasty_strings()));
  ASSERT_EQ(back.size(), updates.size());
  std::vector<std::string> ids, expected = test::nasty_strings();
  for (const auto& p : back) ids.push_back(p.user_id);
  std::sort(ids.begin(), ids.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids, expected);
  for (const auto& p : back) EXPECT_EQ(p.last_seen_us, 42);
  EXPECT_EQ(to_string(presence_status::away), "away");
  EXPECT_EQ(parse_presence_status("online"), presence_status::online);
  EXPECT_FALSE(parse_presence_status("busy"));
  EXPECT_FALSE(parse_presence(exec_ok(c.get(), "SELECT 'staff', 'x', 'busy', 1::bigint").get()));
}

}  // namespace
}  // namespace ringcast::persistence
