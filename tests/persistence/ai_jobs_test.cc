// AI jobs are created and finished by the group-commit statements themselves: a customer's
// message that wants an answer gets a job in the transaction that stores it (only when its
// conversation has no human), and the AI's reply finishes its job in the transaction that stores
// the reply. So a job exists exactly when its message does, and is finished exactly when its
// reply exists, whatever crashes in between.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "persistence/ai_jobs.h"
#include "persistence/inbox_conversations.h"
#include "tests/persistence/pg_test_support.h"

namespace ringcast::persistence {
namespace {

using test::exec_ok;
using test::scalar;
using test::store_ok;

using test::new_conversation;

persist_row customer_message(const std::string& conversation, const std::string& client_id, bool urgent = false) {
  persist_row r{conversation, "customer", "cust", client_id, "where is my order?"};
  r.key = conversation_key::id;
  r.wants_ai = true;
  r.urgent = urgent;
  return r;
}

persist_row ai_message(const std::string& conversation, std::int64_t job, const std::string& outcome) {
  persist_row r{conversation, "ai", "assistant", "ai-job-" + std::to_string(job), "It ships tomorrow."};
  r.key = conversation_key::id;
  r.ai = ai_reply{0.875f, "shipping", 42, job, outcome, 1200};
  return r;
}

TEST(ai_jobs, a_customer_message_in_a_conversation_without_a_human_creates_one_job) {
  auto c = test::fresh_migrated_connection();
  const auto conv = new_conversation(c.get());
  auto answers = store_ok(c.get(), std::vector<persist_row>{customer_message(conv, "m1")});
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_GT(answers[0].ai_job, 0);
  EXPECT_EQ(answers[0].ai_priority, 3);  // the conversation's
  EXPECT_EQ(scalar(c.get(), "SELECT status || ',' || priority || ',' || (message_id = '" + answers[0].id +
                                "')::text || ',' || (deadline_at > now())::text FROM ai_jobs"),
            "pending,3,true,true");
  // The retry of the same send is the same message: no second job, and its answer names none.
  auto again = store_ok(c.get(), std::vector<persist_row>{customer_message(conv, "m1")});
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].ai_job, 0);
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM ai_jobs"), "1");
}

TEST(ai_jobs, urgent_messages_get_priority_one) {
  auto c = test::fresh_migrated_connection();
  const auto conv = new_conversation(c.get());
  auto answers = store_ok(c.get(), std::vector<persist_row>{customer_message(conv, "u1", true)});
  EXPECT_EQ(answers[0].ai_priority, 1);
  EXPECT_EQ(scalar(c.get(), "SELECT priority FROM ai_jobs"), "1");
}

TEST(ai_jobs, no_job_when_staff_is_assigned_a_human_is_required_or_nobody_asked) {
  auto c = test::fresh_migrated_connection();
  const auto assigned = new_conversation(c.get(), "a");
  const auto escalated = new_conversation(c.get(), "b");
  const auto plain = new_conversation(c.get(), "c");
  conversation_change assign;
  assign.assigned_staff = std::optional<std::string>("agent-1");
  ASSERT_TRUE(test::ok(test::run(c.get(), update_conversation(assigned, assign))));
  exec_ok(c.get(), "UPDATE conversations SET requires_human = true WHERE id = '" + escalated + "'");
  auto staff = customer_message(plain, "s1");
  staff.sender_type = "staff";
  staff.wants_ai = false;
  auto answers = store_ok(c.get(), std::vector<persist_row>{customer_message(assigned, "x1"),
                                                            customer_message(escalated, "x2"), staff});
  for (const auto& a : answers) EXPECT_EQ(a.ai_job, 0);
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM ai_jobs"), "0");
}

