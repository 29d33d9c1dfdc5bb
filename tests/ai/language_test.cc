#include "broker/ai/backends/language.h"

#include <gtest/gtest.h>

#include <string>

namespace ringcast::ai {
namespace {

struct language_case {
  std::string message;
  lang expected;
};

const language_case sure_cases[] = {
    // One word is enough for the usual openers and closers.
    {"hola", lang::es},
    {"Gracias", lang::es},
    {"bonjour", lang::fr},
    {"merci", lang::fr},
    {"obrigado", lang::pt},
    {"Olá", lang::pt},
    {"danke", lang::de},
    {"Hallo", lang::de},
    {"hello", lang::en},
    {"thanks", lang::en},
    // Sentences.
    {"Where is my order?", lang::en},
    {"I forgot my password and cannot log in", lang::en},
    {"¿Dónde está mi pedido?", lang::es},
    {"Quiero cambiar la dirección de envío", lang::es},
    {"Necesito ayuda con mi cuenta", lang::es},
    {"Où est ma commande ?", lang::fr},
    {"J'ai oublié mon mot de passe", lang::fr},
    {"Je n'ai pas reçu mon colis", lang::fr},
    {"Wo ist meine Bestellung?", lang::de},
    {"Ich habe mein Passwort vergessen", lang::de},
    {"Mein Paket ist noch nicht angekommen", lang::de},
    {"Onde está meu pedido?", lang::pt},
    {"Esqueci minha senha", lang::pt},
    {"Não recebi a minha encomenda", lang::pt},
    {"Você pode me ajudar?", lang::pt},
    // Characters alone tell some languages.
    {"¿?", lang::es},
    {"Straße", lang::de},
    {"ção", lang::pt},
    // Without accents, the words still tell.
    {"donde esta mi pedido", lang::es},
    {"ou est ma commande", lang::fr},
    {"wo ist meine bestellung", lang::de},
};

TEST(detect_language, tells_the_five_languages_apart) {
  for (const auto& c : sure_cases) {
    const auto g = detect_language(c.message);
    EXPECT_TRUE(g.sure) << c.message;
    EXPECT_EQ(code(g.lang), code(c.expected)) << c.message;
  }
}

TEST(detect_language, says_the_fallback_when_unsure) {
  // No evidence, or words that several languages share ("que": es, fr, pt; "no": en, es, pt).
  for (std::string message : {"", "ok", "12345", "asdf qwerty", "que", "no", "😀"}) {
    const auto g = detect_language(message);
    EXPECT_FALSE(g.sure) << message;
    EXPECT_EQ(g.lang, lang::en) << message;
    EXPECT_EQ(detect_language(message, lang::fr).lang, lang::fr) << message;
  }
}

TEST(detect_language, reads_accents_from_the_message_not_the_tokens) {
  // The tokens are folded, so "ñ" survives only in the raw message.
  const std::string message = "Señor";
  const auto tokens = tokenize(message);
  ASSERT_EQ(tokens, std::vector<std::string>{"senor"});
  EXPECT_EQ(detect_language(message, tokens).lang, lang::es);
}

}  // namespace
}  // namespace ringcast::ai
