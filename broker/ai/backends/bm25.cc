#include "broker/ai/backends/bm25.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

namespace ringcast::ai {
namespace {

constexpr double answer_only_credit = 0.5;
// Question words only break ties between entries on the same topic ("where is my order" against
// "how do I cancel my order"); at full weight a rare one would outrank the topic itself.
constexpr double question_word_weight = 0.3;

constexpr double weight_of(bool question_word) noexcept { return question_word ? question_word_weight : 1.0; }
// The lead over the runner-up from which a best match counts as distinct.
constexpr double distinct_lead = 0.25;

double idf(std::size_t docs, std::size_t with_term) noexcept {
  const double n = static_cast<double>(with_term);
  return std::log(1.0 + (static_cast<double>(docs) - n + 0.5) / (n + 0.5));
}

// A field's terms, counted: term -> occurrences, and how many terms it has.
struct field_terms {
  std::map<std::string, std::uint32_t> tf;
  std::size_t length = 0;
};

field_terms terms_of(lang l, std::string_view text) {
  field_terms f;
  const auto tokens = tokenize(text);
  for (auto& t : analyze(l, tokens)) {
    ++f.tf[std::move(t.text)];
    ++f.length;
  }
  return f;
}

}  // namespace

double match_confidence(double query_coverage, double entry_coverage, double best_score, double second_score) noexcept {
  if (best_score <= 0) return 0;
  const double lead = std::clamp((best_score - second_score) / best_score, 0.0, 1.0);
  const double distinct = 0.8 + 0.2 * std::min(1.0, lead / distinct_lead);
  return std::clamp(query_coverage * (0.4 + 0.6 * entry_coverage) * distinct, 0.0, 1.0);
}

bm25_index::bm25_index(lang language, std::span<const knowledge_entry* const> entries) : lang_(language) {
  constexpr std::size_t field_count = 3;
  constexpr double weights[field_count] = {question_field_weight, keywords_field_weight, answer_field_weight};
  constexpr std::uint8_t bits[field_count] = {in_question, in_keywords, in_answer};
  constexpr std::size_t question_field = 0;

  const std::size_t n = entries.size();
  std::vector<std::array<field_terms, field_count>> docs(n);
  double total_length[field_count] = {};
  for (std::size_t d = 0; d < n; ++d) {
    const knowledge_entry& e = *entries[d];
    std::string keywords;
    for (const auto& k : e.keywords) keywords.append(k).push_back(' ');
    docs[d] = {terms_of(lang_, e.question), terms_of(lang_, keywords), terms_of(lang_, e.answer)};
    for (std::size_t f = 0; f < field_count; ++f) total_length[f] += static_cast<double>(docs[d][f].length);
  }
  double avg_length[field_count];
  for (std::size_t f = 0; f < field_count; ++f)
    avg_length[f] = n && total_length[f] > 0 ? total_length[f] / static_cast<double>(n) : 1.0;

  // Postings in doc order, since docs are visited in order.
  for (std::uint32_t d = 0; d < n; ++d) {
    std::map<std::string_view, posting> merged;
    std::map<std::string_view, double> weighted_tf;
    for (std::size_t f = 0; f < field_count; ++f) {
      const double norm = 1 - bm25_b + bm25_b * static_cast<double>(docs[d][f].length) / avg_length[f];
      for (const auto& [text, tf] : docs[d][f].tf) {
        weighted_tf[text] += weights[f] * tf / norm;
        merged.try_emplace(text, posting{d, 0, 0}).first->second.fields |= bits[f];
      }
    }
    for (auto& [text, p] : merged) {
      const double w = weighted_tf[text];
      p.saturated = static_cast<float>(w * (bm25_k1 + 1) / (w + bm25_k1));
      auto [it, fresh] = terms_.try_emplace(std::string(text));
      if (fresh) it->second.question_word = is_question_word(lang_, text);
      it->second.postings.push_back(p);
    }
  }
  for (auto& [text, t] : terms_) t.idf = idf(n, t.postings.size());
  unseen_idf_ = idf(std::max<std::size_t>(n, 1), 1);

  question_mass_.assign(n, 0);
  for (std::size_t d = 0; d < n; ++d) {
    for (const auto& [text, tf] : docs[d][question_field].tf) {
      const term_info& t = terms_.at(text);
      question_mass_[d] += weight_of(t.question_word) * t.idf;
    }
  }
}

const bm25_index::posting* bm25_index::find(const term_info& t, std::uint32_t doc) const noexcept {
  const auto it = std::lower_bound(t.postings.begin(), t.postings.end(), doc,
                                   [](const posting& p, std::uint32_t d) { return p.doc < d; });
  return it != t.postings.end() && it->doc == doc ? &*it : nullptr;
}

bm25_match bm25_index::search(std::span<const std::string> tokens, std::size_t k) const {
  bm25_match m;
  k = std::max<std::size_t>(k, 1);
  auto query = analyze(lang_, tokens);
  std::sort(query.begin(), query.end(), [](const term& a, const term& b) { return a.text < b.text; });
  query.erase(std::unique(query.begin(), query.end(), [](const term& a, const term& b) { return a.text == b.text; }),
              query.end());

  // The message's distinct terms: known ones with their entry in terms_, unknown ones as null.
  std::vector<const term_info*> known(query.size(), nullptr);
  std::vector<double> score(size(), 0);
  for (std::size_t i = 0; i < query.size(); ++i) {
    const auto it = terms_.find(query[i].text);
    if (it == terms_.end()) continue;
    known[i] = &it->second;
    const double weight = weight_of(query[i].question) * it->second.idf;
    for (const posting& p : it->second.postings) score[p.doc] += weight * p.saturated;
  }

  for (std::uint32_t d = 0; d < score.size(); ++d)
    if (score[d] > 0) m.top.push_back({d, score[d]});
  if (m.top.empty()) return m;
  const auto better = [](const bm25_hit& a, const bm25_hit& b) {
    return a.score != b.score ? a.score > b.score : a.doc < b.doc;
  };
  const std::size_t keep = std::min(std::max<std::size_t>(k, 2), m.top.size());
  std::partial_sort(m.top.begin(), m.top.begin() + static_cast<std::ptrdiff_t>(keep), m.top.end(), better);
  m.top.resize(keep);

  const std::uint32_t best = m.top.front().doc;
  double asked = 0, explained = 0, of_question = 0;
  for (std::size_t i = 0; i < query.size(); ++i) {
    if (query[i].question) {
      if (const posting* p = known[i] ? find(*known[i], best) : nullptr; p && (p->fields & in_question))
        of_question += weight_of(true) * known[i]->idf;
      continue;
    }
    const double weight = known[i] ? known[i]->idf : unseen_idf_;
    asked += weight;
    const posting* p = known[i] ? find(*known[i], best) : nullptr;
    if (!p) continue;
    if (p->fields & (in_question | in_keywords)) {
      explained += weight;
      of_question += weight;
    } else {
      explained += answer_only_credit * weight;
    }
  }
  m.query_coverage = asked > 0 ? explained / asked : 0;
  m.entry_coverage = question_mass_[best] > 0 ? std::min(1.0, of_question / question_mass_[best]) : 1.0;
  const double second = m.top.size() > 1 ? m.top[1].score : 0;
  m.confidence = match_confidence(m.query_coverage, m.entry_coverage, m.top.front().score, second);
  if (m.top.size() > k) m.top.resize(k);
  return m;
}

}  // namespace ringcast::ai
