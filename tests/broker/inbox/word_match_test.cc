#include "broker/inbox/word_match.h"

#include <gtest/gtest.h>

namespace ringcast::broker::inbox {
namespace {

TEST(word_match, whole_words_case_insensitive) {
  EXPECT_TRUE(contains_phrase("This is URGENT!", "urgent"));
  EXPECT_TRUE(contains_phrase("urgent", "urgent"));
  EXPECT_FALSE(contains_phrase("an insurgent", "urgent"));
  EXPECT_FALSE(contains_phrase("urgently", "urgent"));
  EXPECT_TRUE(contains_phrase("I want to talk to a Real Person.", "real person"));
  EXPECT_FALSE(contains_phrase("realperson", "real person"));
  EXPECT_FALSE(contains_phrase("", "x"));
  EXPECT_FALSE(contains_phrase("x", ""));
}

TEST(word_match, non_ascii_bytes_are_letters_and_compare_exactly) {
  EXPECT_TRUE(contains_phrase("es muy urgente, por favor", "urgente"));
  EXPECT_TRUE(contains_phrase("quero falar com um atendente já", "atendente"));
  EXPECT_FALSE(contains_phrase("dringendé", "dringend"));
  EXPECT_TRUE(contains_phrase("c'est très important", "très"));
}

TEST(word_match, any_of_a_flag_list) {
  const auto words = split_phrases(" urgent, asap ,, human agent ,");
  ASSERT_EQ(words.size(), 3u);
  EXPECT_EQ(words[2], "human agent");
  EXPECT_TRUE(contains_any("please ASAP", words));
  EXPECT_TRUE(contains_any("a human agent please", words));
  EXPECT_FALSE(contains_any("a human please", words));
  EXPECT_TRUE(split_phrases("").empty());
}

}  // namespace
}  // namespace ringcast::broker::inbox
