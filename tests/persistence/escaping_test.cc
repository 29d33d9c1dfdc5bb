// Array literals and row validation: the exact encoding, a round trip of hostile text through a
// real PostgreSQL, and proof that what validate() refuses is what the server would refuse.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

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

TEST(batch_escaping, hostile_text_in_every_column_round_trips) {
  auto c = test::fresh_migrated_connection();
  auto ref = parse_conversation_ref(run(c.get(), find_or_create_conversation("{\"room\", 7}\\")).get());
  ASSERT_TRUE(ref);
  std::vector<message_row> rows;
  for (std::size_t i = 0; i < nasty.size(); ++i) {
    message_row r;
    r.conversation_id = ref->id;
    r.seq = std::int64_t(i) + 1;
    r.sender_type = sender_type::staff;
    r.sender_id = nasty[(i + 1) % nasty.size()] + "#" + std::to_string(i);
    r.content = nasty[i];
    r.client_message_id = nasty[i] + "/" + std::to_string(i);
    r.intent = nasty[(i + 2) % nasty.size()];
    r.attachments_json = boost::json::serialize(
        boost::json::value{{"name", nasty[i]}, {"list", boost::json::array{1, nasty[i], nullptr}}});
    r.confidence = 0.5f;
    r.processing_time_ms = int(i);
    ASSERT_EQ(validate(r), "") << i;
    rows.push_back(r);
  }
  auto inserted = run(c.get(), batch_insert_sql(), encode_batch_params(rows));
  ASSERT_TRUE(test::ok(inserted)) << test::error_of(inserted);
  // The retry is found by the hostile client id too.
  auto again = parse_batch_result(run(c.get(), batch_insert_sql(), encode_batch_params(rows)).get());
  ASSERT_TRUE(again);
  for (const auto& a : *again) EXPECT_EQ(a.state, batch_answer::outcome::existing);

  auto res = run(c.get(), history_range(ref->id, 1, 1000, 1000));
  auto history = parse_history(res.get());
  ASSERT_TRUE(history) << test::error_of(res);
  ASSERT_EQ(history->size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& m = (*history)[i];
    EXPECT_EQ(m.content, rows[i].content) << i;
    EXPECT_EQ(m.sender_id, rows[i].sender_id) << i;
    EXPECT_EQ(m.client_message_id, rows[i].client_message_id) << i;
    EXPECT_EQ(m.intent, rows[i].intent) << i;
    ASSERT_TRUE(m.attachments_json);
    EXPECT_EQ(boost::json::parse(*m.attachments_json), boost::json::parse(*rows[i].attachments_json));
  }
}

message_row valid_row(const std::string& conv) {
  message_row r;
  r.conversation_id = conv;
  r.seq = 1;
  r.sender_id = "u";
  r.content = "ok";
  r.client_message_id = "c";
  return r;
}

TEST(batch_escaping, validate_accepts_what_postgresql_stores) {
  auto r = valid_row("8c0b1c36-0d43-4d6e-9a52-0123456789AB");
  EXPECT_EQ(validate(r), "");
  r.content = "\xF0\x9F\x8E\x89 \xE2\x82\xAC \xC3\xA9 \xF4\x8F\xBF\xBF";  // 4, 3, 2 bytes, U+10FFFF
  r.attachments_json = R"([{"a": "\ud83c\udf89"}, 1e300, null])";
  r.processing_time_ms = 0;
  EXPECT_EQ(validate(r), "");
}

// Each refused row, sent anyway, must fail at the server: validate() agrees with PostgreSQL and
// does not refuse more than it must. The NUL case cannot be sent (libpq would cut the string).
TEST(batch_escaping, validate_refuses_what_postgresql_would_refuse) {
  auto c = test::fresh_migrated_connection();
  auto ref = parse_conversation_ref(run(c.get(), find_or_create_conversation("v")).get());
  ASSERT_TRUE(ref);
  struct bad_case {
    const char* what;
    void (*mutate)(message_row&);
    bool server_check;
  };
  const bad_case cases[] = {
      {"NUL", [](message_row& r) { r.content = "a\0b"s; }, false},
      {"overlong", [](message_row& r) { r.content = "\xC0\xAF"; }, true},
      {"surrogate", [](message_row& r) { r.sender_id = "\xED\xA0\x80"; }, true},
      {"past U+10FFFF", [](message_row& r) { r.content = "\xF4\x90\x80\x80"; }, true},
      {"truncated", [](message_row& r) { r.client_message_id = "\xE2\x82"; }, true},
      {"stray continuation", [](message_row& r) { r.intent = "\x80"; }, true},
      {"not a uuid", [](message_row& r) { r.conversation_id = "room-7"; }, true},
      {"seq 0", [](message_row& r) { r.seq = 0; }, true},
      {"negative time", [](message_row& r) { r.processing_time_ms = -1; }, true},
      {"bad JSON", [](message_row& r) { r.attachments_json = "{\"a\":"; }, true},
      {"JSON \\u0000", [](message_row& r) { r.attachments_json = R"({"a":"x\u0000y"})"; }, true},
      {"JSON lone surrogate", [](message_row& r) { r.attachments_json = R"(["\ud800"])"; }, true},
  };
  for (const auto& bc : cases) {
    auto r = valid_row(ref->id);
    bc.mutate(r);
    EXPECT_NE(validate(r), "") << bc.what;
    if (!bc.server_check) continue;
    auto res = run(c.get(), batch_insert_sql(), encode_batch_params(std::vector{r}));
    EXPECT_FALSE(test::ok(res)) << bc.what;
  }
  EXPECT_EQ(test::scalar(c.get(), "SELECT count(*) FROM messages"), "0");
}

}  // namespace
}  // namespace ringcast::persistence
