// The group-commit writer on real shards: two reactor shards, each with its own pg_connection and
// batch_writer pointed at a real PostgreSQL, submitting from shard tasks the way the broker does.
// Checks that writes share transactions, that every answer is the stored row with seq gapless in
// submission order, and that a database outage loses nothing, duplicates nothing and refuses new
// writes once the backlog is full.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "persistence/batch_writer.h"
#include "persistence/pg_connection.h"
#include "reactor/server.h"
#include "tests/persistence/pg_test_support.h"

namespace ringcast::persistence {
namespace {

using namespace std::chrono_literals;
constexpr unsigned shards = 2;

class writer_app;
using command = std::function<void(writer_app&)>;

// What one shard did, written by that shard's thread under harness::m; the test thread reads it
// under the lock while the server runs and freely after it has stopped.
struct shard_log {
  std::vector<persist_row> rows;  // accepted writes, in submission order
  std::vector<std::optional<persist_result>> results;  // by position in `rows`
  std::size_t answered = 0;
  std::size_t refused = 0;                         // submit() returned false
  std::optional<std::size_t> backlog_at_refusal;   // backlog() when submit() first refused
  std::optional<std::size_t> backlog_at_last_accept_after_refusal;
  bool connected = false;
  std::size_t commands_done = 0;
  std::vector<command> commands;  // from the test thread, run on the shard
  writer_stats stats;             // copied when the shard stops
};

struct harness {
  std::mutex m;
  std::condition_variable cv;
  shard_log logs[shards];

  // Waits until pred() (called under the lock) holds; false on timeout.
  template <typename Pred>
  bool wait_for(Pred pred, std::chrono::seconds timeout = 60s) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, timeout, pred);
  }
  void send(unsigned shard, command c) {
    std::lock_guard lock(m);
    logs[shard].commands.push_back(std::move(c));
  }
  std::size_t accepted() const {
    std::size_t n = 0;
    for (const auto& l : logs) n += l.rows.size();
    return n;
  }
  std::size_t answered() const {
    std::size_t n = 0;
    for (const auto& l : logs) n += l.answered;
    return n;
  }
};

// The minimal shard_app: one connection and one writer per shard, no sockets. Commands from the
// test thread are picked up by a 1 ms timer and run as tasks the shard posts to itself.
class writer_app final : public reactor::shard_app {
 public:
  writer_app(reactor::shard& s, harness& h, const std::string& url, batch_writer::options opts)
      : shard_(s), h_(h), log_(h.logs[s.id()]) {
    pg_ = std::make_unique<pg_connection>(s, pg_connection::options{url, 20ms, 200ms}, [this](bool up) {
      if (writer_) writer_->on_connection(up);
      std::lock_guard lock(h_.m);
      log_.connected = up;
      h_.cv.notify_all();
    });
    writer_ = std::make_unique<batch_writer>(s, *pg_, opts);
    pg_->start();
    poll_commands();
  }

  ~writer_app() override {
    shard_.timers().cancel(poll_timer_);
    {
      std::lock_guard lock(h_.m);
      log_.stats = writer_->stats();
    }
    writer_.reset();  // its queued callbacks point into this app
    pg_.reset();
  }

  std::unique_ptr<reactor::connection_handler> on_accept(reactor::connection&) override { return nullptr; }
  batch_writer& writer() { return *writer_; }

  // Submits `n` writes, `chunk` per loop iteration (a task posted to this shard for the rest),
  // as client requests arriving over many reads would.
  void submit(std::size_t n, std::size_t chunk = 100) {
    const std::size_t now = std::min(n, chunk);
    for (std::size_t i = 0; i < now; ++i) submit_one();
    if (n > now) {
      shard_.post_guaranteed(shard_.id(), [this, rest = n - now, chunk](reactor::shard&) { submit(rest, chunk); });
    } else {
      std::lock_guard lock(h_.m);
      ++log_.commands_done;
      h_.cv.notify_all();
    }
  }

