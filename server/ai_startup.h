#pragma once
// The inbox's AI auto-responder as the process starts (blocking libpq, before any shard runs):
// the knowledge base (the --ai-knowledge file upserted into PostgreSQL, then all of it read back),
// the backend, and the jobs a crash left open. Throws std::runtime_error with the reason.
#include <libpq-fe.h>

#include <memory>

#include "broker/ai/ai_service.h"
#include "broker/ai/ai_settings.h"

namespace ringcast::server {

std::shared_ptr<broker::ai::ai_service> make_ai_service(const broker::ai::ai_settings& settings, PGconn* db,
                                                        const std::string& database_url);

}  // namespace ringcast::server
