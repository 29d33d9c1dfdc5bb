#include "broker/ai/backends/bm25.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/ai/ai_test_support.h"

namespace ringcast::ai {
namespace {

using test::band;
using test::high;
using test::low;
using test::middle;
using test::zero;

struct english_index {
  std::vector<knowledge_entry> kb = test::small_knowledge();
  std::vector<const knowledge_entry*> docs;
  english_index() {
    for (const auto& e : kb)
      if (e.language == "en") docs.push_back(&e);
  }
  bm25_index build() const { return bm25_index(lang::en, docs); }
  std::int64_t id(const bm25_match& m) const { return m.top.empty() ? 0 : docs[m.top.front().doc]->id; }
};

struct ranking_case {
  std::string message;
  std::int64_t entry;  // 0: none
  band confidence;
};

const ranking_case ranking_cases[] = {
    // The entry's own question, and paraphrases through its keywords.
    {"How do I reset my password?", 1, high},
    {"I forgot my password", 1, high},
    {"Where is my order?", 2, high},
    {"Can I track my parcel?", 2, high},
    {"How do I return an item?", 3, high},
    {"When will I get my refund?", 4, high},
    {"What are your opening hours?", 5, high},
    {"How do I cancel my order?", 6, high},
    {"Do you ship internationally?", 11, high},
    // Question words tell apart entries that share their topic words.
    {"where order", 2, high},
    {"how cancel order", 6, high},
    // Part of a question.
    {"password", 1, middle},
    {"my order", 2, middle},  // which of "where is", "how do I cancel"?
    // Vague or unrelated.
    {"I have a problem with something", 0, zero},
    {"What's the weather like in Paris?", 5, zero},  // shares "what" with "What are your opening hours?"
    {"Can you help me with my order, it is about the colour of the sofa", 2, low},
};

TEST(bm25_index, ranks_the_matching_entry_first_with_a_meaningful_confidence) {
  const english_index en;
  const auto index = en.build();
  for (const auto& c : ranking_cases) {
    const auto m = index.search(tokenize(c.message), 3);
    EXPECT_EQ(en.id(m), c.entry) << c.message;
    EXPECT_TRUE(c.confidence.holds(m.confidence)) << c.message << ": " << m.confidence;
  }
}

TEST(bm25_index, weighs_question_and_keywords_above_the_answer) {
  const std::vector<knowledge_entry> kb = {
      {1, "Shipping costs", "Delivery is free over 50 euros; otherwise a parcel fee applies.", "", "en", {}},
      {2, "Parcel fee", "Shipping is free over 50 euros.", "", "en", {}},
      {3, "Delivery options", "Standard or express.", "", "en", {"parcel fee"}},
  };
  std::vector<const knowledge_entry*> docs = {&kb[0], &kb[1], &kb[2]};
  const bm25_index index(lang::en, docs);
  const auto m = index.search(tokenize("parcel fee"), 3);
  ASSERT_EQ(m.top.size(), 3u);
  EXPECT_EQ(m.top[0].doc, 1u);  // in its question
  EXPECT_EQ(m.top[1].doc, 2u);  // in its keywords
  EXPECT_EQ(m.top[2].doc, 0u);  // only in its answer
  EXPECT_GT(m.top[0].score, m.top[1].score);
  EXPECT_GT(m.top[1].score, m.top[2].score);
}

TEST(bm25_index, returns_at_most_k_hits_best_first) {
  const english_index en;
  const auto index = en.build();
  const auto m = index.search(tokenize("my order account"), 2);
  ASSERT_EQ(m.top.size(), 2u);
  EXPECT_GE(m.top[0].score, m.top[1].score);
  EXPECT_EQ(index.search(tokenize("my order account"), 10).top.size(), 3u);  // entries 2, 3 and 6
  EXPECT_TRUE(index.search(tokenize(""), 3).top.empty());
  EXPECT_TRUE(index.search(tokenize("zebra"), 3).top.empty());
}

TEST(bm25_index, folds_accents_and_case_like_the_entries) {
  const auto kb = test::small_knowledge();
  std::vector<const knowledge_entry*> es;
  for (const auto& e : kb)
    if (e.language == "es") es.push_back(&e);
  const bm25_index index(lang::es, es);
  for (std::string message : {"¿DÓNDE ESTÁ MI PEDIDO?", "donde esta mi pedido", "Dónde está mi pedido"}) {
    const auto m = index.search(tokenize(message), 1);
    ASSERT_FALSE(m.top.empty()) << message;
    EXPECT_EQ(es[m.top.front().doc]->id, 7) << message;
    EXPECT_GE(m.confidence, 0.8) << message;
  }
  const auto m = index.search(tokenize("olvide mi CONTRASENA"), 1);
  ASSERT_FALSE(m.top.empty());
  EXPECT_EQ(es[m.top.front().doc]->id, 8);
}

TEST(match_confidence, follows_the_documented_formula) {
  EXPECT_DOUBLE_EQ(match_confidence(1, 1, 10, 0), 1.0);
  EXPECT_DOUBLE_EQ(match_confidence(1, 1, 10, 10), 0.8);   // a tie with the runner-up
  EXPECT_DOUBLE_EQ(match_confidence(1, 1, 10, 7.5), 1.0);  // a 25% lead is distinct
  EXPECT_DOUBLE_EQ(match_confidence(1, 0.5, 10, 0), 0.7);
  EXPECT_DOUBLE_EQ(match_confidence(0.5, 1, 10, 0), 0.5);
  EXPECT_DOUBLE_EQ(match_confidence(0, 1, 10, 0), 0.0);
  EXPECT_DOUBLE_EQ(match_confidence(1, 1, 0, 0), 0.0);
  // Monotonic in each part.
  double last = 0;
  for (double q = 0; q <= 1.0; q += 0.1) {
    const double c = match_confidence(q, 0.5, 10, 9);
    EXPECT_GE(c, last);
    EXPECT_LE(c, 1.0);
    last = c;
  }
}

}  // namespace
}  // namespace ringcast::ai