  // Submits the given rows now, in order, in one loop iteration.
  void submit_rows(const std::vector<persist_row>& rows, bool urgent = false) {
    for (const auto& r : rows) submit_row(r, urgent);
    std::lock_guard lock(h_.m);
    ++log_.commands_done;
    h_.cv.notify_all();
  }

 private:
  void submit_one() {
    const std::string me = "s" + std::to_string(shard_.id());
    // Three conversations per shard: the broker routes a conversation to one owner shard.
    submit_row({me + "-conv-" + std::to_string(next_ % 3), "customer", me + "-user",
                me + "-write-" + std::to_string(next_), "content " + std::to_string(next_) + " of " + me});
    ++next_;
  }

  void submit_row(persist_row row, bool urgent = false) {
    std::size_t index;
    {
      std::lock_guard lock(h_.m);
      index = log_.rows.size();
      log_.rows.push_back(row);
      log_.results.emplace_back();
    }
    const bool accepted = writer_->submit(
        std::move(row),
        [this, index](const persist_result& r) {
          std::lock_guard lock(h_.m);
          log_.results[index] = r;
          ++log_.answered;
          h_.cv.notify_all();
        },
        urgent);
    std::lock_guard lock(h_.m);
    if (accepted) {
      if (log_.refused) log_.backlog_at_last_accept_after_refusal = writer_->backlog();
      return;
    }
    log_.rows.pop_back();
    log_.results.pop_back();
    if (!log_.refused++) log_.backlog_at_refusal = writer_->backlog();
  }

  void poll_commands() {
    std::vector<command> todo;
    {
      std::lock_guard lock(h_.m);
      todo.swap(log_.commands);
    }
    for (auto& c : todo)
      shard_.post_guaranteed(shard_.id(), [c = std::move(c)](reactor::shard& s) { c(static_cast<writer_app&>(s.app())); });
    poll_timer_ = shard_.timers().schedule_after(1ms, [this] { poll_commands(); });
  }

  reactor::shard& shard_;
  harness& h_;
  shard_log& log_;
  std::unique_ptr<pg_connection> pg_;
  std::unique_ptr<batch_writer> writer_;
  reactor::timer_id poll_timer_{};
  std::size_t next_ = 0;
};

std::unique_ptr<reactor::server> start_shards(harness& h, const std::string& url, batch_writer::options opts) {
  reactor::server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.shards = shards;
  cfg.shard.ring_entries = 256;
  cfg.shard.recv_buffers = 16;
  auto srv = std::make_unique<reactor::server>(
      cfg, [&h, url, opts](reactor::shard& s) { return std::make_unique<writer_app>(s, h, url, opts); });
  srv->start();
  return srv;
}

