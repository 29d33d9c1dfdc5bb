// The inbox's conversation statements against a real PostgreSQL: create (customers created on
// first sight), get, update (staff created on first sight), and the viewer's list with unread
// counts, filters and a keyset cursor that walks every row exactly once.
#include <gtest/gtest.h>

#include <set>
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

std::vector<inbox_conversation> rows_of(PGconn* c, const query& q) {
  auto res = run(c, q);
  auto rows = parse_inbox_conversations(res.get());
  if (!rows) throw std::runtime_error("conversation statement: " + test::error_of(res));
  return *rows;
}

// A create or open: its one row.
opened_conversation opened(PGconn* c, const query& q) {
  auto res = run(c, q);
  auto row = parse_opened_conversation(res.get());
  if (!row) throw std::runtime_error("create statement: " + test::error_of(res));
  return *row;
}

inbox_conversation create(PGconn* c, const std::string& sub, std::optional<std::string> name = std::nullopt,
                          std::optional<std::string> subject = std::nullopt, const std::string& channel = "website") {
  auto row = opened(c, create_conversation(sub, name, channel, subject));
  if (!row.created) throw std::runtime_error("create did not create");
  return row.conversation;
}

std::int64_t now_us(PGconn* c) {
  return std::stoll(scalar(c, "SELECT (extract(epoch FROM now()) * 1000000)::bigint"));
}

void expect_same(const inbox_conversation& a, const inbox_conversation& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.customer_id, b.customer_id);
  EXPECT_EQ(a.channel, b.channel);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_EQ(a.assigned_staff_id, b.assigned_staff_id);
  EXPECT_EQ(a.requires_human, b.requires_human);
  EXPECT_EQ(a.last_seq, b.last_seq);
  EXPECT_EQ(a.last_message_at_us, b.last_message_at_us);
  EXPECT_EQ(a.created_at_us, b.created_at_us);
  EXPECT_EQ(a.subject, b.subject);
}

TEST(inbox_conversations, create_then_get_round_trips_nasty_text) {
  auto c = test::fresh_migrated_connection();
  for (const auto& s : test::nasty_strings()) {
    auto made = create(c.get(), "sub " + s, "name " + s, s);
    EXPECT_TRUE(is_uuid(made.id)) << made.id;
    EXPECT_EQ(made.customer_id, "sub " + s);
    EXPECT_EQ(made.subject, s);
    EXPECT_EQ(made.channel, "website");
    EXPECT_EQ(made.status, "open");
    EXPECT_EQ(made.priority, 3);
    EXPECT_FALSE(made.assigned_staff_id);
    EXPECT_FALSE(made.requires_human);
    EXPECT_EQ(made.last_seq, 0);
    EXPECT_FALSE(made.last_message_at_us);
    EXPECT_LT(std::llabs(made.created_at_us - now_us(c.get())), 60'000'000);
    auto got = rows_of(c.get(), get_conversation(made.id));
    ASSERT_EQ(got.size(), 1u) << s;
    expect_same(got[0], made);
    EXPECT_EQ(scalar(c.get(), "SELECT name FROM customers WHERE id = (SELECT customer_id FROM conversations"
                              " WHERE id = '" + made.id + "')"),
              "name " + s);
  }
  EXPECT_TRUE(rows_of(c.get(), get_conversation("00000000-0000-4000-8000-000000000000")).empty());
}

