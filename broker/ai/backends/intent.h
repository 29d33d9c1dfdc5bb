#pragma once
// What a customer's message is about, from phrase tables in en, es, fr, de and pt (intent.cc).
//
// A phrase is one or more words; a word ending in '*' matches every token that starts with it
// ("refund*": refund, refunds, refunded). Phrases are folded like messages (text.h), so tables
// and --ai-human-words may be written with accents. A phrase matches when its words appear in the
// message in order with at most max_phrase_gap other tokens between two of them, so "talk human"
// matches "can I talk to a real human" and "mensch* sprechen" matches "mit einem Menschen
// sprechen". A phrase of several words counts twice as much as a single word.
//
// The intent of a message, first that applies: human_request, complaint, the topic with the most
// weight (billing, account, shipping, technical; in that order on a tie), thanks, greeting,
// unknown. An intent_detector is immutable once built, and detect() may run on several threads.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/ai/backends/backend.h"

namespace ringcast::ai {

inline constexpr std::size_t max_phrase_gap = 3;

struct intent_result {
  std::string_view intent = intents::unknown;  // one of the intents:: names
  // The message is only greetings and thanks (with stopwords and fillers such as "so much").
  bool courtesy_only = false;
  // Per token: part of a greeting or thanks phrase, so retrieval can leave it out.
  std::vector<bool> courtesy;
};

class intent_detector {
 public:
  intent_detector();

  // Adds phrases that mean "I want a person" to the built-in ones (--ai-human-words). Throws
  // std::invalid_argument, at start-up, for a phrase without a single word.
  void add_human_request_phrases(std::span<const std::string> phrases);

  // `tokens` are tokenize(message).
  intent_result detect(std::span<const std::string> tokens) const;

 private:
  enum class kind : std::uint8_t { greeting, thanks, billing, account, shipping, technical, complaint, human_request };
  static constexpr std::size_t kind_count = 8;
  struct word {
    std::string text;
    bool prefix = false;
  };
  struct phrase {
    std::vector<word> words;
    kind what;
  };

  void add(kind what, std::string_view phrase_text);
  // Where `p` matches from tokens[start] on: one past the last token it used, or 0 when it does not.
  std::size_t match(const phrase& p, std::span<const std::string> tokens, std::size_t start) const noexcept;

  std::vector<phrase> phrases_;
  // Phrases by their first word, so a token is checked only against phrases that can start there;
  // those whose first word is a prefix by its first prefix_key_bytes bytes (shorter ones apart).
  static constexpr std::size_t prefix_key_bytes = 3;
  std::unordered_map<std::string, std::vector<std::uint32_t>> by_first_word_;
  std::unordered_map<std::string, std::vector<std::uint32_t>> by_prefix_key_;
  std::vector<std::uint32_t> short_prefix_first_;
};

}  // namespace ringcast::ai
