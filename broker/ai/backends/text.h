#pragma once
// Text analysis for the builtin backend, in the five languages it knows: UTF-8 tokenization with
// case and accent folding, stopwords, question words and a light stemmer. Everything here is
// stateless and thread-safe.
//
// Tokens: runs of letters and digits, so punctuation, spaces, apostrophes and emoji split them
// ("l'adresse" -> "l", "adresse"; "don't" -> "don", "t"). ASCII is lowercased; Latin letters of
// U+00C0..U+017F are folded to their ASCII base ("Contraseña" -> "contrasena", "Straße" ->
// "strasse", "œuvre" -> "oeuvre"); combining accents (U+0300..U+036F) are dropped, so decomposed
// input folds the same way. Letters of other scripts are kept as they are (not case-folded).
// Invalid UTF-8 is a separator. A token longer than max_token_bytes is dropped (a pasted hash or
// URL matches nothing anyway) and a message yields at most max_tokens tokens.
//
// The word tables (text.cc, language.cc) are written folded and intent.cc's phrases are folded on
// load, so all matching compares folded text.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::ai {

enum class lang : std::uint8_t { en, es, fr, de, pt };
inline constexpr std::size_t lang_count = 5;
inline constexpr lang all_langs[lang_count] = {lang::en, lang::es, lang::fr, lang::de, lang::pt};

// "en", "es", "fr", "de", "pt".
std::string_view code(lang l) noexcept;
// The language of an ISO 639-1 code among the five (lowercase only).
std::optional<lang> lang_of_code(std::string_view code) noexcept;

inline constexpr std::size_t max_token_bytes = 48;
inline constexpr std::size_t max_tokens = 512;

// The next code point of `s` at `pos`, advancing `pos`; invalid_code_point (and one byte) for a
// malformed or overlong sequence, a surrogate or a value past U+10FFFF.
inline constexpr char32_t invalid_code_point = 0xFFFFFFFF;
char32_t next_code_point(std::string_view s, std::size_t& pos) noexcept;

// The folded tokens of a UTF-8 message, in order.
std::vector<std::string> tokenize(std::string_view utf8);

// Function words that carry no topic ("the", "de", "und"...), plus courtesy words ("please",
// "bitte"). Tokens must be folded.
bool is_stopword(lang l, std::string_view token) noexcept;
// Interrogatives ("where", "cuando", "wie"): kept, since "where is my order" and "how do I cancel
// my order" differ only by them, but weighed less than topic words (see bm25.h).
bool is_question_word(lang l, std::string_view token) noexcept;
// The stopword and question-word tables, for language detection.
std::span<const std::string_view> stopwords(lang l) noexcept;
std::span<const std::string_view> question_words(lang l) noexcept;

// Light suffix stripping, so that plural, gender and the commonest verb and noun endings of one
// word meet; not a full morphological stemmer (it never looks at a dictionary), and it never
// shortens a word below three letters. Tokens with a digit are left alone. Per language:
//   en: -ies -> -y, -sses -> -ss, -es after s/x/z/ch/sh, or -s (not -ss/-us/-is); then -ing, -ed,
//       -ation or -ment; then a final -e or -y; then a doubled final consonant is undoubled
//       (orders, ordering -> order; deliveries, delivered -> deliver; shipping, shipment -> ship;
//       charges, charge -> charg; billing, bill -> bil).
//   es: -iones -> -ion; then a participle -ado/-ido (-a, -os, -as), or -os/-as/-es or an
//       infinitive -ar/-er/-ir, or -o/-a/-e/-s (pedidos, pedido, pedir -> ped; envios, enviar ->
//       envi; devoluciones -> devolucion).
//   pt: -oes/-aes -> -ao, -ais -> -al; then as es (devolucoes, devolucao -> devoluca).
//   fr: -aux -> -al, or -ement; else a final -s/-x, then -e (twice: -ee), then -er/-ez
//       (commandes, commander -> command; remboursement, rembourser -> rembours).
//   de: -ern/-em/-en/-er/-es, or -e/-n/-s (bestellungen -> bestellung, kunden -> kund).
void stem(lang l, std::string& token);

// A message's terms for retrieval in one language: the tokens that are not stopwords, stemmed;
// `question` marks the question words. Duplicates are kept (the index counts them).
struct term {
  std::string text;
  bool question = false;
};
std::vector<term> analyze(lang l, std::span<const std::string> tokens);

}  // namespace ringcast::ai