TEST(ai_jobs, the_reply_finishes_its_job_in_the_same_transaction_and_keeps_its_ai_fields) {
  auto c = test::fresh_migrated_connection();
  const auto conv = new_conversation(c.get());
  const auto job = store_ok(c.get(), std::vector<persist_row>{customer_message(conv, "m1")})[0].ai_job;
  ASSERT_GT(job, 0);
  auto reply = store_ok(c.get(), std::vector<persist_row>{ai_message(conv, job, "answered")});
  EXPECT_EQ(reply[0].seq, 2);
  EXPECT_EQ(reply[0].ai_job, 0);  // an AI message never asks for another answer
  EXPECT_EQ(scalar(c.get(), "SELECT status || ',' || outcome || ',' || response_ms || ',' ||"
                            " (completed_at IS NOT NULL)::text FROM ai_jobs"),
            "completed,answered,1200,true");
  EXPECT_EQ(scalar(c.get(), "SELECT confidence || ',' || intent || ',' || processing_time_ms FROM messages"
                            " WHERE sender_type = 'ai'"),
            "0.875,shipping,42");
  // Answering the same job again (a retry after a crash) stores nothing and changes nothing.
  auto twice = store_ok(c.get(), std::vector<persist_row>{ai_message(conv, job, "fallback")});
  EXPECT_TRUE(twice[0].duplicate);
  EXPECT_EQ(scalar(c.get(), "SELECT outcome FROM ai_jobs"), "answered");
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM messages WHERE sender_type = 'ai'"), "1");
}

TEST(ai_jobs, a_failed_job_is_marked_failed) {
  auto c = test::fresh_migrated_connection();
  const auto conv = new_conversation(c.get());
  const auto job = store_ok(c.get(), std::vector<persist_row>{customer_message(conv, "m1")})[0].ai_job;
  store_ok(c.get(), std::vector<persist_row>{ai_message(conv, job, "failed")});
  EXPECT_EQ(scalar(c.get(), "SELECT status || ',' || outcome FROM ai_jobs"), "failed,failed");
}

TEST(ai_jobs, old_finished_jobs_are_deleted_in_batches_and_open_ones_never) {
  auto c = test::fresh_migrated_connection();
  const auto conv = new_conversation(c.get());
  std::vector<persist_row> rows;
  for (int i = 0; i < 5; ++i) rows.push_back(customer_message(conv, "m" + std::to_string(i)));
  store_ok(c.get(), rows);
  // Three finished 8 days ago, one finished yesterday, one still open.
  exec_ok(c.get(), "UPDATE ai_jobs SET status = 'completed', outcome = 'answered', completed_at = now() - interval '8 days'"
                   " WHERE id IN (SELECT id FROM ai_jobs ORDER BY id LIMIT 3)");
  exec_ok(c.get(), "UPDATE ai_jobs SET status = 'failed', outcome = 'failed', completed_at = now() - interval '1 day'"
                   " WHERE id = (SELECT id FROM ai_jobs ORDER BY id OFFSET 3 LIMIT 1)");
  const std::int64_t week = 7 * 24 * 3600;
  auto first = test::run(c.get(), delete_finished_ai_jobs(week, 2));
  ASSERT_TRUE(test::ok(first)) << test::error_of(first);
  EXPECT_STREQ(PQcmdTuples(first.get()), "2");
  auto second = test::run(c.get(), delete_finished_ai_jobs(week, 2));
  EXPECT_STREQ(PQcmdTuples(second.get()), "1");
  auto third = test::run(c.get(), delete_finished_ai_jobs(week, 2));
  EXPECT_STREQ(PQcmdTuples(third.get()), "0");
  EXPECT_EQ(scalar(c.get(), "SELECT string_agg(status, ',' ORDER BY id) FROM ai_jobs"), "failed,pending");
}

TEST(ai_jobs, open_jobs_come_back_with_their_message_and_time_left) {
  auto c = test::fresh_migrated_connection();
  const auto conv = new_conversation(c.get());
  store_ok(c.get(), std::vector<persist_row>{customer_message(conv, "m1"), customer_message(conv, "m2")});
  exec_ok(c.get(), "UPDATE ai_jobs SET deadline_at = now() - interval '1 second' WHERE id = (SELECT min(id) FROM ai_jobs)");
  auto r = test::run(c.get(), open_ai_jobs());
  auto jobs = parse_open_ai_jobs(r.get());
  ASSERT_TRUE(jobs);
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].conversation, conv);
  EXPECT_EQ((*jobs)[0].seq, 1);
  EXPECT_EQ((*jobs)[0].content, "where is my order?");
  EXPECT_LT((*jobs)[0].left_ms, 0);
  EXPECT_GT((*jobs)[1].left_ms, 4000);
  // A human took the conversation: its open jobs are cancelled at start.
  exec_ok(c.get(), "UPDATE conversations SET requires_human = true");
  ASSERT_TRUE(test::ok(test::run(c.get(), cancel_moot_ai_jobs())));
  EXPECT_EQ(scalar(c.get(), "SELECT string_agg(outcome, ',') FROM ai_jobs"), "cancelled,cancelled");
}

}  // namespace
}  // namespace ringcast::persistence
