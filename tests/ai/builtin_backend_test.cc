#include "broker/ai/backends/builtin_backend.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/ai/ai_test_support.h"

namespace ringcast::ai {
namespace {

using test::entry;
using test::small_knowledge;

using test::band;
using test::high;
using test::low;
using test::zero;

// What the backend answers: an entry (by id) or a canned line (entry 0), with its intent,
// language and confidence.
struct answer_case {
  std::string message;
  std::int64_t entry;
  std::string_view intent;
  std::string language;
  band confidence;
  bool escalate = false;
};

const answer_case small_cases[] = {
    // Knowledge entries, their intent when they have one, else the detected one.
    {"How do I reset my password?", 1, intents::account, "en", high},
    {"Hi! I forgot my password", 1, intents::account, "en", high},
    {"Where is my order?", 2, intents::shipping, "en", high},
    {"How do I return an item?", 3, intents::unknown, "en", high},
    {"How do I cancel my order?", 6, intents::unknown, "en", high},
    {"When will I get my refund?", 4, intents::billing, "en", high},
    {"Hello, what are your opening hours?", 5, intents::unknown, "en", high},
    {"Can I send back an item I was charged for?", 3, intents::billing, "en", {0.5, 1.0}},
    // The customer's language first.
    {"¿Dónde está mi pedido?", 7, intents::shipping, "es", high},
    {"Hola, olvidé mi contraseña", 8, intents::account, "es", high},
    {"Où est ma commande ?", 9, intents::shipping, "fr", high},
    {"Wie setze ich mein Passwort zurück?", 10, intents::account, "de", high},
    // No Portuguese entry: the Spanish one that matches answers, in Spanish, with a low
    // confidence since the Portuguese words it does not know count against it.
    {"Onde está meu pedido?", 7, intents::shipping, "pt", low},
    // Canned lines, in the customer's language.
    {"Hello!", 0, intents::greeting, "en", high},
    {"Buenos días", 0, intents::greeting, "es", high},
    {"Merci beaucoup !", 0, intents::thanks, "fr", high},
    {"danke", 0, intents::thanks, "de", high},
    {"obrigado", 0, intents::thanks, "pt", high},
    {"I want to talk to a human", 0, intents::human_request, "en", high, true},
    {"Quero falar com um atendente", 0, intents::human_request, "pt", high, true},
    {"This is unacceptable!", 0, intents::complaint, "en", high},
    {"C'est inadmissible, je veux une réponse", 0, intents::complaint, "fr", high},
    // Nothing matches: a line asking for more, at confidence 0.
    {"What's the weather like?", 0, intents::unknown, "en", zero},
    {"My invoice is wrong", 0, intents::billing, "en", zero},
    {"", 0, intents::unknown, "en", zero},
    // Vague.
    {"I have a question about my order and the colour of the sofa", 2, intents::shipping, "en", low},
};

void check(const answer& a, const answer_case& c, const std::vector<knowledge_entry>& kb) {
  SCOPED_TRACE(c.message);
  if (c.entry) {
    EXPECT_EQ(a.text, entry(kb, c.entry).answer);
  } else {
    EXPECT_FALSE(a.text.empty());
    for (const auto& e : kb) EXPECT_NE(a.text, e.answer);
  }
  EXPECT_EQ(a.intent, c.intent);
  EXPECT_EQ(a.language, c.language);
  EXPECT_TRUE(c.confidence.holds(a.confidence)) << a.confidence;
  EXPECT_EQ(a.escalate, c.escalate);
}

TEST(builtin_backend, answers_from_the_knowledge_base_or_with_a_canned_line) {
  const auto kb = small_knowledge();
  builtin_backend b(kb);
  for (const auto& c : small_cases) {
    request r;
    r.content = c.message;
    const auto out = b.generate(r);
    ASSERT_TRUE(std::holds_alternative<answer>(out)) << c.message;
    check(std::get<answer>(out), c, kb);
  }
}

TEST(builtin_backend, canned_lines_differ_by_language) {
  builtin_backend b(small_knowledge());
  const auto en = b.respond("hello").text;
  const auto es = b.respond("hola").text;
  const auto fr = b.respond("bonjour").text;
  const auto de = b.respond("hallo").text;
  const auto pt = b.respond("olá").text;
  EXPECT_EQ((std::set<std::string>{en, es, fr, de, pt}).size(), 5u);
  EXPECT_NE(b.respond("hola").text, b.respond("gracias").text);
}

TEST(builtin_backend, asks_the_history_when_the_message_does_not_tell_the_language) {
  builtin_backend b(small_knowledge());
  const std::vector<turn> history = {
      {"customer", "Bonjour, j'ai une question"},
      {"ai", "Hello! How can I help you today?"},
      {"staff", "Hallo"},
  };
  EXPECT_EQ(b.respond("ok", history).language, "fr");
  EXPECT_EQ(b.respond("ok").language, "en");
  EXPECT_EQ(b.respond("Hallo", history).language, "de");  // the message itself wins
}

TEST(builtin_backend, a_message_of_unknown_language_takes_the_language_of_its_best_entry) {
  builtin_backend b(small_knowledge());
  const auto a = b.respond("setze zuruck");  // no word the detector knows; the German entry has both
  EXPECT_EQ(a.text, entry(small_knowledge(), 10).answer);
  EXPECT_EQ(a.language, "de");
}

TEST(builtin_backend, never_fails_on_long_or_binary_input) {
  builtin_backend b(small_knowledge());
  std::mt19937 rng(7);
  std::string noise(1 << 20, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  for (const std::string& message : {noise, std::string(1 << 20, 'a'), "password " + noise}) {
    request r;
    r.content = message;
    const auto out = b.generate(r);
    ASSERT_TRUE(std::holds_alternative<answer>(out));
    const auto& a = std::get<answer>(out);
    EXPECT_GE(a.confidence, 0);
    EXPECT_LE(a.confidence, 1);
    EXPECT_FALSE(a.text.empty());
  }
}

TEST(builtin_backend, takes_extra_human_request_words) {
  builtin_backend b(small_knowledge(), {.human_request_phrases = {"supervisor*"}});
  const auto a = b.respond("Get me your supervisor");
  EXPECT_TRUE(a.escalate);
  EXPECT_EQ(a.intent, intents::human_request);
}

TEST(builtin_backend, refuses_bad_entries_at_start_and_on_replace) {
  auto kb = small_knowledge();
  kb[3].language = "it";
  EXPECT_THROW(builtin_backend b(kb), std::invalid_argument);

  builtin_backend b(small_knowledge());
  EXPECT_EQ(b.replace(kb),
            "knowledge entry 4: \"language\" must be one of \"en\", \"es\", \"fr\", \"de\", \"pt\", not \"it\"");
  EXPECT_EQ(b.entry_count(), small_knowledge().size());
  EXPECT_EQ(b.respond("When will I get my refund?").text, entry(small_knowledge(), 4).answer);
}

TEST(builtin_backend, replace_swaps_the_knowledge_base) {
  builtin_backend b({});
  EXPECT_EQ(b.entry_count(), 0u);
  EXPECT_DOUBLE_EQ(b.respond("Where is my order?").confidence, 0);
  EXPECT_EQ(b.replace(small_knowledge()), "");
  EXPECT_EQ(b.entry_count(), small_knowledge().size());
  EXPECT_EQ(b.respond("Where is my order?").text, entry(small_knowledge(), 2).answer);
  EXPECT_EQ(b.replace({}), "");
  EXPECT_DOUBLE_EQ(b.respond("Where is my order?").confidence, 0);
}

// Two knowledge bases with the same questions and different answers: while one thread swaps them
// back and forth, every answer on the other threads must come whole from one of them.
TEST(builtin_backend, generate_runs_concurrently_with_replace) {
  const auto first = small_knowledge();
  auto second = small_knowledge();
  for (auto& e : second) e.answer = "(v2) " + e.answer;
  builtin_backend b(first);

  std::atomic<bool> stop{false};
  std::atomic<int> answers{0};
  std::atomic<int> wrong{0};
  const std::vector<std::pair<std::string, std::int64_t>> questions = {
      {"How do I reset my password?", 1}, {"Where is my order?", 2}, {"¿Dónde está mi pedido?", 7}};
  std::vector<std::thread> workers;
  for (int t = 0; t < 3; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; !stop.load() || i < 200; ++i) {
        const auto& [q, id] = questions[(i + t) % questions.size()];
        request r;
        r.content = q;
        const auto out = b.generate(r);
        const auto* a = std::get_if<answer>(&out);
        if (!a || (a->text != entry(first, id).answer && a->text != entry(second, id).answer)) ++wrong;
        ++answers;
      }
    });
  }
  for (int i = 0; i < 200; ++i) EXPECT_EQ(b.replace(i % 2 ? first : second), "");
  stop = true;
  for (auto& w : workers) w.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GE(answers.load(), 600);
}

