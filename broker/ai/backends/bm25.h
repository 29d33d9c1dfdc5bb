#pragma once
// Ranks the knowledge entries of one language against a message with BM25F (BM25 over weighted
// fields, Robertson & Zaragoza), and turns the best score into a confidence.
//
// Terms are text.h's analyze() of the entry's fields and of the message, in the index's language.
// For a term t and an entry d, with fields f = question (weight 3), keywords (2), answer (1):
//   tf~(t, d) = sum_f  w_f * tf_f(t, d) / (1 - b + b * len_f(d) / avglen_f)
//   score(d)  = sum over the message's distinct terms t of  q_t * idf(t) * tf~ * (k1 + 1) / (tf~ + k1)
//   idf(t)    = ln(1 + (N - n_t + 0.5) / (n_t + 0.5))      (never negative)
// with k1 = 1.2 and b = 0.75, N entries and n_t of them containing t, and q_t = 0.3 for a question
// word ("where", "wie"), else 1: enough to tell "where is my order" from "how do I cancel my
// order", not enough to outrank a topic word.
//
// Confidence of the best entry d (score s1, runner-up s2, 0 when there is none):
//   Cq   = share of the message's information the entry explains: the idf mass of the message's
//          terms found in d's question or keywords, plus half the mass of those found only in its
//          answer, over the mass of all its terms, question words left out. A term no entry has
//          weighs as much as one that only one entry has (idf at n_t = 1), so every word the
//          knowledge base does not know lowers Cq.
//   Ce   = share of the entry's question the message asked: the q_t * idf mass of the message's
//          terms found in d's question or keywords over that of d's question's terms, capped at 1
//          (a keyword may stand in for a word of the question: "forgot password" asks "How do I
//          reset my password?" when "forgot" is a keyword).
//   lead = (s1 - s2) / s1
//   confidence = Cq * (0.4 + 0.6 * Ce) * (0.8 + 0.2 * min(1, lead / 0.25))
// So: an unrelated message explains nothing (Cq = 0, confidence 0); a vague one ("I have a
// problem with my order") leaves most of its information unexplained (Cq < 0.5); the entry's
// own question, or a paraphrase with its keywords, gives Cq = Ce = 1 and at least 0.8 even
// against a close runner-up; one word of a two-word question ("password") gives about 0.7, the
// default --ai-min-confidence, less when another entry matches it about as well; "my order"
// against "Where is my order?" lacks the question word and stays below 0.8.
//
// Immutable once built; search() may run on several threads.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/ai/backends/knowledge.h"
#include "broker/ai/backends/text.h"

namespace ringcast::ai {

inline constexpr double bm25_k1 = 1.2;
inline constexpr double bm25_b = 0.75;
inline constexpr double question_field_weight = 3;
inline constexpr double keywords_field_weight = 2;
inline constexpr double answer_field_weight = 1;

// The mapping above, from its parts.
double match_confidence(double query_coverage, double entry_coverage, double best_score, double second_score) noexcept;

struct bm25_hit {
  std::uint32_t doc;  // index into the entries the index was built from
  double score;
};

struct bm25_match {
  std::vector<bm25_hit> top;  // best first (ties: lower doc first); empty when no entry shares a term
  double confidence = 0;      // of top.front()
  double query_coverage = 0;  // Cq and Ce of top.front(), for tests and logs
  double entry_coverage = 0;
};

class bm25_index {
 public:
  // Doc i is *entries[i], indexed as `language` whatever its language field says; the entries
  // need not outlive the index.
  bm25_index(lang language, std::span<const knowledge_entry* const> entries);

  // `tokens` are tokenize(message); at most k hits (k >= 1).
  bm25_match search(std::span<const std::string> tokens, std::size_t k) const;

  ai::lang language() const noexcept { return lang_; }
  std::size_t size() const noexcept { return question_mass_.size(); }

 private:
  enum field_bit : std::uint8_t { in_question = 1, in_keywords = 2, in_answer = 4 };
  struct posting {
    std::uint32_t doc;
    float saturated;  // tf~ * (k1 + 1) / (tf~ + k1), the per-entry part of the score
    std::uint8_t fields;
  };
  struct term_info {
    double idf;
    bool question_word;
    std::vector<posting> postings;  // by doc
  };
  const posting* find(const term_info& t, std::uint32_t doc) const noexcept;

  ai::lang lang_;
  std::unordered_map<std::string, term_info> terms_;
  std::vector<double> question_mass_;  // per doc: weighted idf mass of its question's distinct terms
  double unseen_idf_ = 0;
};

}  // namespace ringcast::ai