TEST(inbox_conversations, a_customer_is_created_once_and_keeps_a_name_until_a_new_one_comes) {
  auto c = test::fresh_migrated_connection();
  auto first = create(c.get(), "cust-1", "Ann", "first");
  auto by_staff = create(c.get(), "cust-1", std::nullopt, "opened by staff", "email");  // staff know no name
  EXPECT_NE(first.id, by_staff.id);
  EXPECT_EQ(by_staff.customer_id, "cust-1");
  EXPECT_EQ(by_staff.channel, "email");
  EXPECT_FALSE(create(c.get(), "cust-2").subject);
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM customers"), "2");
  EXPECT_EQ(scalar(c.get(), "SELECT name FROM customers WHERE external_id = 'cust-1'"), "Ann");
  create(c.get(), "cust-1", "Ann B.");
  EXPECT_EQ(scalar(c.get(), "SELECT name || '/' || channel FROM customers WHERE external_id = 'cust-1'"),
            "Ann B./website");
  // A customer of another channel with the same external id is someone else.
  exec_ok(c.get(), "INSERT INTO customers (channel, external_id, name) VALUES ('sms', 'cust-3', 'phone')");
  create(c.get(), "cust-3", "web");
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM customers WHERE external_id = 'cust-3'"), "2");
}

TEST(inbox_conversations, a_create_whose_first_message_is_stored_is_a_retry_of_the_one_that_made_it) {
  auto c = test::fresh_migrated_connection();
  const first_message_key first{"customer", "cara", "hello-1"};
  auto made = opened(c.get(), create_conversation("cara", std::nullopt, "website", std::nullopt, first));
  ASSERT_TRUE(made.created);
  // Not a retry until the message is stored: the first attempt may have failed before its send.
  auto second = opened(c.get(), create_conversation("cara", std::nullopt, "website", std::nullopt, first));
  ASSERT_TRUE(second.created);
  persist_row row{made.conversation.id, "customer", "cara", "hello-1", "hello"};
  row.key = conversation_key::id;
  test::store_ok(c.get(), std::vector{row});
  auto retry = opened(c.get(), create_conversation("cara", std::nullopt, "website", std::nullopt, first));
  EXPECT_FALSE(retry.created);
  EXPECT_EQ(retry.conversation.id, made.conversation.id);
  EXPECT_EQ(retry.conversation.customer_id, made.conversation.customer_id);
  EXPECT_EQ(retry.conversation.last_seq, 1);
  // Another client id, another channel, or the same staff key for another customer: new ones.
  EXPECT_TRUE(opened(c.get(), create_conversation("cara", std::nullopt, "website", std::nullopt,
                                                  first_message_key{"customer", "cara", "hello-2"})).created);
  EXPECT_TRUE(opened(c.get(), create_conversation("cara", std::nullopt, "whatsapp", std::nullopt, first)).created);
  persist_row by_staff{made.conversation.id, "staff", "agent", "s-1", "hi"};
  by_staff.key = conversation_key::id;
  test::store_ok(c.get(), std::vector{by_staff});
  const first_message_key staff_first{"staff", "agent", "s-1"};
  EXPECT_FALSE(opened(c.get(), create_conversation("cara", std::nullopt, "website", std::nullopt, staff_first)).created);
  EXPECT_TRUE(opened(c.get(), create_conversation("dan", std::nullopt, "website", std::nullopt, staff_first)).created);
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM conversations"), "5");
}

