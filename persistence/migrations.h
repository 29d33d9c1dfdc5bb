#pragma once
// The database schema as numbered migrations compiled into the binary, and the start-up step that
// brings a database up to date. Blocking libpq: this runs once, before any shard starts.
#include <libpq-fe.h>

#include <span>

namespace ringcast::persistence {

struct migration {
  int version;       // 1, 2, ...: applied in this order, recorded in schema_migrations
  const char* name;  // for logs and errors
  const char* sql;   // one or more statements; runs inside the caller's transaction
};

// The transaction-scoped advisory lock apply_migrations holds: "ringcast" in ASCII, a number no
// other application in the database is likely to use.
inline constexpr long long migration_lock_key = 0x72696e6763617374LL;

// Every migration this binary knows, in version order.
std::span<const migration> migrations() noexcept;

// The highest version the binary knows.
int latest_schema_version() noexcept;

// Applies every known migration with version <= up_to that the database lacks, all of them in ONE
// transaction under a transaction-scoped advisory lock, so brokers starting together serialize and
// the second finds nothing to do. A no-op when nothing is missing; versions newer than the binary
// (a newer broker migrated first) are left alone. Throws std::runtime_error carrying the server's
// message when anything fails; the transaction is rolled back and the schema is unchanged.
void apply_migrations(PGconn* conn, int up_to);
void apply_migrations(PGconn* conn);

// The highest applied version; 0 on a database that has never been migrated. Throws
// std::runtime_error on a query failure.
int schema_version(PGconn* conn);

}  // namespace ringcast::persistence
