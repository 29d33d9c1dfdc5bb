// The test cluster itself: the outage tests rely on stop() making the database unreachable and
// start() bringing the same data back on the same URL.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/persistence/pg_test_support.h"

namespace ringcast::test {
namespace {

TEST(postgres_fixture, stop_and_start_keep_the_url_and_the_data) {
  postgres_cluster pg;
  EXPECT_EQ(pg.url(), "postgresql://postgres@127.0.0.1:" + std::to_string(pg.port()) + "/ringcast");
  {
    auto c = connect(pg.url());
    exec_ok(c.get(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('committed')");
  }
  auto held = connect(pg.url());
  pg.stop();
  EXPECT_FALSE(pg.running());
  // The open session was ended and no new one is possible.
  EXPECT_EQ(PQresultStatus(pg_result(PQexec(held.get(), "SELECT 1")).get()), PGRES_FATAL_ERROR);
  pg_conn refused(PQconnectdb((pg.url() + "?connect_timeout=2").c_str()));
  EXPECT_NE(PQstatus(refused.get()), CONNECTION_OK);

  pg.start();
  EXPECT_TRUE(pg.running());
  auto c = connect(pg.url());
  EXPECT_EQ(scalar(c.get(), "SELECT v FROM kept"), "committed");
  EXPECT_EQ(scalar(c.get(), "SHOW fsync"), "on");
}

TEST(postgres_fixture, the_destructor_removes_everything) {
  std::string dir;
  {
    postgres_cluster pg;
    dir = pg.directory();
    EXPECT_TRUE(std::filesystem::exists(dir + "/data/PG_VERSION"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace ringcast::test