TEST(inbox_conversations, update_changes_only_what_is_given_and_creates_staff_on_first_sight) {
  auto c = test::fresh_migrated_connection();
  auto conv = create(c.get(), "cust", "C", "help");
  auto one = [&](const conversation_change& ch) {
    auto rows = rows_of(c.get(), update_conversation(conv.id, ch));
    if (rows.size() != 1) throw std::runtime_error("update returned no row");
    return rows[0];
  };
  auto pending = one({.status = "pending"});
  EXPECT_EQ(pending.status, "pending");
  EXPECT_EQ(pending.priority, 3);
  EXPECT_FALSE(pending.assigned_staff_id);
  auto urgent = one({.priority = 1});
  EXPECT_EQ(urgent.status, "pending");
  EXPECT_EQ(urgent.priority, 1);

  for (const auto& s : test::nasty_strings()) {
    auto assigned = one({.assigned_staff = std::optional<std::string>("staff " + s)});
    EXPECT_EQ(assigned.assigned_staff_id, "staff " + s);
    EXPECT_EQ(assigned.customer_id, "cust");
    EXPECT_EQ(assigned.subject, "help");
    EXPECT_EQ(rows_of(c.get(), get_conversation(conv.id))[0].assigned_staff_id, "staff " + s);
  }
  auto staff_users = std::to_string(test::nasty_strings().size());
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM staff_users"), staff_users);
  // The same staff again: no new user; status, priority and assignment together.
  auto all = one({.status = "resolved", .priority = 5, .assigned_staff = std::optional<std::string>("staff NULL")});
  EXPECT_EQ(all.status, "resolved");
  EXPECT_EQ(all.priority, 5);
  EXPECT_EQ(all.assigned_staff_id, "staff NULL");
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM staff_users"), staff_users);
  // No change at all still answers the row; the assignment stays.
  EXPECT_EQ(one({}).assigned_staff_id, "staff NULL");
  auto unassigned = one({.assigned_staff = std::optional<std::string>()});
  EXPECT_FALSE(unassigned.assigned_staff_id);
  EXPECT_FALSE(rows_of(c.get(), get_conversation(conv.id))[0].assigned_staff_id);
  EXPECT_TRUE(rows_of(c.get(), update_conversation("00000000-0000-4000-8000-000000000000", {.status = "open"})).empty());
  // The database still refuses what the broker should have refused.
  EXPECT_FALSE(test::ok(run(c.get(), update_conversation(conv.id, {.status = "archived"}))));
  EXPECT_FALSE(test::ok(run(c.get(), update_conversation(conv.id, {.priority = 9}))));
}

conversation_page page_of(PGconn* c, reader_type viewer, const std::string& sub, const conversation_filter& f) {
  auto res = run(c, list_conversations(viewer, sub, f));
  auto page = parse_conversation_page(res.get(), f.limit);
  if (!page) throw std::runtime_error("list: " + test::error_of(res));
  return *page;
}

std::vector<std::string> ids_of(const conversation_page& p) {
  std::vector<std::string> out;
  for (const auto& c : p.conversations) out.push_back(c.id);
  return out;
}

// Every row of the list, page by page through the cursor.
std::vector<std::string> walk(PGconn* c, reader_type viewer, const std::string& sub, conversation_filter f) {
  std::vector<std::string> out;
  for (int pages = 0; pages < 1000; ++pages) {
    auto page = page_of(c, viewer, sub, f);
    auto ids = ids_of(page);
    out.insert(out.end(), ids.begin(), ids.end());
    if (!page.next_cursor) return out;
    EXPECT_EQ(int(page.conversations.size()), f.limit);
    f.after = parse_cursor(*page.next_cursor);
    if (!f.after) throw std::runtime_error("cursor does not parse: " + *page.next_cursor);
  }
  throw std::runtime_error("the cursor never ended");
}

