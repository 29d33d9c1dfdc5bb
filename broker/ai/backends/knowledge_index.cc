#include "broker/ai/backends/knowledge_index.h"

namespace ringcast::ai {

knowledge_index::knowledge_index(std::vector<knowledge_entry> entries) : entries_(std::move(entries)) {
  std::array<std::vector<const knowledge_entry*>, lang_count> docs;
  for (std::uint32_t i = 0; i < entries_.size(); ++i) {
    const auto l = lang_of_code(entries_[i].language);
    if (!l) continue;
    const auto li = static_cast<std::size_t>(*l);
    docs[li].push_back(&entries_[i]);
    entry_of_doc_[li].push_back(i);
  }
  for (std::size_t li = 0; li < lang_count; ++li)
    if (!docs[li].empty()) by_lang_[li].emplace(all_langs[li], docs[li]);
}

knowledge_index::found knowledge_index::search_in(lang l, std::span<const std::string> tokens) const {
  const auto li = static_cast<std::size_t>(l);
  if (!by_lang_[li]) return {};
  const bm25_match m = by_lang_[li]->search(tokens, 1);
  // Confidence 0: the entry shares only question words with the message, which says nothing.
  if (m.top.empty() || m.confidence <= 0) return {};
  return {&entries_[entry_of_doc_[li][m.top.front().doc]], m.confidence};
}

knowledge_index::found knowledge_index::best_of(std::span<const std::string> tokens, std::optional<lang> except) const {
  found best;
  for (lang l : all_langs) {
    if (l == except) continue;
    const found f = search_in(l, tokens);
    if (f.entry && (!best.entry || f.confidence > best.confidence)) best = f;
  }
  return best;
}

knowledge_index::found knowledge_index::search(lang customer, std::span<const std::string> tokens) const {
  if (found own = search_in(customer, tokens); own.entry) return own;
  return best_of(tokens, customer);
}

knowledge_index::found knowledge_index::search_any(std::span<const std::string> tokens) const {
  return best_of(tokens, std::nullopt);
}

}  // namespace ringcast::ai