// Every accepted write has one answer that is its stored row, the database holds each write exactly
// once, and each conversation is numbered 1..n without a gap in the order its shard submitted.
void expect_stored_exactly_once(PGconn* db, harness& h) {
  auto res = test::exec_ok(db,
                           "SELECT m.id, c.external_key, m.seq, m.sender_id, m.client_message_id, m.content,"
                           " (extract(epoch FROM m.created_at) * 1000000)::bigint, c.last_seq"
                           " FROM messages m JOIN conversations c ON c.id = m.conversation_id");
  struct stored {
    std::string conversation;
    std::int64_t seq;
    std::string sender_id, client_message_id, content;
    std::int64_t created_at_us, last_seq;
  };
  std::map<std::string, stored> by_id;
  std::set<std::string> client_ids;
  for (int i = 0; i < PQntuples(res.get()); ++i) {
    auto text = [&](int col) { return std::string(PQgetvalue(res.get(), i, col)); };
    by_id[text(0)] = {text(1), std::stoll(text(2)), text(3), text(4), text(5), std::stoll(text(6)), std::stoll(text(7))};
    client_ids.insert(text(4));
  }
  EXPECT_EQ(by_id.size(), h.accepted()) << "rows stored != writes accepted";
  EXPECT_EQ(client_ids.size(), by_id.size()) << "a write was stored twice";

  std::map<std::string, std::int64_t> next;  // per conversation: the seq its next write must have
  for (unsigned s = 0; s < shards; ++s) {
    const auto& log = h.logs[s];
    for (std::size_t i = 0; i < log.rows.size(); ++i) {
      const auto& row = log.rows[i];
      ASSERT_TRUE(log.results[i]) << "shard " << s << " write " << i << " never answered";
      const auto& r = *log.results[i];
      ASSERT_EQ(r.state, persist_result::status::ok) << r.error;
      auto it = by_id.find(r.answer.id);
      ASSERT_NE(it, by_id.end()) << "answer names no stored row: " << row.client_message_id;
      const auto& m = it->second;
      EXPECT_EQ(m.conversation, row.conversation);
      EXPECT_EQ(m.sender_id, row.sender_id);
      EXPECT_EQ(m.client_message_id, row.client_message_id);
      EXPECT_EQ(m.content, row.content);
      EXPECT_EQ(m.seq, r.answer.seq);
      EXPECT_EQ(m.created_at_us, r.answer.created_at_us);
      EXPECT_EQ(r.answer.seq, ++next[row.conversation]) << row.client_message_id;
    }
  }
  for (const auto& [id, m] : by_id) EXPECT_EQ(m.last_seq, next[m.conversation]) << m.conversation;
}

TEST(batch_writer, many_quick_writes_share_few_transactions) {
  const std::string url = test::fresh_database();
  auto db = test::connect(url);
  apply_migrations(db.get());
  harness h;
  auto srv = start_shards(h, url, batch_writer::options{});
  ASSERT_TRUE(h.wait_for([&] { return h.logs[0].connected && h.logs[1].connected; }, 30s));
  constexpr std::size_t per_shard = 2500;
  for (unsigned s = 0; s < shards; ++s) h.send(s, [](writer_app& app) { app.submit(per_shard); });
  const bool all = h.wait_for([&] { return h.answered() == shards * per_shard; });
  srv->stop();
  srv->join();
  ASSERT_TRUE(all) << h.answered() << " of " << shards * per_shard << " answered";

  EXPECT_EQ(h.accepted(), shards * per_shard);
  for (unsigned s = 0; s < shards; ++s) {
    const auto& st = h.logs[s].stats;
    EXPECT_EQ(st.rows, per_shard);
    EXPECT_LT(st.batches, per_shard / 10) << "shard " << s << ": writes did not share transactions";
    EXPECT_GT(st.largest_batch, 10u);
    EXPECT_EQ(st.resent_batches, 0u);
    EXPECT_EQ(st.refused, 0u);
  }
  expect_stored_exactly_once(db.get(), h);
}

TEST(batch_writer, with_max_batch_one_every_write_is_its_own_transaction) {
  const std::string url = test::fresh_database();
  auto db = test::connect(url);
  apply_migrations(db.get());
  harness h;
  batch_writer::options opts;
  opts.max_batch = 1;
  auto srv = start_shards(h, url, opts);
  ASSERT_TRUE(h.wait_for([&] { return h.logs[0].connected && h.logs[1].connected; }, 30s));
  constexpr std::size_t per_shard = 200;
  for (unsigned s = 0; s < shards; ++s) h.send(s, [](writer_app& app) { app.submit(per_shard); });
  const bool all = h.wait_for([&] { return h.answered() == shards * per_shard; });
  srv->stop();
  srv->join();
  ASSERT_TRUE(all) << h.answered() << " of " << shards * per_shard << " answered";

  for (unsigned s = 0; s < shards; ++s) {
    EXPECT_EQ(h.logs[s].stats.batches, per_shard);
    EXPECT_EQ(h.logs[s].stats.largest_batch, 1u);
  }
  expect_stored_exactly_once(db.get(), h);
}

