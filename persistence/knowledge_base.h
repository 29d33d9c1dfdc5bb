#pragma once
// The AI knowledge base (table knowledge_entries): upserted by (language, question) from the file
// given at start, read whole into the builtin backend; edited one entry at a time by the REST API.
// Conventions as in queries.h.
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
// One entry (the id is the database's): the row as stored. A (language, question) that exists
// already fails the statement with a unique violation (SQLSTATE 23505).
query insert_knowledge(const knowledge_row& row);
// Replaces entry row.id: the row as stored, or none when there is no such entry.
query update_knowledge(const knowledge_row& row);
// The deleted row, or none.
query delete_knowledge(std::int64_t id);
// The rows of all_knowledge and of the three above.
std::optional<std::vector<knowledge_row>> parse_knowledge(const PGresult* res);

}  // namespace ringcast::persistence
