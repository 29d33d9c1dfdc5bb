// The builtin AI backend on one thread: answers/s for a mix of customer messages in five languages
// (greetings, questions the knowledge base answers, vague and unrelated ones), against the sample
// knowledge base (deploy/knowledge.json, 80 entries) and against 200 entries (the sample plus 120
// product questions), then the parts of one answer on their own.
#include <benchmark/benchmark.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "broker/ai/backends/bm25.h"
#include "broker/ai/backends/builtin_backend.h"
#include "broker/ai/backends/intent.h"
#include "broker/ai/backends/knowledge.h"
#include "broker/ai/backends/language.h"
#include "broker/ai/backends/text.h"

namespace ringcast::ai {
namespace {

const std::vector<std::string> messages = {
    "Hi, where is my order?",
    "How do I reset my password?",
    "I was charged twice for my order, can you check?",
    "Can I return an item I bought last week?",
    "What are your opening hours?",
    "Thanks a lot!",
    "I want to talk to a human",
    "The app keeps crashing when I open my basket",
    "I have a problem",
    "What's the weather like in Paris?",
    "Hola, ¿dónde está mi pedido?",
    "Olvidé mi contraseña",
    "Bonjour, combien coûte la livraison ?",
    "J'ai oublié mon mot de passe",
    "Wie lange dauert die Lieferung nach Österreich?",
    "Ich möchte meine Bestellung stornieren",
    "Onde está meu pedido?",
    "Quero falar com um atendente",
    "Esqueci minha senha, o que faço?",
    "Do you ship to Canada and how much does it cost?",
};

std::vector<knowledge_entry> sample_knowledge() {
  auto kb = load_knowledge_file(RINGCAST_SOURCE_DIR "/deploy/knowledge.json");
  if (!kb.ok()) throw std::runtime_error(kb.error);
  return std::move(kb.entries);
}

// The sample plus 120 product questions (40 products, three questions each).
std::vector<knowledge_entry> knowledge_200() {
  auto kb = sample_knowledge();
  const char* products[] = {
      "sofa",           "armchair",    "dining table",  "desk",      "office chair",  "bookshelf", "wardrobe",
      "bed frame",      "mattress",    "pillow",        "duvet",     "bed linen",     "curtains",  "rug",
      "floor lamp",     "table lamp",  "ceiling light", "mirror",    "coffee table",  "sideboard", "tv stand",
      "shoe rack",      "coat hook",   "kitchen cart",  "bar stool", "garden chair",  "parasol",   "hammock",
      "picture frame",  "vase",        "candle",        "cushion",   "throw blanket", "towel",     "bath mat",
      "laundry basket", "storage box", "clothes rail",  "plant pot", "wall clock",
  };
  struct question {
    std::string_view question, answer, keyword;  // '%' stands for the product
  };
  const question questions[] = {
      {"How do I assemble the %?",
       "The % comes with illustrated instructions and every tool you need; assembly takes about 30 minutes.",
       "assembly"},
      {"What are the dimensions of the %?", "The dimensions of the % are on its product page, under Size and weight.",
       "measurements"},
      {"How do I clean the %?", "Wipe the % with a damp cloth and a mild detergent; see the care label for details.",
       "cleaning"},
  };
  const auto with = [](std::string_view text, const std::string& product) {
    std::string out(text);
    out.replace(out.find('%'), 1, product);
    return out;
  };
  std::int64_t id = static_cast<std::int64_t>(kb.size());
  for (const char* p : products)
    for (const auto& q : questions)
      kb.push_back({++id, with(q.question, p), with(q.answer, p), "product", "en", {std::string(q.keyword), p}});
  return kb;
}

void answer_loop(benchmark::State& state, const builtin_backend& b) {
  std::size_t i = 0;
  for (auto _ : state) {
    auto a = b.respond(messages[i++ % messages.size()]);
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("answers");
}

void BM_builtin_answer_sample(benchmark::State& state) {
  const builtin_backend b(sample_knowledge());
  answer_loop(state, b);
}
BENCHMARK(BM_builtin_answer_sample);

void BM_builtin_answer_200_entries(benchmark::State& state) {
  const builtin_backend b(knowledge_200());
  answer_loop(state, b);
}
BENCHMARK(BM_builtin_answer_200_entries);

// The parts of one answer.
void BM_tokenize(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(tokenize(messages[i++ % messages.size()]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_tokenize);

void BM_detect_language(benchmark::State& state) {
  std::vector<std::vector<std::string>> tokens;
  for (const auto& m : messages) tokens.push_back(tokenize(m));
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ % messages.size();
    benchmark::DoNotOptimize(detect_language(messages[k], tokens[k]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_detect_language);

void BM_detect_intent(benchmark::State& state) {
  const intent_detector d;
  std::vector<std::vector<std::string>> tokens;
  for (const auto& m : messages) tokens.push_back(tokenize(m));
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(d.detect(tokens[i++ % tokens.size()]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_detect_intent);

void BM_bm25_search_200_entries(benchmark::State& state) {
  const auto kb = knowledge_200();
  std::vector<const knowledge_entry*> en;
  for (const auto& e : kb)
    if (e.language == "en") en.push_back(&e);
  const bm25_index index(lang::en, en);
  std::vector<std::vector<std::string>> tokens;
  for (const auto& m : messages) tokens.push_back(tokenize(m));
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(index.search(tokens[i++ % tokens.size()], 2));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_bm25_search_200_entries);

}  // namespace
}  // namespace ringcast::ai
