// Array literals and row validation: the exact encoding, a round trip of hostile text through a
// real PostgreSQL and the sequenced batch, and proof that what the broker's row check (validate()
// plus text encoding) refuses is what the server would refuse, and what it accepts the server
// stores.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "broker/app/persist_event.h"
#include "persistence/array_literal.h"
#include "tests/persistence/pg_test_support.h"

namespace ringcast::persistence {
namespace {

using test::run;
using namespace std::string_literals;

const std::vector<std::string> nasty = {
    "",
    "NULL",
    "null",
    "\"",
    "\\",
    "\\\"",
    "\"\\",
    "a,b",
    "{}",
    "{a,b}",
    "}{",
    "{\"k\": [1, 2]}",
    "  padded  ",
    "\t\r\n",
    "it's",
    "'; DROP TABLE messages; --",
    "$1 $2::text[]",
    "a\"b\\c,d{e}f NULL",
    "\\\\\\\\",
    "日本語のテキスト",
    "emoji 🎉👩‍👩‍👧 done",
    "Ω≈ç√∫ ñ ü ß",
    std::string(100000, 'x') + "\"\\",
};

TEST(array_literal, encodes_text_with_quotes_and_backslashes_escaped) {
  array_literal a;
  a.text("plain"s);
  a.text("q\"uote"s);
  a.text("back\\slash"s);
  a.null();
  a.text_or_null(std::optional<std::string>("NULL"));
  a.text_or_null(std::optional<std::string>());
  a.text(""s);
  EXPECT_EQ(a.size(), 7u);
  EXPECT_EQ(a.take(), R"({"plain","q\"uote","back\\slash",NULL,"NULL",NULL,""})");
  EXPECT_EQ(a.take(), "{}");  // take() leaves an empty builder
}

TEST(array_literal, encodes_numbers) {
  array_literal i;
  i.integer(std::int64_t{0});
  i.integer(std::numeric_limits<std::int64_t>::min());
  i.integer(std::optional<std::int64_t>());
  EXPECT_EQ(i.take(), "{0,-9223372036854775808,NULL}");
  array_literal f;
  f.real(0.1f);
  f.real(std::nullopt);
  f.real(std::numeric_limits<float>::quiet_NaN());
  f.real(std::numeric_limits<float>::infinity());
  f.real(-std::numeric_limits<float>::infinity());
  f.real(1e-7f);
  EXPECT_EQ(f.take(), "{0.1,NULL,NaN,Infinity,-Infinity,1e-07}");
}

TEST(array_literal, text_arrays_round_trip_through_postgresql) {
  auto c = test::connect(test::postgres_cluster::shared().url());
  array_literal a;
  for (const auto& s : nasty) a.text(s);
  a.null();
  query_params p{{a.take()}};
  auto res = run(c.get(), "SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS t(x, n) ORDER BY n", p);
  ASSERT_TRUE(test::ok(res)) << test::error_of(res);
  ASSERT_EQ(PQntuples(res.get()), int(nasty.size()) + 1);
  for (std::size_t i = 0; i < nasty.size(); ++i) {
    EXPECT_FALSE(PQgetisnull(res.get(), int(i), 0)) << i;
    EXPECT_EQ(std::string(PQgetvalue(res.get(), int(i), 0), PQgetlength(res.get(), int(i), 0)),
              nasty[i])
        << i;
  }
  EXPECT_TRUE(PQgetisnull(res.get(), int(nasty.size()), 0));
}

TEST(array_literal, floats_round_trip_through_postgresql) {
  auto c = test::connect(test::postgres_cluster::shared().url());
  std::vector<float> values = {0.1f, 1e-7f, 0.333333343f, 3.4028235e38f, -0.0f, 0.95f};
  array_literal a;
  for (float v : values) a.real(v);
  auto res = run(c.get(), "SELECT x FROM unnest($1::real[]) WITH ORDINALITY AS t(x, n) ORDER BY n",
                 query_params{{a.take()}});
  ASSERT_TRUE(test::ok(res)) << test::error_of(res);
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(std::stof(PQgetvalue(res.get(), int(i), 0)), values[i]) << PQgetvalue(res.get(), int(i), 0);
}

// A key field holding hostile text: the long entry of `nasty` is cut to its tail (keys are at most
// max_key_bytes), an empty one gets a visible stand-in where the field must not be empty.
std::string key_text(const std::string& s, bool may_be_empty) {
  if (s.size() > 100) return s.substr(s.size() - 100);
  if (s.empty() && !may_be_empty) return "(empty)";
  return s;
}

struct stored_text {
  std::string conversation, sender_type, sender_id, client_message_id, content;
};

std::map<std::string, stored_text> stored_by_id(PGconn* c) {
  auto res = test::exec_ok(c,
                           "SELECT m.id, c.external_key, m.sender_type, m.sender_id, m.client_message_id, m.content"
                           " FROM messages m JOIN conversations c ON c.id = m.conversation_id");
  std::map<std::string, stored_text> out;
  for (int i = 0; i < PQntuples(res.get()); ++i) {
    auto text = [&](int col) { return std::string(PQgetvalue(res.get(), i, col), PQgetlength(res.get(), i, col)); };
    out[text(0)] = {text(1), text(2), text(3), text(4), text(5)};
  }
  return out;
}

TEST(batch_escaping, hostile_text_in_every_field_round_trips_through_the_sequenced_batch) {
  auto c = test::fresh_migrated_connection();
  const char* types[] = {"customer", "staff", "ai", "system"};
  std::vector<persist_row> rows;
  for (std::size_t i = 0; i < nasty.size(); ++i) {
    persist_row r;
    // Two rows per hostile conversation key, so keys are both created and found.
    r.conversation = key_text(nasty[i / 2 * 2], false);
    r.sender_type = types[i % 4];
    r.sender_id = key_text(nasty[(i + 1) % nasty.size()], true);
    r.client_message_id = key_text(nasty[(i + 2) % nasty.size()], false) + "/" + std::to_string(i);
    r.content = nasty[i];
    ASSERT_EQ(broker::check_persist_row(r), "") << i;
    rows.push_back(r);
  }
  auto answers = test::store_ok(c.get(), rows);
  ASSERT_EQ(answers.size(), rows.size());
  auto db = stored_by_id(c.get());
  ASSERT_EQ(db.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_FALSE(answers[i].duplicate) << i;
    const auto& m = db[answers[i].id];
    EXPECT_EQ(m.conversation, rows[i].conversation) << i;
    EXPECT_EQ(m.sender_type, rows[i].sender_type) << i;
    EXPECT_EQ(m.sender_id, rows[i].sender_id) << i;
    EXPECT_EQ(m.client_message_id, rows[i].client_message_id) << i;
    EXPECT_EQ(m.content, rows[i].content) << i;
  }
  EXPECT_EQ(test::scalar(c.get(), "SELECT count(*) FROM conversations"), std::to_string((nasty.size() + 1) / 2));
  // The retry is found by its hostile keys too.
  auto again = test::store_ok(c.get(), rows);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_TRUE(again[i].duplicate) << i;
    EXPECT_EQ(again[i].id, answers[i].id) << i;
    EXPECT_EQ(again[i].seq, answers[i].seq) << i;
  }
  EXPECT_EQ(test::scalar(c.get(), "SELECT count(*) FROM messages"), std::to_string(rows.size()));
}

