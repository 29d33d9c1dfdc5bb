#include "broker/ai/backends/intent.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "broker/ai/backends/text.h"

namespace ringcast::ai {
namespace {

struct intent_case {
  std::string message;
  std::string_view intent;
  bool courtesy_only = false;
};

const intent_case intent_cases[] = {
    // Greetings and thanks alone, in the five languages.
    {"Hi!", intents::greeting, true},
    {"Hello there", intents::greeting, true},
    {"Good morning", intents::greeting, true},
    {"hola", intents::greeting, true},
    {"Buenos días", intents::greeting, true},
    {"Bonjour", intents::greeting, true},
    {"Guten Tag", intents::greeting, true},
    {"Bom dia", intents::greeting, true},
    {"Olá, tudo bem?", intents::greeting, true},
    {"Thanks a lot!", intents::thanks, true},
    {"thank you so much", intents::thanks, true},
    {"Muchas gracias", intents::thanks, true},
    {"Merci beaucoup", intents::thanks, true},
    {"Vielen Dank", intents::thanks, true},
    {"Obrigada pela ajuda", intents::thanks, true},
    {"Hi, thanks!", intents::thanks, true},
    {"Hello, I need help", intents::greeting, true},
    // A greeting before a question is not the intent.
    {"Hi, where is my order?", intents::shipping},
    {"Thanks, but I was charged twice", intents::billing},
    // Topics.
    {"I was charged twice", intents::billing},
    {"Can I get an invoice?", intents::billing},
    {"When will I get my refund?", intents::billing},
    {"Me cobraron dos veces", intents::billing},
    {"Je voudrais ma facture", intents::billing},
    {"Wann bekomme ich meine Rückerstattung?", intents::billing},
    {"Quero a fatura do meu pedido", intents::billing},
    {"I forgot my password", intents::account},
    {"I can't log in to my account", intents::account},
    {"Olvidé mi contraseña", intents::account},
    {"J'ai oublié mon mot de passe", intents::account},
    {"Ich kann mich nicht anmelden", intents::account},
    {"Esqueci minha senha", intents::account},
    {"Where is my order?", intents::shipping},
    {"My package hasn't arrived", intents::shipping},
    {"¿Dónde está mi pedido?", intents::shipping},
    {"Où est ma commande ?", intents::shipping},
    {"Die Lieferung ist nicht angekommen", intents::shipping},
    {"Meu pedido não chegou", intents::shipping},
    {"The app keeps crashing", intents::technical},
    {"The website doesn't work", intents::technical},
    {"La página no funciona", intents::technical},
    {"L'appli ne marche pas", intents::technical},
    {"Die Seite funktioniert nicht", intents::technical},
    {"O aplicativo não funciona", intents::technical},
    // Complaints outrank topics.
    {"This is unacceptable, I was charged twice!", intents::complaint},
    {"I want to make a complaint", intents::complaint},
    {"Es inaceptable", intents::complaint},
    {"Je suis très déçu", intents::complaint},
    {"Ich möchte mich beschweren", intents::complaint},
    {"Isso é um absurdo", intents::complaint},
    // Asking for a person outranks everything.
    {"I want to talk to a human", intents::human_request},
    {"Can I speak to a real person?", intents::human_request},
    {"Let me talk to someone please", intents::human_request},
    {"Get me a representative", intents::human_request},
    {"This is terrible, I want to speak to a manager", intents::human_request},
    {"Quiero hablar con una persona", intents::human_request},
    {"Necesito hablar con alguien", intents::human_request},
    {"Je veux parler à un humain", intents::human_request},
    {"Puis-je parler à quelqu'un ?", intents::human_request},
    {"Ich möchte mit einem Menschen sprechen", intents::human_request},
    {"Kann ich mit jemandem sprechen?", intents::human_request},
    {"Quero falar com um atendente", intents::human_request},
    {"Posso falar com alguém?", intents::human_request},
    // Nothing known.
    {"What's the weather like?", intents::unknown},
    {"", intents::unknown},
};

TEST(intent_detector, detects_the_intent_in_five_languages) {
  const intent_detector d;
  for (const auto& c : intent_cases) {
    const auto r = d.detect(tokenize(c.message));
    EXPECT_EQ(r.intent, c.intent) << c.message;
    EXPECT_EQ(r.courtesy_only, c.courtesy_only) << c.message;
  }
}

bool asks_for_a_person(const intent_detector& d, std::string_view message) {
  return d.detect(tokenize(message)).intent == intents::human_request;
}

TEST(intent_detector, phrase_words_may_be_apart_but_in_order) {
  intent_detector d;
  d.add_human_request_phrases(std::vector<std::string>{"alpha omega"});
  EXPECT_TRUE(asks_for_a_person(d, "alpha omega"));
  EXPECT_TRUE(asks_for_a_person(d, "alpha x x x omega"));
  EXPECT_FALSE(asks_for_a_person(d, "alpha x x x x omega"));
  EXPECT_FALSE(asks_for_a_person(d, "omega alpha"));
  EXPECT_FALSE(asks_for_a_person(d, "alpha"));
}

TEST(intent_detector, marks_the_courtesy_tokens) {
  const intent_detector d;
  const auto r = d.detect(tokenize("Buenos días, ¿dónde está mi pedido?"));
  EXPECT_EQ(r.intent, intents::shipping);
  EXPECT_FALSE(r.courtesy_only);
  EXPECT_EQ(r.courtesy, (std::vector<bool>{true, true, false, false, false, false}));
}

TEST(intent_detector, takes_extra_human_request_phrases) {
  intent_detector d;
  EXPECT_FALSE(asks_for_a_person(d, "Get me a supervisor"));
  EXPECT_FALSE(asks_for_a_person(d, "Quiero un responsable"));
  d.add_human_request_phrases(std::vector<std::string>{"supervisor*", "quiero responsable", "Kundenbetreuer"});
  for (auto message : {"Get me a supervisor", "supervisors only", "Quiero un responsable", "Bitte einen Kundenbetreuer",
                       "I want a human"})  // the built-in ones stay
    EXPECT_TRUE(asks_for_a_person(d, message)) << message;
}

TEST(intent_detector, refuses_a_phrase_without_a_word) {
  intent_detector d;
  for (std::string bad : {"", "   ", "*", "?!"})
    EXPECT_THROW(d.add_human_request_phrases(std::vector<std::string>{bad}), std::invalid_argument) << bad;
}

}  // namespace
}  // namespace ringcast::ai