TEST(inbox_conversations, the_list_orders_by_priority_then_activity_and_the_cursor_walks_it_once) {
  auto c = test::fresh_migrated_connection();
  // 30 conversations of 3 customers, priorities 1..5. Ten are created in one transaction, so
  // they share created_at (ties broken by id); others get messages at chosen times.
  std::vector<inbox_conversation> all;
  exec_ok(c.get(), "BEGIN");
  for (int i = 0; i < 10; ++i) all.push_back(create(c.get(), "cust-" + std::to_string(i % 3)));
  exec_ok(c.get(), "COMMIT");
  for (int i = 10; i < 30; ++i) all.push_back(create(c.get(), "cust-" + std::to_string(i % 3)));
  for (int i = 0; i < 30; ++i) {
    exec_ok(c.get(), "UPDATE conversations SET priority = " + std::to_string(1 + i % 5) +
                         (i % 4 == 0 ? ", last_message_at = now() + interval '" + std::to_string(i) + " seconds'" : "") +
                         " WHERE id = '" + all[std::size_t(i)].id + "'");
  }
  auto expected_sql = [&](const std::string& where) {
    auto res = exec_ok(c.get(), "SELECT c.id FROM conversations c LEFT JOIN customers cu ON cu.id = c.customer_id " +
                                    where + " ORDER BY priority, coalesce(last_message_at, c.created_at) DESC, c.id");
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(res.get()); ++i) out.push_back(PQgetvalue(res.get(), i, 0));
    return out;
  };
  auto everything = expected_sql("");
  ASSERT_EQ(everything.size(), 30u);
  EXPECT_EQ(ids_of(page_of(c.get(), reader_type::staff, "s", {.limit = 100})), everything);
  for (int limit : {1, 2, 3, 7, 29, 30}) {
    EXPECT_EQ(walk(c.get(), reader_type::staff, "s", {.limit = limit}), everything) << limit;
  }
  auto mine = expected_sql("WHERE cu.external_id = 'cust-1'");
  EXPECT_EQ(mine.size(), 10u);
  EXPECT_EQ(walk(c.get(), reader_type::customer, "cust-1", {.limit = 3}), mine);
  EXPECT_TRUE(walk(c.get(), reader_type::customer, "nobody", {.limit = 3}).empty());
  // A staff sub is not a customer: a customer token with a staff's sub sees only its own.
  EXPECT_TRUE(walk(c.get(), reader_type::customer, "s", {.limit = 3}).empty());

  // Filters: status, assigned to me (a customer never sees anything assigned to "them").
  rows_of(c.get(), update_conversation(all[3].id, {.status = "pending", .assigned_staff = std::optional<std::string>("s")}));
  rows_of(c.get(), update_conversation(all[4].id, {.assigned_staff = std::optional<std::string>("s")}));
  rows_of(c.get(), update_conversation(all[5].id, {.assigned_staff = std::optional<std::string>("other")}));
  EXPECT_EQ(walk(c.get(), reader_type::staff, "s", {.status = "pending", .limit = 1}),
            std::vector<std::string>{all[3].id});
  auto assigned = walk(c.get(), reader_type::staff, "s", {.assigned_to_me = true, .limit = 1});
  EXPECT_EQ(std::set<std::string>(assigned.begin(), assigned.end()), (std::set<std::string>{all[3].id, all[4].id}));
  EXPECT_EQ(walk(c.get(), reader_type::staff, "s", {.status = "open", .assigned_to_me = true, .limit = 5}),
            std::vector<std::string>{all[4].id});
  EXPECT_TRUE(walk(c.get(), reader_type::customer, "cust-0", {.assigned_to_me = true, .limit = 5}).empty());
  EXPECT_EQ(walk(c.get(), reader_type::staff, "s", {.status = "open", .limit = 4}).size(), 29u);
  EXPECT_TRUE(walk(c.get(), reader_type::staff, "s", {.status = "closed", .limit = 4}).empty());

  // The row is the conversation object; the cursor's page ends where it says.
  auto first = page_of(c.get(), reader_type::staff, "s", {.limit = 1});
  ASSERT_EQ(first.conversations.size(), 1u);
  auto got = rows_of(c.get(), get_conversation(first.conversations[0].id));
  expect_same(first.conversations[0], got[0]);
}

TEST(inbox_conversations, the_list_limit_is_clamped_to_one_hundred) {
  auto c = test::fresh_migrated_connection();
  exec_ok(c.get(), "INSERT INTO conversations (channel) SELECT 'website' FROM generate_series(1, 105)");
  auto big = page_of(c.get(), reader_type::staff, "s", {.limit = 1000});
  EXPECT_EQ(big.conversations.size(), 100u);
  EXPECT_TRUE(big.next_cursor);
  EXPECT_FALSE(big.conversations[0].customer_id);  // bench rooms have no customer
  auto tiny = page_of(c.get(), reader_type::staff, "s", {.limit = 0});
  EXPECT_EQ(tiny.conversations.size(), 1u);
  EXPECT_EQ(walk(c.get(), reader_type::staff, "s", {.limit = 100}).size(), 105u);
}

