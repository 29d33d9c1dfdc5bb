#pragma once
// Blocking libpq for the persistence tests: the statements under test are the production ones,
// only the way they are sent differs from the broker's non-blocking connection.
#include <libpq-fe.h>

#include <atomic>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "persistence/inbox_conversations.h"
#include "persistence/migrations.h"
#include "persistence/queries.h"
#include "persistence/sequenced_batch.h"
#include "tests/support/postgres.h"

namespace ringcast::test {

struct pg_conn_deleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct pg_result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using pg_conn = std::unique_ptr<PGconn, pg_conn_deleter>;
using pg_result = std::unique_ptr<PGresult, pg_result_deleter>;

inline pg_conn connect(const std::string& url) {
  pg_conn c(PQconnectdb(url.c_str()));
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error("connect " + url + ": " + PQerrorMessage(c.get()));
  return c;
}

// Runs SQL that must succeed; throws with the server's message otherwise.
inline pg_result exec_ok(PGconn* c, const std::string& sql) {
  pg_result r(PQexec(c, sql.c_str()));
  auto s = PQresultStatus(r.get());
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
    throw std::runtime_error(sql + ": " + PQresultErrorMessage(r.get()));
  return r;
}

// The first column of the first row.
inline std::string scalar(PGconn* c, const std::string& sql) {
  auto r = exec_ok(c, sql);
  if (PQntuples(r.get()) < 1) throw std::runtime_error(sql + ": no rows");
  return PQgetvalue(r.get(), 0, 0);
}

// Sends a production statement the way pg_connection does: text parameters, text results.
inline pg_result run(PGconn* c, const char* sql, const persistence::query_params& p) {
  auto values = p.pointers();
  return pg_result(
      PQexecParams(c, sql, p.count(), nullptr, values.data(), nullptr, nullptr, 0));
}
inline pg_result run(PGconn* c, const persistence::query& q) { return run(c, q.sql, q.params); }

inline bool ok(const pg_result& r) {
  auto s = PQresultStatus(r.get());
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

inline std::string error_of(const pg_result& r) { return PQresultErrorMessage(r.get()); }

// What one sequenced_batch() transaction did: the answers when it committed, else the server's
// error (the transaction was rolled back).
struct batch_result {
  std::vector<persistence::persist_answer> answers;
  std::string error;     // empty when committed
  std::string sqlstate;  // of the failed statement
  bool committed() const { return error.empty(); }
};

// Sends the statements of persistence::sequenced_batch() the way batch_writer does, inside
// BEGIN/COMMIT, but with blocking libpq.
inline batch_result store_batch(PGconn* c, std::span<const persistence::persist_row> rows) {
  batch_result out;
  auto fail = [&](const pg_result& r, const std::string& what) {
    out.error = what + ": " + PQresultErrorMessage(r.get());
    const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
    out.sqlstate = state ? state : "";
    exec_ok(c, "ROLLBACK");
    return out;
  };
  exec_ok(c, "BEGIN");
  pg_result last;
  for (const auto& st : persistence::sequenced_batch(rows)) {
    std::vector<const char*> values;
    for (const auto& p : st.params) values.push_back(p ? p->c_str() : nullptr);
    last.reset(PQexecParams(c, st.sql.c_str(), int(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
    if (!ok(last)) return fail(last, "sequenced_batch");
  }
  auto answers = persistence::parse_sequenced_batch(last.get(), rows);
  if (!answers) {
    out.error = "sequenced_batch: unexpected answer shape";
    exec_ok(c, "ROLLBACK");
    return out;
  }
  pg_result commit(PQexec(c, "COMMIT"));
  if (!ok(commit)) {
    out.error = std::string("COMMIT: ") + PQresultErrorMessage(commit.get());
    return out;
  }
  out.answers = std::move(*answers);
  return out;
}

// store_batch that must commit; throws with the server's message otherwise.
inline std::vector<persistence::persist_answer> store_ok(PGconn* c,
                                                         std::span<const persistence::persist_row> rows) {
  auto r = store_batch(c, rows);
  if (!r.committed()) throw std::runtime_error(r.error);
  return std::move(r.answers);
}

// A new empty database in the process's shared cluster, so tests never see each other's rows.
// A new website conversation of `customer`: its id.
inline std::string new_conversation(PGconn* c, const std::string& customer = "cust") {
  auto res = run(c, persistence::create_conversation(customer, std::nullopt, "website", std::nullopt));
  auto row = persistence::parse_opened_conversation(res.get());
  if (!row || !row->created) throw std::runtime_error("create failed: " + error_of(res));
  return row->conversation.id;
}

inline std::string fresh_database() {
  static std::atomic<int> counter{0};
  return postgres_cluster::shared().create_database("test_" + std::to_string(++counter));
}

inline pg_conn fresh_migrated_connection() {
  auto c = connect(fresh_database());
  persistence::apply_migrations(c.get());
  return c;
}

}  // namespace ringcast::test
