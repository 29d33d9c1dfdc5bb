#pragma once
// A blocking PostgreSQL connection per thread, for threads that are not shards (the AI and
// delivery workers): opened on first use and again after it broke, with a statement timeout so
// a stuck statement cannot hold a worker. One per thread: a thread uses a single database URL.
#include <libpq-fe.h>

#include <chrono>
#include <string>

namespace ringcast::persistence {

// The thread's connection, or nullptr when the database cannot be reached now.
PGconn* thread_connection(const std::string& url, std::chrono::milliseconds statement_timeout);

// Closes the thread's connection when it is broken (after a failed statement), so the next
// thread_connection() opens a new one.
void drop_thread_connection_if_broken() noexcept;

}  // namespace ringcast::persistence
