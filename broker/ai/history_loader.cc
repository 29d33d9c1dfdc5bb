#include "broker/ai/history_loader.h"

#include <libpq-fe.h>

#include "persistence/pg_connection.h"
#include "persistence/queries.h"
#include "persistence/thread_connection.h"
#include "reactor/log.h"

namespace ringcast::broker::ai {

history_loader::history_loader(std::string database_url, int turns, std::chrono::milliseconds statement_timeout)
    : url_(std::move(database_url)), turns_(turns), timeout_(statement_timeout) {}

std::vector<ringcast::ai::turn> history_loader::load(const std::string& conversation, std::int64_t seq) const {
  std::vector<ringcast::ai::turn> out;
  PGconn* c = persistence::thread_connection(url_, timeout_);
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
    persistence::drop_thread_connection_if_broken();
    return out;
  }
  for (auto& m : page->messages)
    out.push_back({std::string(persistence::to_string(m.sender_type)), std::move(m.content)});
  return out;
}

}  // namespace ringcast::broker::ai