TEST(inbox_conversations, list_rows_carry_the_viewers_unread_count) {
  auto c = test::fresh_migrated_connection();
  auto conv = create(c.get(), "cust", "Cust");
  std::vector<persist_row> rows;
  auto msg = [&](const std::string& type, const std::string& sender, const std::string& client) {
    persist_row r{conv.id, type, sender, client, "hello"};
    r.key = conversation_key::id;
    rows.push_back(r);
  };
  msg("customer", "cust", "c1");
  msg("customer", "cust", "c2");
  msg("staff", "s1", "s1-1");
  msg("ai", "bot", "a1");
  msg("staff", "s2", "s2-1");
  test::store_ok(c.get(), rows);
  auto unread_for = [&](reader_type viewer, const std::string& sub) {
    auto page = page_of(c.get(), viewer, sub, {.limit = 10});
    for (const auto& row : page.conversations)
      if (row.id == conv.id) return row.unread;
    throw std::runtime_error("not listed");
  };
  EXPECT_EQ(unread_for(reader_type::customer, "cust"), 3);
  EXPECT_EQ(unread_for(reader_type::staff, "s1"), 4);  // another staff user's message counts
  EXPECT_EQ(unread_for(reader_type::staff, "s3"), 5);
  ASSERT_TRUE(test::ok(run(c.get(), mark_read(conv.id, reader_type::staff, "s1", 4))));
  EXPECT_EQ(unread_for(reader_type::staff, "s1"), 1);
  auto listed = page_of(c.get(), reader_type::staff, "s1", {.limit = 10}).conversations[0];
  EXPECT_EQ(listed.last_seq, 5);
  ASSERT_TRUE(listed.last_message_at_us);
  EXPECT_GE(*listed.last_message_at_us, listed.created_at_us);
}

TEST(inbox_conversations, channel_customers_are_found_by_channel_and_named_channel_colon_id) {
  auto c = test::fresh_migrated_connection();
  auto open = [&](const std::string& channel, const std::string& id, customer_details d = {}) {
    auto rows = std::vector{opened(c.get(), open_conversation({channel, id}, d, channel, std::nullopt)).conversation};
    if (rows.size() != 1) throw std::runtime_error("open returned no row");
    return rows[0];
  };
  auto sms = open("sms", "+15550100", {.name = "Sam", .phone = "+15550100"});
  EXPECT_EQ(sms.customer_id, "sms:+15550100");
  EXPECT_EQ(sms.customer_channel, "sms");
  EXPECT_EQ(open("sms", "+15550100").customer_id, "sms:+15550100");
  EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM customers WHERE channel = 'sms'"), "1");
  EXPECT_EQ(scalar(c.get(), "SELECT name || ' ' || phone FROM customers WHERE channel = 'sms'"), "Sam +15550100");
  // A website customer whose sub looks like the SMS customer's id is another customer.
  auto lookalike = create(c.get(), "sms:+15550100");
  EXPECT_EQ(lookalike.customer_id, "sms:+15550100");
  EXPECT_EQ(lookalike.customer_channel, "website");
  auto got = rows_of(c.get(), get_conversation(sms.id));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].customer_channel, "sms");
  auto mine = page_of(c.get(), reader_type::customer, "sms:+15550100", {.limit = 10});
  ASSERT_EQ(mine.conversations.size(), 1u);
  EXPECT_EQ(mine.conversations[0].id, lookalike.id);
  ASSERT_TRUE(test::ok(run(c.get(), ensure_customer({"website", "v-1"}, {.name = "V"}))));
  EXPECT_EQ(scalar(c.get(), "SELECT name FROM customers WHERE external_id = 'v-1'"), "V");
}