// PostgreSQL stops while batches are in flight and more are queued, and starts again 2 s later.
// The in-flight batches are held on a table lock first, so they are certainly in flight (and
// uncommitted) when the server goes away.
TEST(batch_writer, a_database_outage_loses_and_duplicates_nothing) {
  test::postgres_cluster pg;  // its own cluster: this test stops it
  {
    auto c = test::connect(pg.url());
    apply_migrations(c.get());
  }
  harness h;
  batch_writer::options opts;
  opts.max_batch = 100;
  opts.max_backlog = 1000;
  auto srv = start_shards(h, pg.url(), opts);
  ASSERT_TRUE(h.wait_for([&] { return h.logs[0].connected && h.logs[1].connected; }, 30s));

  // Before: some writes commit normally.
  for (unsigned s = 0; s < shards; ++s) h.send(s, [](writer_app& app) { app.submit(200); });
  ASSERT_TRUE(h.wait_for([&] { return h.answered() == shards * 200; }));

  // Hold every writer's next batch on a lock, queue more behind it, then stop the server.
  auto locker = test::connect(pg.url());
  test::exec_ok(locker.get(), "BEGIN; LOCK TABLE conversations IN EXCLUSIVE MODE");
  for (unsigned s = 0; s < shards; ++s) h.send(s, [](writer_app& app) { app.submit(400); });
  {
    auto monitor = test::connect(pg.url());
    auto waiting = [&] {
      return std::stoul(test::scalar(monitor.get(), "SELECT count(*) FROM pg_stat_activity"
                                                     " WHERE wait_event_type = 'Lock' AND backend_type = 'client backend'"));
    };
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (waiting() < shards && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    ASSERT_GE(waiting(), shards) << "the writers' batches are not held on the lock";
  }
  ASSERT_TRUE(h.wait_for([&] { return h.logs[0].commands_done == 2 && h.logs[1].commands_done == 2; }));
  {
    std::lock_guard lock(h.m);
    EXPECT_EQ(h.answered(), shards * 200) << "a write committed through the lock";
  }
  auto outage_began = std::chrono::steady_clock::now();
  pg.stop();
  locker.reset();

  // During: writes keep arriving until the backlog is full, and past it.
  ASSERT_TRUE(h.wait_for([&] { return !h.logs[0].connected && !h.logs[1].connected; }, 10s));
  for (unsigned s = 0; s < shards; ++s) h.send(s, [](writer_app& app) { app.submit(1000, 50); });
  ASSERT_TRUE(h.wait_for([&] { return h.logs[0].commands_done == 3 && h.logs[1].commands_done == 3; }));
  {
    std::lock_guard lock(h.m);
    // Exact counts would race with fast shutdown: a batch freed by the locker's exit may commit in
    // the instant before its own session is terminated.
    for (const auto& log : h.logs) {
      EXPECT_GT(log.refused, 0u);
      EXPECT_EQ(log.backlog_at_refusal, opts.max_backlog);
      EXPECT_FALSE(log.backlog_at_last_accept_after_refusal) << "accepted a write past the backlog limit";
    }
  }
  std::this_thread::sleep_until(outage_began + 2s);
  pg.start();

  // After: everything accepted commits.
  const std::size_t accepted = [&] {
    std::lock_guard lock(h.m);
    return h.accepted();
  }();
  const bool all = h.wait_for([&] { return h.answered() == accepted; });
  srv->stop();
  srv->join();
  ASSERT_TRUE(all) << h.answered() << " of " << accepted << " answered";
  for (unsigned s = 0; s < shards; ++s) {
    const auto& st = h.logs[s].stats;
    EXPECT_GE(st.resent_batches, 1u) << "shard " << s;
    EXPECT_EQ(st.refused, h.logs[s].refused) << "shard " << s;
  }
  auto db = test::connect(pg.url());
  expect_stored_exactly_once(db.get(), h);
}


// A trigger that fails the first insert of a row whose content contains 'fail-once' with a
// serialization failure (a transient error the writer retries); the sequence outlives the
// rollback, so the retry passes.
void install_fail_once(PGconn* db) {
  test::exec_ok(db, R"sql(
    CREATE SEQUENCE fail_once_seq;
    CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.content LIKE '%fail-once%' AND nextval('fail_once_seq') = 1 THEN
        RAISE EXCEPTION 'injected failure' USING ERRCODE = '40001';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER fail_once BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION fail_once();
  )sql");
}

persist_row conv_row(const std::string& conversation, const std::string& id, const std::string& content = {}) {
  return {conversation, "customer", "orderly", id, content.empty() ? "content of " + id : content};
}

// Batch 1 (one row, sent at once) fails while batch 2 (three rows, two of them in the same
// conversation) is already pipelined behind it. Batch 2 must not commit ahead of batch 1's retry:
// seq follows submission order in every conversation.
TEST(batch_writer, a_failed_batch_and_the_one_pipelined_behind_it_keep_submission_order) {
  const std::string url = test::fresh_database();
  auto db = test::connect(url);
  apply_migrations(db.get());
  install_fail_once(db.get());
  harness h;
  batch_writer::options opts;
  opts.max_batch = 3;
  opts.max_in_flight = 2;
  opts.max_wait = std::chrono::seconds(1);  // batch 2 leaves because it is full, not by time
  auto srv = start_shards(h, url, opts);
  ASSERT_TRUE(h.wait_for([&] { return h.logs[0].connected; }, 30s));
  // r0 goes alone at once (nothing in flight); r1..r3 fill batch 2, sent while r0 is in flight;
  // r4 waits for a later batch.
  h.send(0, [](writer_app& app) {
    app.submit_rows({conv_row("order-a", "r0", "r0 fail-once"), conv_row("order-b", "r1"), conv_row("order-a", "r2"),
                     conv_row("order-a", "r3"), conv_row("order-b", "r4")});
  });
  const bool all = h.wait_for([&] { return h.answered() == 5; });
  srv->stop();
  srv->join();
  ASSERT_TRUE(all) << h.answered() << " of 5 answered";
  EXPECT_GE(std::stoll(test::scalar(db.get(), "SELECT last_value FROM fail_once_seq")), 2) << "no failure was injected";
  EXPECT_GE(h.logs[0].stats.resent_batches, 2u) << "the failed batch and the aborted one behind it";
  EXPECT_GE(h.logs[0].stats.batches, 4u);
  expect_stored_exactly_once(db.get(), h);  // includes: seq == submission order per conversation
}

// A row PostgreSQL refuses (here invalid UTF-8, which the broker would have refused before)
// fails alone: the others of its batch are retried one by one and commit in order, and the
// connection stays usable for the next batches.
TEST(batch_writer, a_row_the_database_refuses_fails_alone_and_the_others_commit_in_order) {
  const std::string url = test::fresh_database();
  auto db = test::connect(url);
  apply_migrations(db.get());
  harness h;
  batch_writer::options opts;
  opts.max_batch = 3;
  opts.max_wait = std::chrono::seconds(1);
  auto srv = start_shards(h, url, opts);
  ASSERT_TRUE(h.wait_for([&] { return h.logs[0].connected; }, 30s));
  h.send(0, [](writer_app& app) {
    app.submit_rows({conv_row("refuse", "g0"), conv_row("refuse", "bad", "not \xFF UTF-8"), conv_row("refuse", "g1"),
                     conv_row("refuse", "g2"), conv_row("refuse", "g3")});
  });
  ASSERT_TRUE(h.wait_for([&] { return h.answered() == 5; }));
  h.send(0, [](writer_app& app) { app.submit_rows({conv_row("refuse", "g4")}); });
  const bool all = h.wait_for([&] { return h.answered() == 6; });
  srv->stop();
  srv->join();
  ASSERT_TRUE(all);
  const auto& log = h.logs[0];
  std::int64_t expected_seq = 0;
  for (std::size_t i = 0; i < log.rows.size(); ++i) {
    ASSERT_TRUE(log.results[i]);
    const auto& r = *log.results[i];
    if (log.rows[i].client_message_id == "bad") {
      EXPECT_EQ(r.state, persist_result::status::failed);
      EXPECT_NE(r.error.find("UTF8"), std::string::npos) << r.error;
      continue;
    }
    ASSERT_EQ(r.state, persist_result::status::ok) << log.rows[i].client_message_id << ": " << r.error;
    EXPECT_EQ(r.answer.seq, ++expected_seq) << log.rows[i].client_message_id;
  }
  EXPECT_EQ(log.stats.failed, 1u);
  EXPECT_EQ(test::scalar(db.get(), "SELECT count(*) FROM messages"), "5");
}

// Inbox rows name their conversation by id. One naming a conversation that does not exist fails
// its batch on the foreign key; the writer retries the rows one by one, so only that row fails and
// the others commit in order with their sender names.
TEST(batch_writer, an_inbox_row_for_an_unknown_conversation_fails_alone) {
  const std::string url = test::fresh_database();
  auto db = test::connect(url);
  apply_migrations(db.get());
  const auto conv = test::scalar(db.get(), "INSERT INTO conversations DEFAULT VALUES RETURNING id");
  const std::string missing = "00000000-0000-4000-8000-000000000000";
  harness h;
  batch_writer::options opts;
  opts.max_batch = 4;
  opts.max_wait = std::chrono::seconds(1);
  auto srv = start_shards(h, url, opts);
  ASSERT_TRUE(h.wait_for([&] { return h.logs[0].connected; }, 30s));
  h.send(0, [conv, missing](writer_app& app) {
    std::vector<persist_row> rows;
    for (int i = 0; i < 5; ++i) {
      auto r = conv_row(i == 2 ? missing : conv, "id-" + std::to_string(i));
      r.key = conversation_key::id;
      r.sender_name = "Name " + std::to_string(i);
      rows.push_back(r);
    }
    app.submit_rows(rows);
  });
  const bool all = h.wait_for([&] { return h.answered() == 5; });
  srv->stop();
  srv->join();
  ASSERT_TRUE(all);
  const auto& log = h.logs[0];
  std::int64_t expected_seq = 0;
  for (std::size_t i = 0; i < log.rows.size(); ++i) {
    ASSERT_TRUE(log.results[i]);
    const auto& r = *log.results[i];
    if (log.rows[i].conversation == missing) {
      EXPECT_EQ(r.state, persist_result::status::failed);
      EXPECT_NE(r.error.find("foreign key"), std::string::npos) << r.error;
      continue;
    }
    ASSERT_EQ(r.state, persist_result::status::ok) << log.rows[i].client_message_id << ": " << r.error;
    EXPECT_EQ(r.answer.seq, ++expected_seq) << log.rows[i].client_message_id;
  }
  EXPECT_EQ(log.stats.failed, 1u);
  EXPECT_EQ(test::scalar(db.get(), "SELECT string_agg(sender_name, ',' ORDER BY seq) FROM messages"),
            "Name 0,Name 1,Name 3,Name 4");
  EXPECT_EQ(test::scalar(db.get(), "SELECT last_seq || ',' || (last_message_at IS NOT NULL) FROM conversations"),
            "4,true");
}

// With the database unreachable nothing leaves the queue: the bytes bound refuses the write that
// would pass it, counts it by cause, and the gauges show what is held.
TEST(batch_writer, the_backlog_is_bounded_by_bytes_too) {
  harness h;
  batch_writer::options opts;
  const persist_row sample = conv_row("bytes", "id-00", std::string(1000, 'x'));
  const std::size_t size = batch_writer::row_bytes(sample);
  opts.max_backlog_bytes = 10 * size + size / 2;  // room for ten rows and a half
  // Nothing listens on port 1: the connection stays in backoff.
  auto srv = start_shards(h, "postgresql://127.0.0.1:1/none?connect_timeout=1", opts);
  std::vector<persist_row> rows;
  for (int i = 0; i < 15; ++i) {
    auto r = sample;
    r.client_message_id = "id-" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    rows.push_back(r);
  }
  h.send(0, [rows](writer_app& app) { app.submit_rows(rows); });
  ASSERT_TRUE(h.wait_for([&] { return h.logs[0].commands_done == 1; }));
  writer_stats during;
  h.send(0, [&h, &during](writer_app& app) {
    std::lock_guard lock(h.m);
    during = app.writer().stats();
    ++h.logs[0].commands_done;
    h.cv.notify_all();
  });
  ASSERT_TRUE(h.wait_for([&] { return h.logs[0].commands_done == 2; }));
  srv->stop();
  srv->join();
  const auto& log = h.logs[0];
  EXPECT_EQ(log.rows.size(), 10u);
  EXPECT_EQ(log.refused, 5u);
  EXPECT_EQ(log.backlog_at_refusal, 10u);
  EXPECT_FALSE(log.backlog_at_last_accept_after_refusal);
  EXPECT_EQ(during.refused, 5u);
  EXPECT_EQ(during.refused_bytes, 5u);
  EXPECT_EQ(during.refused_rows, 0u);
  EXPECT_EQ(during.backlog_rows, 10u);
  EXPECT_EQ(during.backlog_bytes, 10 * size);
}

// Urgent writes (the AI's replies) go ahead of the ordinary ones waiting, in their own order, and
// are accepted even when the backlog is full.
TEST(batch_writer, urgent_writes_go_ahead_of_waiting_ones_and_are_never_refused) {
  const std::string url = test::fresh_database();
  auto db = test::connect(url);
  apply_migrations(db.get());
  harness h;
  batch_writer::options opts;
  opts.max_backlog = 4;
  opts.max_in_flight = 1;
  auto srv = start_shards(h, url, opts);
  ASSERT_TRUE(h.wait_for([&] { return h.logs[0].connected; }, 30s));
  // The first write goes out at once and waits on the lock; the rest queue behind it.
  auto locker = test::connect(url);
  test::exec_ok(locker.get(), "BEGIN; LOCK TABLE conversations IN EXCLUSIVE MODE");
  h.send(0, [](writer_app& app) { app.submit_rows({conv_row("u", "first")}); });
  {
    auto monitor = test::connect(url);
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (test::scalar(monitor.get(), "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                       " AND backend_type = 'client backend'") == "0" &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
  }
  h.send(0, [](writer_app& app) {
    app.submit_rows({conv_row("u", "plain-1"), conv_row("u", "plain-2"), conv_row("u", "plain-3"),
                     conv_row("u", "plain-4")});  // the fourth passes the backlog of 4: refused
  });
  h.send(0, [](writer_app& app) { app.submit_rows({conv_row("u", "urgent-1"), conv_row("u", "urgent-2")}, true); });
  ASSERT_TRUE(h.wait_for([&] { return h.logs[0].commands_done == 3; }));
  test::exec_ok(locker.get(), "COMMIT");
  ASSERT_TRUE(h.wait_for([&] { return h.logs[0].answered == 6; }));
  srv->stop();
  srv->join();
  EXPECT_EQ(h.logs[0].refused, 1u);
  EXPECT_EQ(test::scalar(db.get(), "SELECT string_agg(client_message_id, ',' ORDER BY seq) FROM messages"),
            "first,urgent-1,urgent-2,plain-1,plain-2,plain-3");
}

}  // namespace
}  // namespace ringcast::persistence
