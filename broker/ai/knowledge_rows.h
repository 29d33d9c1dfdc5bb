#pragma once
// The knowledge base between its table (persistence/knowledge_base.h) and the builtin backend
// (backends/knowledge.h): the same entry in the two shapes.
#include <string>
#include <vector>

#include "broker/ai/backends/knowledge.h"
#include "persistence/knowledge_base.h"

namespace ringcast::broker::ai {

persistence::knowledge_row to_row(ringcast::ai::knowledge_entry e);
ringcast::ai::knowledge_entry to_entry(persistence::knowledge_row r);
// Every row as an entry; `error` names the first stored entry that check_entry() refuses (then
// the result is empty).
std::vector<ringcast::ai::knowledge_entry> to_entries(std::vector<persistence::knowledge_row> rows, std::string& error);

}  // namespace ringcast::broker::ai
