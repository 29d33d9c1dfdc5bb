#pragma once
// The knowledge base as the builtin backend searches it: one bm25_index per language that has
// entries. A message is searched in the customer's language first. Only when that language has
// no entry, or none that shares a topic word (not just a question word) with the message, are
// the other languages searched, each with the message analyzed in its own language, and the most
// confident match wins: its answer is then in its own language. Immutable once built; search()
// may run on several threads.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker/ai/backends/bm25.h"
#include "broker/ai/backends/knowledge.h"
#include "broker/ai/backends/text.h"

namespace ringcast::ai {

class knowledge_index {
 public:
  // Entries should pass check_entry(); one whose language is not among the five is left out.
  explicit knowledge_index(std::vector<knowledge_entry> entries);
  knowledge_index(const knowledge_index&) = delete;
  knowledge_index& operator=(const knowledge_index&) = delete;

  struct found {
    const knowledge_entry* entry = nullptr;  // null: no entry shares a topic word with the message
    double confidence = 0;                   // see bm25.h
  };
  // `tokens` are tokenize(message).
  found search(lang customer, std::span<const std::string> tokens) const;
  // The most confident match in any language, for a message whose language is not known.
  found search_any(std::span<const std::string> tokens) const;

  const std::vector<knowledge_entry>& entries() const noexcept { return entries_; }
  bool has(lang l) const noexcept { return by_lang_[static_cast<std::size_t>(l)].has_value(); }

 private:
  found search_in(lang l, std::span<const std::string> tokens) const;
  found best_of(std::span<const std::string> tokens, std::optional<lang> except) const;

  std::vector<knowledge_entry> entries_;
  // Per language: its index, and which entry each of the index's docs is.
  std::array<std::optional<bm25_index>, lang_count> by_lang_;
  std::array<std::vector<std::uint32_t>, lang_count> entry_of_doc_;
};

}  // namespace ringcast::ai