TEST(inbox_conversations, the_list_filters_by_channel_assignment_and_requires_human) {
  auto c = test::fresh_migrated_connection();
  auto web = create(c.get(), "w");
  auto mail = opened(c.get(), open_conversation({"email", "a@b.c"}, {}, "email", std::nullopt)).conversation;
  conversation_change assign;
  assign.assigned_staff = std::optional<std::string>("s1");
  assign.requires_human = true;
  rows_of(c.get(), update_conversation(mail.id, assign));
  auto ids = [&](conversation_filter f) {
    std::set<std::string> out;
    for (const auto& row : page_of(c.get(), reader_type::staff, "s1", f).conversations) out.insert(row.id);
    return out;
  };
  EXPECT_EQ(ids({.channel = "email"}), std::set<std::string>{mail.id});
  EXPECT_EQ(ids({.channel = "website"}), std::set<std::string>{web.id});
  EXPECT_EQ(ids({.assigned = true}), std::set<std::string>{mail.id});
  EXPECT_EQ(ids({.assigned = false}), std::set<std::string>{web.id});
  EXPECT_EQ(ids({.requires_human = true}), std::set<std::string>{mail.id});
  EXPECT_EQ(ids({.requires_human = false}), std::set<std::string>{web.id});
  EXPECT_EQ(ids({}).size(), 2u);
}

TEST(inbox_conversations, cursors_round_trip_and_anything_else_is_refused) {
  conversation_cursor cur{2, 1712345678901234, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"};
  auto text = to_string(cur);
  auto back = parse_cursor(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->priority, 2);
  EXPECT_EQ(back->activity_at_us, 1712345678901234);
  EXPECT_EQ(back->id, cur.id);
  EXPECT_TRUE(parse_cursor("5.-1.0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"));
  for (std::string bad : {"", "2", "2.", "0.1.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                          "6.1.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "2..0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                          "2.x.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "2.1.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4",
                          "2.1.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'", "2.1.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4g",
                          "2.99999999999999999999.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                          "2.1.0a1b2c3d04e5f-4a6b-8c7d-9e0f1a2b3c4d", "12.1.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                          " 2.1.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"})
    EXPECT_FALSE(parse_cursor(bad)) << bad;
  for (const auto& s : test::nasty_strings()) EXPECT_FALSE(parse_cursor(s)) << s;
  EXPECT_TRUE(is_uuid("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"));
  EXPECT_FALSE(is_uuid("0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d"));  // PostgreSQL would take it, but we do not
  EXPECT_FALSE(is_uuid("{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4}"));
  EXPECT_TRUE(is_conversation_status("resolved"));
  EXPECT_FALSE(is_conversation_status("Resolved"));
  EXPECT_TRUE(is_channel("sms"));
  EXPECT_FALSE(is_channel("fax"));
}

TEST(inbox_conversations, parsers_reject_results_of_another_shape) {
  auto c = test::fresh_migrated_connection();
  EXPECT_FALSE(parse_inbox_conversations(nullptr));
  EXPECT_FALSE(parse_conversation_page(nullptr, 10));
  EXPECT_FALSE(parse_inbox_conversations(exec_ok(c.get(), "SELECT 1").get()));
  auto failed = run(c.get(), get_conversation("not a uuid"));
  EXPECT_FALSE(test::ok(failed));
  EXPECT_FALSE(parse_inbox_conversations(failed.get()));
  auto conv = create(c.get(), "x");
  // A list row is not a get row and the other way round.
  EXPECT_FALSE(parse_conversation_page(run(c.get(), get_conversation(conv.id)).get(), 10));
  EXPECT_FALSE(parse_inbox_conversations(run(c.get(), list_conversations(reader_type::staff, "s", {})).get()));
  // A NULL where the object has no optional field.
  auto null_status = exec_ok(c.get(), "SELECT gen_random_uuid(), NULL, 'website', NULL, 3, NULL, false, 0::bigint,"
                                      " NULL, 0::bigint, NULL");
  EXPECT_FALSE(parse_inbox_conversations(null_status.get()));
  auto bad_priority = exec_ok(c.get(), "SELECT gen_random_uuid(), NULL, 'website', 'open', 'high', NULL, false,"
                                       " 0::bigint, NULL, 0::bigint, NULL");
  EXPECT_FALSE(parse_inbox_conversations(bad_priority.get()));
}

}  // namespace
}  // namespace ringcast::persistence