persist_row valid_row() { return {"v", "customer", "u", "c", "ok"}; }

// Random letters and digits: text that does not compress, as a client's random ids.
std::string random_text(std::size_t n) {
  static std::mt19937 rng(11);
  const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string s(n, ' ');
  for (auto& ch : s) ch = alphabet[rng() % (sizeof alphabet - 1)];
  return s;
}

TEST(batch_escaping, validate_accepts_what_postgresql_stores) {
  auto c = test::fresh_migrated_connection();
  std::vector<persist_row> rows;
  for (const char* type : {"customer", "staff", "ai", "system"}) {
    auto r = valid_row();
    r.sender_type = type;
    r.client_message_id = type;
    rows.push_back(r);
  }
  auto r = valid_row();
  r.client_message_id = "multi-byte";
  r.content = "\xF0\x9F\x8E\x89 \xE2\x82\xAC \xC3\xA9 \xF4\x8F\xBF\xBF \x7F";  // 4, 3, 2 bytes, U+10FFFF, DEL
  rows.push_back(r);
  r = valid_row();
  r.client_message_id = "empty content and sender";
  r.content = "";
  r.sender_id = "";
  rows.push_back(r);
  r = valid_row();  // every key at the limit, none compressible
  r.conversation = random_text(max_key_bytes);
  r.sender_id = random_text(max_key_bytes);
  r.client_message_id = random_text(max_key_bytes);
  r.content = random_text(100000);
  rows.push_back(r);
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(broker::check_persist_row(rows[i]), "") << i;
  auto answers = test::store_ok(c.get(), rows);
  auto db = stored_by_id(c.get());
  ASSERT_EQ(db.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(db[answers[i].id].content, rows[i].content) << i;
    EXPECT_EQ(db[answers[i].id].client_message_id, rows[i].client_message_id) << i;
  }
}

