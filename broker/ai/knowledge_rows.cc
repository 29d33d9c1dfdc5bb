#include "broker/ai/knowledge_rows.h"

namespace ringcast::broker::ai {

persistence::knowledge_row to_row(ringcast::ai::knowledge_entry e) {
  persistence::knowledge_row r;
  r.id = e.id;
  r.question = std::move(e.question);
  r.answer = std::move(e.answer);
  if (!e.intent.empty()) r.intent = std::move(e.intent);
  r.keywords = std::move(e.keywords);
  r.language = std::move(e.language);
  return r;
}

ringcast::ai::knowledge_entry to_entry(persistence::knowledge_row r) {
  ringcast::ai::knowledge_entry e;
  e.id = r.id;
  e.question = std::move(r.question);
  e.answer = std::move(r.answer);
  e.intent = r.intent.value_or("");
  e.language = std::move(r.language);
  e.keywords = std::move(r.keywords);
  return e;
}

std::vector<ringcast::ai::knowledge_entry> to_entries(std::vector<persistence::knowledge_row> rows, std::string& error) {
  std::vector<ringcast::ai::knowledge_entry> entries;
  entries.reserve(rows.size());
  for (auto& r : rows) {
    entries.push_back(to_entry(std::move(r)));
    if (auto why = ringcast::ai::check_entry(entries.back()); !why.empty()) {
      error = "knowledge entry " + std::to_string(entries.back().id) + " in the database: " + why;
      return {};
    }
  }
  return entries;
}

}  // namespace ringcast::broker::ai
