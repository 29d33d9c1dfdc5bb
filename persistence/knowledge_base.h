#pragma once
// The AI knowledge base (table knowledge_entries): upserted by (language, question) from the file
// given at start, read whole into the builtin backend. Conventions as in queries.h.
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "persistence/queries.h"

namespace ringcast::persistence {

struct knowledge_row {
  std::int64_t id = 0;
  std::string question;
  std::string answer;
  std::optional<std::string> intent;
  std::vector<std::string> keywords;  // none may contain the byte 0x1f (the reader's separator)
  std::string language = "en";
};

// Inserts or updates the entries, matched by (language, question); one statement for all.
query upsert_knowledge(std::span<const knowledge_row> rows);
// Every entry, by id.
query all_knowledge();
std::optional<std::vector<knowledge_row>> parse_knowledge(const PGresult* res);

}  // namespace ringcast::persistence
