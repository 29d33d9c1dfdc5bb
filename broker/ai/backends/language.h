#pragma once
// Which of en, es, fr, de, pt a customer's message is written in. Each token that is a known word
// of some languages (their stopwords, question words, greetings and common support words) gives
// each of them 1/k, k being how many of the five know the word, so "hola" counts 1 for Spanish
// and "que" 1/3 each for Spanish, French and Portuguese. Characters only some languages write add
// their own hints: n-tilde and inverted marks for Spanish, a/o-tilde for Portuguese, sharp s and
// umlauts for German, e/u-grave, i/u-circumflex, diaeresis and the oe ligature for French; a/e/o-
// circumflex, a-grave and cedilla count half for French and half for Portuguese, and acute accents
// are shared likewise by the languages that write them. The language with the highest score
// wins; with no score at all, or a tie for first place, the result is not sure and says the
// fallback. Stateless and thread-safe.
#include <span>
#include <string>
#include <string_view>

#include "broker/ai/backends/text.h"

namespace ringcast::ai {

struct language_guess {
  ai::lang lang = ai::lang::en;
  bool sure = false;  // false: no evidence, or a tie; `lang` is then the fallback
};

// `tokens` are tokenize(message); the message is read again for its accented characters.
language_guess detect_language(std::string_view message, std::span<const std::string> tokens,
                               ai::lang fallback = ai::lang::en);
language_guess detect_language(std::string_view message, ai::lang fallback = ai::lang::en);

}  // namespace ringcast::ai
