// The knowledge base's one-entry statements (the REST API's) and the metrics summary's shape,
// against a real PostgreSQL.
#include <gtest/gtest.h>

#include "persistence/knowledge_base.h"
#include "persistence/metrics_summary.h"
#include "tests/persistence/pg_test_support.h"

namespace ringcast::persistence {
namespace {

using test::run;

std::vector<knowledge_row> rows_of(PGconn* c, const query& q) {
  auto res = run(c, q);
  auto rows = parse_knowledge(res.get());
  if (!rows) throw std::runtime_error("knowledge statement: " + test::error_of(res));
  return *rows;
}

TEST(knowledge_base, entries_are_inserted_replaced_and_deleted_one_at_a_time) {
  auto c = test::fresh_migrated_connection();
  knowledge_row row;
  row.question = "Where is my parcel?";
  row.answer = "Track it under Orders.";
  row.keywords = {"parcel", "track order"};
  auto made = rows_of(c.get(), insert_knowledge(row));
  ASSERT_EQ(made.size(), 1u);
  EXPECT_GT(made[0].id, 0);
  EXPECT_EQ(made[0].keywords, row.keywords);
  EXPECT_FALSE(made[0].intent);
  // The same (language, question) again is a unique violation.
  auto dup = run(c.get(), insert_knowledge(row));
  EXPECT_STREQ(PQresultErrorField(dup.get(), PG_DIAG_SQLSTATE), "23505");
  row.id = made[0].id;
  row.answer = "See Orders > Track.";
  row.intent = "shipping";
  row.keywords.clear();
  auto changed = rows_of(c.get(), update_knowledge(row));
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].answer, "See Orders > Track.");
  EXPECT_EQ(changed[0].intent, "shipping");
  EXPECT_TRUE(changed[0].keywords.empty());
  row.id = made[0].id + 100;
  EXPECT_TRUE(rows_of(c.get(), update_knowledge(row)).empty());
  EXPECT_EQ(rows_of(c.get(), delete_knowledge(made[0].id)).size(), 1u);
  EXPECT_TRUE(rows_of(c.get(), delete_knowledge(made[0].id)).empty());
  EXPECT_TRUE(rows_of(c.get(), all_knowledge()).empty());
}

TEST(metrics_summary, an_empty_database_gives_zeros_and_nulls) {
  auto c = test::fresh_migrated_connection();
  auto res = run(c.get(), metrics_summary(60));
  auto text = parse_metrics_summary(res.get());
  ASSERT_TRUE(text) << test::error_of(res);
  // json_build_object's spacing: "key" : value.
  for (const char* part : {"\"windowMinutes\" : 60", "\"requiresHuman\" : 0", "\"averageMs\" : null",
                           "\"rate\" : null", "\"messagesByChannel\" : {}", "\"pending\" : 0"})
    EXPECT_NE(text->find(part), std::string::npos) << part << " in " << *text;
  EXPECT_FALSE(parse_metrics_summary(run(c.get(), all_knowledge()).get()));
}

}  // namespace
}  // namespace ringcast::persistence