// Each refused row, sent anyway, fails at the server: the check agrees with PostgreSQL. A NUL
// cannot even reach the server intact: libpq cuts the parameter there, leaving a malformed array
// literal.
TEST(batch_escaping, validate_refuses_what_postgresql_would_refuse) {
  auto c = test::fresh_migrated_connection();
  struct bad_text {
    const char* what;
    std::string text;
  };
  const bad_text bad[] = {
      {"NUL", "a\0b"s},
      {"NUL at the end", "ab\0"s},
      {"overlong", "\xC0\xAF"},
      {"overlong 3-byte", "\xE0\x80\xAF"},
      {"surrogate", "\xED\xA0\x80"},
      {"past U+10FFFF", "\xF4\x90\x80\x80"},
      {"truncated", "\xE2\x82"},
      {"stray continuation", "\x80"},
      {"invalid byte", "a\xFF"},
  };
  struct bad_case {
    std::string what;
    persist_row row;
  };
  std::vector<bad_case> cases;
  for (const auto& b : bad) {
    auto r = valid_row();
    r.conversation = b.text;
    cases.push_back({"conversation: "s + b.what, r});
    r = valid_row();
    r.sender_id = b.text;
    cases.push_back({"sender_id: "s + b.what, r});
    r = valid_row();
    r.client_message_id = b.text;
    cases.push_back({"client_message_id: "s + b.what, r});
    r = valid_row();
    r.content = b.text;
    cases.push_back({"content: "s + b.what, r});
  }
  for (const char* type : {"", "admin", "Customer", "customer ", "bot"}) {
    auto r = valid_row();
    r.sender_type = type;
    cases.push_back({"sender_type '"s + type + "'", r});
  }
  // Past the btree entry limit (2704 bytes) of the unique indexes.
  auto r = valid_row();
  r.conversation = random_text(3000);
  cases.push_back({"long conversation", r});
  r = valid_row();
  r.sender_id = random_text(3000);
  cases.push_back({"long sender_id", r});
  r = valid_row();
  r.client_message_id = random_text(3000);
  cases.push_back({"long client_message_id", r});
  r = valid_row();
  r.sender_id = random_text(max_key_bytes);
  r.client_message_id = random_text(max_key_bytes);
  EXPECT_EQ(broker::check_persist_row(r), "");  // both at the limit share one index entry and still fit

  for (const auto& bc : cases) {
    EXPECT_NE(broker::check_persist_row(bc.row), "") << bc.what;
    auto res = test::store_batch(c.get(), std::vector{bc.row});
    EXPECT_FALSE(res.committed()) << bc.what;
  }
  EXPECT_EQ(test::scalar(c.get(), "SELECT count(*) FROM messages"), "0");
  EXPECT_EQ(test::scalar(c.get(), "SELECT count(*) FROM conversations"), "0");
}

// validate() is stricter than the schema in one place, on purpose: an empty conversation key or
// client id is refused by validate() but stored by PostgreSQL (an empty client id would turn every
// later send of the same sender into a "retry" of the first). Should the schema gain CHECKs for
// them, move these cases into the test above.
TEST(batch_escaping, empty_keys_are_refused_by_validate_though_the_schema_takes_them) {
  auto c = test::fresh_migrated_connection();
  auto no_conversation = valid_row();
  no_conversation.conversation = "";
  auto no_client_id = valid_row();
  no_client_id.client_message_id = "";
  EXPECT_EQ(validate(no_conversation), "conversation is empty");
  EXPECT_EQ(validate(no_client_id), "client_message_id is empty");
  EXPECT_TRUE(test::store_batch(c.get(), std::vector{no_conversation}).committed());
  EXPECT_TRUE(test::store_batch(c.get(), std::vector{no_client_id}).committed());
}

}  // namespace
}  // namespace ringcast::persistence