// The sample knowledge base (deploy/knowledge.json), by the question of the entry that answers.
struct sample_case {
  std::string message;
  std::string entry_question;  // empty: a canned line
  std::string language;
  band confidence;
};

const sample_case sample_cases[] = {
    {"Where is my order?", "Where is my order?", "en", high},
    {"How can I track my parcel?", "Where is my order?", "en", high},
    {"I forgot my password", "How do I reset my password?", "en", high},
    {"How long does delivery take?", "How long does delivery take?", "en", high},
    {"Can I return an item?", "How do I return an item?", "en", high},
    {"I was charged twice", "I was charged twice for my order", "en", high},
    {"How do I cancel my order?", "How do I cancel my order?", "en", high},
    {"What payment methods do you accept?", "What payment methods do you accept?", "en", high},
    {"Do you have gift cards?", "Do you sell gift cards?", "en", high},
    {"How do I delete my account?", "How do I delete my account?", "en", high},
    {"¿Dónde está mi pedido?", "¿Dónde está mi pedido?", "es", high},
    {"¿Cuánto cuesta el envío?", "¿Cuánto cuesta el envío?", "es", high},
    {"Olvidé mi contraseña", "¿Cómo restablezco mi contraseña?", "es", high},
    {"Où est ma commande ?", "Où est ma commande ?", "fr", high},
    {"J'ai oublié mon mot de passe", "Comment réinitialiser mon mot de passe ?", "fr", high},
    {"Quel est le prix de la livraison ?", "Combien coûte la livraison ?", "fr", high},
    {"Wo ist meine Bestellung?", "Wo ist meine Bestellung?", "de", high},
    {"Wie lange dauert die Lieferung?", "Wie lange dauert die Lieferung?", "de", high},
    {"Ich habe mein Passwort vergessen", "Wie setze ich mein Passwort zurück?", "de", high},
    {"Onde está meu pedido?", "Onde está meu pedido?", "pt", high},
    {"Esqueci minha senha", "Como redefino minha senha?", "pt", high},
    {"Quanto custa o frete?", "Quanto custa o frete?", "pt", high},
    {"Hola", "", "es", high},
    {"What's the weather like in Paris?", "", "en", zero},
    {"I have a problem", "", "en", low},
};

TEST(builtin_backend, answers_from_the_sample_knowledge_base) {
  const auto kb = load_knowledge_file(RINGCAST_SOURCE_DIR "/deploy/knowledge.json");
  ASSERT_TRUE(kb.ok()) << kb.error;
  builtin_backend b(kb.entries);
  for (const auto& c : sample_cases) {
    SCOPED_TRACE(c.message);
    const auto a = b.respond(c.message);
    if (!c.entry_question.empty()) {
      const knowledge_entry* expected = nullptr;
      for (const auto& e : kb.entries)
        if (e.question == c.entry_question) expected = &e;
      ASSERT_NE(expected, nullptr);
      EXPECT_EQ(a.text, expected->answer);
    }
    EXPECT_EQ(a.language, c.language);
    EXPECT_TRUE(c.confidence.holds(a.confidence)) << a.confidence;
  }
}

}  // namespace
}  // namespace ringcast::ai
