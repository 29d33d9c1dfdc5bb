#include "broker/ai/backends/text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringcast::ai {
namespace {

using tokens = std::vector<std::string>;

struct tokenize_case {
  std::string input;
  tokens expected;
};

const tokenize_case tokenize_cases[] = {
    {"How do I reset my PASSWORD?", {"how", "do", "i", "reset", "my", "password"}},
    {"Contraseña", {"contrasena"}},
    {"Straße", {"strasse"}},
    {"ÇA VA, François ?", {"ca", "va", "francois"}},
    {"Œuvre, cœur, Æsir", {"oeuvre", "coeur", "aesir"}},
    {"Rückerstattung für Bestellungen", {"ruckerstattung", "fur", "bestellungen"}},
    {"devoluções não são", {"devolucoes", "nao", "sao"}},
    {"Łódź, Šibenik, İstanbul", {"lodz", "sibenik", "istanbul"}},
    {"l'adresse, don't, it’s", {"l", "adresse", "don", "t", "it", "s"}},
    {"e\u0301te\u0301", {"ete"}},  // decomposed accents
    {"Order #12345 (2x)!", {"order", "12345", "2x"}},
    {"hi😀there", {"hi", "there"}},
    {"¿¡Hola!?", {"hola"}},
    {"a\u00A0b\u2014c«d»", {"a", "b", "c", "d"}},            // no-break space, em dash, guillemets
    {std::string("bad\xFF") + "byte\xC3", {"bad", "byte"}},  // invalid UTF-8 separates
    {"over\xC0\xAFlong", {"over", "long"}},                  // an overlong '/' is not a letter
    {"Привет мир", {"Привет", "мир"}},                       // other scripts kept as written
    {"日本語", {"日本語"}},
    {"", {}},
    {" ,.;:!? ", {}},
};

TEST(tokenize, folds_case_and_accents_and_splits_on_non_letters) {
  for (const auto& c : tokenize_cases) EXPECT_EQ(tokenize(c.input), c.expected) << c.input;
}

TEST(tokenize, drops_overlong_tokens_and_caps_the_count) {
  const std::string hash(max_token_bytes + 1, 'x');
  EXPECT_EQ(tokenize("abc " + hash + " def"), (tokens{"abc", "def"}));
  EXPECT_EQ(tokenize(std::string(max_token_bytes, 'y')).size(), 1u);
  std::string many;
  for (std::size_t i = 0; i < max_tokens + 100; ++i) many += "w ";
  EXPECT_EQ(tokenize(many).size(), max_tokens);
}

TEST(next_code_point, rejects_malformed_sequences_one_byte_at_a_time) {
  struct code_point_case {
    std::string input;
    char32_t expected;
    std::size_t advance;
  };
  const code_point_case cases[] = {
      {"a", U'a', 1},
      {"ñ", U'ñ', 2},
      {"€", U'€', 3},
      {"😀", U'😀', 4},
      {"\xC0\xAF", invalid_code_point, 1},          // overlong
      {"\xED\xA0\x80", invalid_code_point, 1},      // surrogate
      {"\xF4\x90\x80\x80", invalid_code_point, 1},  // past U+10FFFF
      {"\xE2\x82", invalid_code_point, 1},          // cut short
      {"\x80", invalid_code_point, 1},              // lone continuation
  };
  for (const auto& c : cases) {
    std::size_t pos = 0;
    EXPECT_EQ(next_code_point(c.input, pos), c.expected) << c.input;
    EXPECT_EQ(pos, c.advance) << c.input;
  }
}

struct stem_case {
  lang l;
  std::vector<std::string> words;  // folded; all must stem alike
  std::string stem;
};

const stem_case stem_cases[] = {
    {lang::en, {"orders", "ordered", "ordering", "order"}, "order"},
    {lang::en, {"shipping", "shipped", "ships", "shipment"}, "ship"},
    {lang::en, {"deliveries", "delivery", "delivered", "delivering"}, "deliver"},
    {lang::en, {"addresses", "address"}, "addres"},
    {lang::en, {"charges", "charged", "charge", "charging"}, "charg"},
    {lang::en, {"cancelled", "cancellation", "cancel", "canceled"}, "cancel"},
    {lang::en, {"payments", "payment", "paying", "pay"}, "pay"},
    {lang::en, {"boxes", "box"}, "box"},
    {lang::es, {"pedidos", "pedido", "pedir"}, "ped"},
    {lang::es, {"devoluciones", "devolucion"}, "devolucion"},
    {lang::es, {"envios", "envio", "enviar"}, "envi"},
    {lang::es, {"clientes", "cliente"}, "client"},
    {lang::pt, {"devolucoes", "devolucao"}, "devoluca"},
    {lang::pt, {"senhas", "senha"}, "senh"},
    {lang::pt, {"cobrado", "cobrar", "cobro"}, "cobr"},
    {lang::fr, {"commandes", "commande", "commander", "commandez"}, "command"},
    {lang::fr, {"livree", "livrees", "livrer"}, "livr"},
    {lang::fr, {"remboursement", "rembourser"}, "rembours"},
    {lang::fr, {"journaux", "journal"}, "journal"},
    {lang::de, {"bestellungen", "bestellung"}, "bestellung"},
    {lang::de, {"passworter", "passwort"}, "passwort"},
    {lang::de, {"kunden", "kunde"}, "kund"},
};

TEST(stem, meets_the_forms_of_a_word) {
  for (const auto& c : stem_cases) {
    for (auto w : c.words) {
      stem(c.l, w);
      EXPECT_EQ(w, c.stem) << code(c.l) << " " << c.words.front();
    }
  }
}

TEST(stem, leaves_short_words_and_numbers_alone) {
  for (std::string w : {"bus", "is", "as", "12345", "a4s", "2fas"}) {
    const std::string before = w;
    stem(lang::en, w);
    EXPECT_EQ(w, before);
  }
  std::string w = "used";  // "-ed" would leave two letters
  stem(lang::en, w);
  EXPECT_EQ(w, "used");
}

TEST(word_tables, are_written_folded_and_question_words_are_not_stopwords) {
  for (lang l : all_langs) {
    for (auto family : {stopwords(l), question_words(l)}) {
      for (auto w : family) {
        EXPECT_EQ(tokenize(w), tokens{std::string(w)}) << code(l) << " " << w;
        EXPECT_FALSE(is_stopword(l, w) && is_question_word(l, w)) << code(l) << " " << w;
      }
    }
  }
  EXPECT_TRUE(is_stopword(lang::de, "und"));
  EXPECT_FALSE(is_stopword(lang::en, "und"));
  EXPECT_TRUE(is_question_word(lang::fr, "ou"));
}

TEST(analyze, drops_stopwords_stems_and_marks_question_words) {
  const auto terms = analyze(lang::en, tokenize("Where are my orders, please?"));
  ASSERT_EQ(terms.size(), 2u);
  EXPECT_EQ(terms[0].text, "where");
  EXPECT_TRUE(terms[0].question);
  EXPECT_EQ(terms[1].text, "order");
  EXPECT_FALSE(terms[1].question);
  EXPECT_TRUE(analyze(lang::es, tokenize("de la que y")).empty());
}

TEST(lang_codes, round_trip_and_reject_others) {
  for (lang l : all_langs) EXPECT_EQ(lang_of_code(code(l)), l);
  EXPECT_FALSE(lang_of_code("it"));
  EXPECT_FALSE(lang_of_code("EN"));
  EXPECT_FALSE(lang_of_code(""));
}

}  // namespace
}  // namespace ringcast::ai
