// Migrations against a real PostgreSQL: from empty, again (nothing happens), in steps, from two
// brokers at once, and a failure that must leave the database untouched.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/persistence/pg_test_support.h"

namespace ringcast::persistence {
namespace {

using test::connect;
using test::exec_ok;
using test::scalar;

constexpr const char* all_tables[] = {"customers",     "staff_users",     "conversations",
                                      "messages",      "read_receipts",   "delivery_status",
                                      "presence",      "ai_jobs",         "metrics",  "knowledge_entries",
                                      "schema_migrations"};

bool table_exists(PGconn* c, const std::string& name) {
  return scalar(c, "SELECT to_regclass('" + name + "') IS NOT NULL") == "t";
}

std::string applied_versions(PGconn* c) {
  return scalar(c, "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations");
}

// Everything that identifies the schema: relations, constraints and recorded migrations.
std::string schema_fingerprint(PGconn* c) {
  return scalar(c,
                "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                "        WHERE n.nspname = 'public')::text || '/' ||"
                "       (SELECT count(*) FROM pg_constraint)::text || '/' ||"
                "       (SELECT string_agg(version || '@' || applied_at, ',' ORDER BY version)"
                "        FROM schema_migrations)");
}

// "1,2,...,latest": every migration, as applied_versions() lists them.
std::string all_versions() {
  std::string out;
  for (const auto& m : migrations()) out += (out.empty() ? "" : ",") + std::to_string(m.version);
  return out;
}

TEST(migrations, versions_are_increasing_from_one) {
  int expected = 1;
  for (const auto& m : migrations()) EXPECT_EQ(m.version, expected++);
  EXPECT_EQ(latest_schema_version(), expected - 1);
}

TEST(migrations, apply_to_an_empty_database) {
  auto c = connect(test::fresh_database());
  EXPECT_EQ(schema_version(c.get()), 0);
  apply_migrations(c.get());
  EXPECT_EQ(schema_version(c.get()), latest_schema_version());
  EXPECT_EQ(applied_versions(c.get()), all_versions());
  for (const char* t : all_tables) EXPECT_TRUE(table_exists(c.get(), t)) << t;
  // gen_random_uuid() defaults work without an extension on PostgreSQL 13+.
  EXPECT_EQ(scalar(c.get(), "INSERT INTO conversations DEFAULT VALUES RETURNING length(id::text)"),
            "36");
}

TEST(migrations, second_apply_is_a_no_op) {
  auto c = connect(test::fresh_database());
  apply_migrations(c.get());
  auto before = schema_fingerprint(c.get());
  apply_migrations(c.get());
  apply_migrations(c.get());
  EXPECT_EQ(schema_fingerprint(c.get()), before);
  EXPECT_EQ(schema_version(c.get()), latest_schema_version());
}

TEST(migrations, applies_only_the_missing_versions) {
  auto c = connect(test::fresh_database());
  apply_migrations(c.get(), 1);
  EXPECT_EQ(schema_version(c.get()), 1);
  EXPECT_TRUE(table_exists(c.get(), "messages"));
  EXPECT_FALSE(table_exists(c.get(), "read_receipts"));
  auto first_applied = scalar(c.get(), "SELECT applied_at FROM schema_migrations WHERE version = 1");
  apply_migrations(c.get());
  EXPECT_EQ(applied_versions(c.get()), all_versions());
  EXPECT_TRUE(table_exists(c.get(), "ai_jobs"));
  EXPECT_EQ(scalar(c.get(), "SELECT applied_at FROM schema_migrations WHERE version = 1"),
            first_applied);
}

// Two brokers start together: both block on the advisory lock (held here by a third session), then
// race for it when it is released. One migrates, the other must find nothing to do.
TEST(migrations, concurrent_apply_from_two_connections_is_safe) {
  auto url = test::fresh_database();
  auto holder = connect(url);
  exec_ok(holder.get(), "BEGIN");
  exec_ok(holder.get(), "SELECT pg_advisory_xact_lock(" + std::to_string(migration_lock_key) + ")");

  std::string errors[2];
  std::thread brokers[2];
  for (int i = 0; i < 2; ++i) {
    brokers[i] = std::thread([&, i] {
      try {
        auto c = connect(url);
        apply_migrations(c.get());
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (scalar(holder.get(), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") !=
             "2" &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(scalar(holder.get(), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"),
            "2");
  exec_ok(holder.get(), "COMMIT");
  for (auto& t : brokers) t.join();

  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  EXPECT_EQ(applied_versions(holder.get()), all_versions());
}

TEST(migrations, a_failure_reports_the_server_message_and_changes_nothing) {
  auto c = connect(test::fresh_database());
  // A table in the way of migration 1, as a foreign application might have left it.
  exec_ok(c.get(), "CREATE TABLE staff_users (x int)");
  try {
    apply_migrations(c.get());
    FAIL() << "apply_migrations succeeded";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("migration 1"), std::string::npos) << what;
    EXPECT_NE(what.find("relation \"staff_users\" already exists"), std::string::npos) << what;
  }
  EXPECT_EQ(schema_version(c.get()), 0);
  EXPECT_FALSE(table_exists(c.get(), "customers"));
  EXPECT_EQ(PQtransactionStatus(c.get()), PQTRANS_IDLE);  // rolled back, connection usable
}

// Version 4 on a database that already holds version 3 rows: read marks get a delivered mark at
// least as high, activity falls back to the creation time, staff known by e-mail stay valid.
TEST(migrations, version_4_upgrades_existing_rows) {
  auto c = connect(test::fresh_database());
  apply_migrations(c.get(), 3);
  exec_ok(c.get(), "INSERT INTO staff_users (email, display_name) VALUES ('a@example.com', 'A')");
  auto conv = scalar(c.get(), "INSERT INTO conversations (external_key, last_seq) VALUES ('k', 9) RETURNING id");
  exec_ok(c.get(), "INSERT INTO read_receipts (conversation_id, reader_type, reader_id, last_read_seq)"
                   " VALUES ('" + conv + "', 'staff', 's', 5)");
  apply_migrations(c.get());
  EXPECT_EQ(schema_version(c.get()), latest_schema_version());
  EXPECT_EQ(scalar(c.get(), "SELECT last_delivered_seq FROM read_receipts"), "5");
  EXPECT_EQ(scalar(c.get(), "SELECT (activity_at = created_at AND last_message_at IS NULL AND subject IS NULL)::text"
                            " FROM conversations"),
            "true");
  exec_ok(c.get(), "UPDATE conversations SET last_message_at = created_at + interval '1 hour'");
  EXPECT_EQ(scalar(c.get(), "SELECT (activity_at = last_message_at)::text FROM conversations"), "true");
  EXPECT_EQ(scalar(c.get(), "SELECT external_id IS NULL FROM staff_users"), "t");
  exec_ok(c.get(), "INSERT INTO staff_users (external_id) VALUES ('sub-1')");  // no e-mail, no name
  auto fails = [&](const std::string& sql) {
    return PQresultStatus(test::pg_result(PQexec(c.get(), sql.c_str())).get()) == PGRES_FATAL_ERROR;
  };
  EXPECT_TRUE(fails("INSERT INTO staff_users (external_id) VALUES ('sub-1')"));
  EXPECT_TRUE(fails("UPDATE read_receipts SET last_delivered_seq = 4"));  // below the read mark
  EXPECT_TRUE(fails("UPDATE conversations SET activity_at = now()"));      // generated
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM messages WHERE sender_name IS NOT NULL"), "0");
}

TEST(migrations, a_closed_connection_is_an_error) {
  PGconn* c = PQconnectdb("host=127.0.0.1 port=1 connect_timeout=1");
  EXPECT_THROW(apply_migrations(c), std::runtime_error);
  PQfinish(c);
}

TEST(migrations, check_constraints_guard_the_enumerations) {
  auto c = test::fresh_migrated_connection();
  auto fails = [&](const std::string& sql) {
    return PQresultStatus(test::pg_result(PQexec(c.get(), sql.c_str())).get()) ==
           PGRES_FATAL_ERROR;
  };
  EXPECT_TRUE(fails("INSERT INTO conversations (channel) VALUES ('fax')"));
  EXPECT_TRUE(fails("INSERT INTO conversations (status) VALUES ('archived')"));
  EXPECT_TRUE(fails("INSERT INTO conversations (priority) VALUES (6)"));
  EXPECT_TRUE(fails("INSERT INTO conversations (priority) VALUES (0)"));
  EXPECT_FALSE(fails("INSERT INTO conversations (channel, status, priority) VALUES ('whatsapp', 'pending', 1)"));
  EXPECT_TRUE(fails("INSERT INTO ai_jobs (conversation_id, status)"
                    " SELECT id, 'waiting' FROM conversations LIMIT 1"));
  EXPECT_TRUE(fails("INSERT INTO presence (user_type, user_id, status) VALUES ('staff', 's', 'busy')"));
  EXPECT_TRUE(fails("INSERT INTO conversations (external_key) VALUES ('k'), ('k')"));
}

}  // namespace
}  // namespace ringcast::persistence
