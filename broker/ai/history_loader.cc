#include "broker/ai/history_loader.h"

#include <libpq-fe.h>

#include <memory>

#include "persistence/pg_connection.h"
#include "persistence/queries.h"
#include "reactor/log.h"

namespace ringcast::broker::ai {
namespace {

struct conn_closer {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};

// One connection per worker thread (and per database URL: there is one loader per process).
thread_local std::unique_ptr<PGconn, conn_closer> connection;

PGconn* connected(const std::string& url, std::chrono::milliseconds timeout) {
  if (connection && PQstatus(connection.get()) == CONNECTION_OK) return connection.get();
  connection.reset(PQconnectdb(url.c_str()));
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    connection.reset();
    return nullptr;
  }
  const std::string set = "SET statement_timeout = " + std::to_string(timeout.count());
  persistence::pg_result r(PQexec(connection.get(), set.c_str()));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    connection.reset();
    return nullptr;
  }
  return connection.get();
}

}  // namespace

history_loader::history_loader(std::string database_url, int turns, std::chrono::milliseconds statement_timeout)
    : url_(std::move(database_url)), turns_(turns), timeout_(statement_timeout) {}

std::vector<ringcast::ai::turn> history_loader::load(const std::string& conversation, std::int64_t seq) const {
  std::vector<ringcast::ai::turn> out;
  PGconn* c = connected(url_, timeout_);
  if (!c) return out;
  const auto q = persistence::history_before(conversation, seq, turns_);
  auto r = persistence::run_blocking(c, q);
  auto page = persistence::parse_history_before(r.get(), turns_);
  if (!page) {
    static reactor::log_rate rate(1);
    std::uint64_t held_back = 0;
    if (rate.allow(held_back))
      reactor::log(reactor::log_level::warn, "reading a conversation's history for the AI failed: %s",
                   PQerrorMessage(c));
    if (PQstatus(c) != CONNECTION_OK) connection.reset();
    return out;
  }
  for (auto& m : page->messages)
    out.push_back({std::string(persistence::to_string(m.sender_type)), std::move(m.content)});
  return out;
}

}  // namespace ringcast::broker::ai
