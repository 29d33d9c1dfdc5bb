#include "persistence/thread_connection.h"

#include <memory>

#include "persistence/pg_connection.h"

namespace ringcast::persistence {
namespace {

struct conn_closer {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};

thread_local std::unique_ptr<PGconn, conn_closer> connection;

}  // namespace

PGconn* thread_connection(const std::string& url, std::chrono::milliseconds statement_timeout) {
  if (connection && PQstatus(connection.get()) == CONNECTION_OK) return connection.get();
  connection.reset(PQconnectdb(url.c_str()));
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    connection.reset();
    return nullptr;
  }
  const std::string set = "SET statement_timeout = " + std::to_string(statement_timeout.count());
  pg_result r(PQexec(connection.get(), set.c_str()));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    connection.reset();
    return nullptr;
  }
  return connection.get();
}

void drop_thread_connection_if_broken() noexcept {
  if (connection && PQstatus(connection.get()) != CONNECTION_OK) connection.reset();
}

}  // namespace ringcast::persistence
