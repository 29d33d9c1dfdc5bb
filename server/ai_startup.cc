#include "server/ai_startup.h"

#include <stdexcept>
#include <string>

#include "broker/ai/backends/builtin_backend.h"
#include "broker/ai/backends/knowledge.h"
#include "broker/ai/backends/openai_backend.h"
#include "broker/ai/knowledge_rows.h"
#include "persistence/ai_jobs.h"
#include "persistence/knowledge_base.h"
#include "persistence/pg_connection.h"
#include "reactor/log.h"

namespace ringcast::server {
namespace {

persistence::pg_result run(PGconn* db, const persistence::query& q, const char* what) {
  auto r = persistence::run_blocking(db, q);
  const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error(std::string(what) + ": " + (r ? PQresultErrorMessage(r.get()) : PQerrorMessage(db)));
  return r;
}

// The file's entries (when given) go into PostgreSQL first; the backend gets every stored entry.
std::vector<ai::knowledge_entry> load_knowledge(const std::string& file, PGconn* db) {
  if (!file.empty()) {
    auto loaded = ai::load_knowledge_file(file);
    if (!loaded.ok()) throw std::runtime_error("--ai-knowledge " + file + ": " + loaded.error);
    std::vector<persistence::knowledge_row> rows;
    for (auto& e : loaded.entries) rows.push_back(broker::ai::to_row(std::move(e)));
    run(db, persistence::upsert_knowledge(rows), "storing the knowledge base");
  }
  auto res = run(db, persistence::all_knowledge(), "reading the knowledge base");
  auto rows = persistence::parse_knowledge(res.get());
  if (!rows) throw std::runtime_error("reading the knowledge base: unexpected result");
  std::string error;
  auto entries = broker::ai::to_entries(std::move(*rows), error);
  if (!error.empty()) throw std::runtime_error(error);
  return entries;
}

}  // namespace

std::shared_ptr<broker::ai::ai_service> make_ai_service(const broker::ai::ai_settings& settings, PGconn* db,
                                                        const std::string& database_url) {
  using reactor::log_level;
  auto builtin = std::make_shared<ai::builtin_backend>(load_knowledge(settings.knowledge_file, db),
                                                       ai::builtin_options{settings.human_words});
  std::shared_ptr<ai::backend> backend = builtin;
  std::unique_ptr<broker::ai::history_loader> history;
  if (settings.backend == "openai") {
    if (settings.url.empty()) throw std::runtime_error("--ai-backend openai needs --ai-url");
    ai::openai_config cfg;
    cfg.url = settings.url;
    cfg.model = settings.model;
    cfg.api_key = settings.api_key;
    // The knowledge base's best match goes into the prompt.
    cfg.knowledge = [builtin](const std::string& content) {
      std::vector<ai::openai::knowledge_entry> out;
      if (auto best = builtin->best_entry(content)) out.emplace_back(best->question, best->answer);
      return out;
    };
    backend = std::make_shared<ai::openai_backend>(std::move(cfg));
    // The recent conversation goes into the prompt too (the builtin backend needs only the message).
    history = std::make_unique<broker::ai::history_loader>(database_url, 10, std::chrono::milliseconds(500));
  }
  reactor::log(log_level::info, "AI replies: %s backend, %zu knowledge entries, %u workers, deadline %lld ms",
               settings.backend.c_str(), builtin->entry_count(), settings.concurrency,
               static_cast<long long>(settings.deadline.count()));
  auto service = std::make_shared<broker::ai::ai_service>(settings, std::move(backend), std::move(history));
  service->set_knowledge_base(builtin);
  // Jobs a crash left open: cancelled when a human has the conversation now, else resumed by
  // their owner shards (past their deadline: the fallback at once).
  run(db, persistence::cancel_moot_ai_jobs(), "cancelling AI jobs a human took over");
  auto open = run(db, persistence::open_ai_jobs(), "reading open AI jobs");
  auto jobs = persistence::parse_open_ai_jobs(open.get());
  if (!jobs) throw std::runtime_error("reading open AI jobs: unexpected result");
  if (!jobs->empty()) reactor::log(log_level::info, "resuming %zu AI jobs left open", jobs->size());
  service->set_open_jobs(std::move(*jobs));
  return service;
}

}  // namespace ringcast::server
