#pragma once
// The builtin backend's knowledge base entries, and the JSON file they are loaded from at start
// (--ai-knowledge FILE): an array of objects
//   {"question": "...", "answer": "...", "intent": "billing", "keywords": ["invoice", ...], "language": "en"}
// where intent, keywords and language are optional (language defaults to "en"). Any other field
// is an error, so that a misspelt "anwser" is not silently ignored. Errors name the entry by its
// index in the array, from 0, and the field: `entry [3]: "keywords"[1] must be a string, not a
// number`. Entries get ids from 1 in file order (PostgreSQL will assign its own).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::ai {

struct knowledge_entry {
  std::int64_t id = 0;
  std::string question;
  std::string answer;
  std::string intent;           // empty: none (the detected intent is used)
  std::string language = "en";  // "en", "es", "fr", "de" or "pt"
  std::vector<std::string> keywords;
};

// Generous for a support knowledge base, small enough that a wrong file is refused rather than
// held in memory: 10,000 entries of the largest size index in well under a second.
inline constexpr std::size_t max_knowledge_entries = 10'000;
inline constexpr std::size_t max_question_bytes = 1'000;
inline constexpr std::size_t max_answer_bytes = 8'000;
inline constexpr std::size_t max_keywords = 32;
inline constexpr std::size_t max_keyword_bytes = 100;
inline constexpr std::size_t max_intent_bytes = 32;
inline constexpr std::size_t max_knowledge_file_bytes = 16 << 20;

struct knowledge_load {
  std::vector<knowledge_entry> entries;
  std::string error;  // empty on success; otherwise what is wrong and where (entries is then empty)
  bool ok() const noexcept { return error.empty(); }
};

knowledge_load parse_knowledge(std::string_view json);
knowledge_load load_knowledge_file(const std::string& path);

// What is wrong with one entry, empty when nothing: the checks parse_knowledge makes on each
// entry, for entries that come from elsewhere (the API, PostgreSQL). Ids are not checked.
std::string check_entry(const knowledge_entry& e);

}  // namespace ringcast::ai
