#include "broker/ai/backends/builtin_backend.h"

#include <array>
#include <stdexcept>

#include "broker/ai/backends/language.h"
#include "broker/ai/backends/text.h"

namespace ringcast::ai {
namespace {

// The canned lines, {en, es, fr, de, pt}.
using line = std::array<std::string_view, lang_count>;
constexpr line greeting_line = {
    "Hello! How can I help you today?",
    "¡Hola! ¿En qué puedo ayudarte hoy?",
    "Bonjour ! Comment puis-je vous aider aujourd'hui ?",
    "Hallo! Wie kann ich Ihnen heute helfen?",
    "Olá! Como posso ajudar você hoje?",
};
constexpr line thanks_line = {
    "You're welcome! Is there anything else I can help you with?",
    "¡De nada! ¿Hay algo más en lo que pueda ayudarte?",
    "Avec plaisir ! Puis-je vous aider pour autre chose ?",
    "Gern geschehen! Kann ich Ihnen sonst noch helfen?",
    "De nada! Posso ajudar em mais alguma coisa?",
};
constexpr line human_line = {
    "Of course. I'm passing your conversation to a member of our team, who will reply here shortly.",
    "Por supuesto. Paso tu conversación a una persona de nuestro equipo, que te responderá aquí en breve.",
    "Bien sûr. Je transmets votre conversation à un membre de notre équipe, qui vous répondra ici sous peu.",
    "Gern. Ich gebe Ihr Gespräch an jemanden aus unserem Team weiter, der Ihnen hier in Kürze antwortet.",
    "Claro. Vou passar sua conversa para uma pessoa da nossa equipe, que responderá aqui em breve.",
};
constexpr line complaint_line = {
    "I'm sorry about this. I'm passing your message to a member of our team so they can look into it.",
    "Lamento mucho lo ocurrido. Paso tu mensaje a una persona de nuestro equipo para que lo revise.",
    "Je suis désolé de cette situation. Je transmets votre message à un membre de notre équipe.",
    "Das tut mir leid. Ich gebe Ihre Nachricht an unser Team weiter, damit sich jemand darum kümmert.",
    "Sinto muito pelo ocorrido. Vou passar sua mensagem para uma pessoa da nossa equipe.",
};
constexpr line unsure_line = {
    "I'm not sure I understood. Could you tell me a bit more?",
    "No estoy seguro de haberte entendido. ¿Puedes darme más detalles?",
    "Je ne suis pas sûr d'avoir compris. Pouvez-vous m'en dire un peu plus ?",
    "Ich bin nicht sicher, ob ich Sie verstanden habe. Können Sie mir etwas mehr dazu sagen?",
    "Não tenho certeza se entendi. Pode me dar mais detalhes?",
};

// The canned replies are sure of what was said, not of a knowledge entry: high enough to pass
// any sensible --ai-min-confidence.
constexpr double courtesy_confidence = 0.95;
constexpr double complaint_confidence = 0.9;
constexpr double human_confidence = 1.0;
// Earlier customer messages asked for the language when the current one does not tell.
constexpr std::size_t history_turns_for_language = 3;

std::string_view head(std::string_view s) noexcept { return s.substr(0, max_analyzed_bytes); }

language_guess customer_language(std::string_view message, std::span<const std::string> tokens,
                                 std::span<const turn> history) {
  if (const auto g = detect_language(message, tokens); g.sure) return g;
  std::size_t asked = 0;
  for (auto it = history.rbegin(); it != history.rend() && asked < history_turns_for_language; ++it) {
    if (it->sender_type != "customer") continue;
    ++asked;
    if (const auto g = detect_language(head(it->content)); g.sure) return g;
  }
  return {};
}

answer canned(const line& text, lang l, double confidence, std::string_view intent, bool escalate = false) {
  return {std::string(text[static_cast<std::size_t>(l)]), confidence, std::string(intent), std::string(code(l)),
          escalate};
}

std::shared_ptr<const knowledge_index> checked_index(std::vector<knowledge_entry> entries, std::string& error) {
  for (const auto& e : entries) {
    if (auto why = check_entry(e); !why.empty()) {
      error = "knowledge entry " + std::to_string(e.id) + ": " + why;
      return nullptr;
    }
  }
  return std::make_shared<const knowledge_index>(std::move(entries));
}

}  // namespace

builtin_backend::builtin_backend(std::vector<knowledge_entry> entries, builtin_options options) {
  intents_.add_human_request_phrases(options.human_request_phrases);
  std::string error;
  auto index = checked_index(std::move(entries), error);
  if (!index) throw std::invalid_argument(error);
  index_ = std::move(index);
}

std::string builtin_backend::replace(std::vector<knowledge_entry> entries) {
  std::string error;
  auto index = checked_index(std::move(entries), error);
  if (!index) return error;
  {
    const std::lock_guard lock(index_mutex_);
    index_.swap(index);
  }
  return {};  // the old snapshot goes here, outside the lock, unless a call still holds it
}

std::shared_ptr<const knowledge_index> builtin_backend::snapshot() const {
  const std::lock_guard lock(index_mutex_);
  return index_;
}

std::size_t builtin_backend::entry_count() const { return snapshot()->entries().size(); }

outcome builtin_backend::generate(const request& r) { return respond(r.content, r.history); }

answer builtin_backend::respond(std::string_view message, std::span<const turn> history) const {
  message = head(message);
  const auto tokens = tokenize(message);
  const language_guess guess = customer_language(message, tokens, history);
  lang l = guess.lang;
  const intent_result intent = intents_.detect(tokens);

  if (intent.intent == intents::human_request)
    return canned(human_line, l, human_confidence, intents::human_request, true);
  if (intent.intent == intents::complaint) return canned(complaint_line, l, complaint_confidence, intents::complaint);
  if (intent.courtesy_only)
    return canned(intent.intent == intents::thanks ? thanks_line : greeting_line, l, courtesy_confidence,
                  intent.intent);

  // "Hi, where is my order?": the greeting is not part of the question.
  std::vector<std::string> question;
  question.reserve(tokens.size());
  for (std::size_t i = 0; i < tokens.size(); ++i)
    if (!intent.courtesy[i]) question.push_back(tokens[i]);

  const auto index = snapshot();
  // A language no detector could tell is best told by the entries the message matches.
  const auto found = guess.sure ? index->search(l, question) : index->search_any(question);
  if (!guess.sure && found.entry) l = *lang_of_code(found.entry->language);
  // A greeting beside a question says nothing of its topic.
  const bool courtesy = intent.intent == intents::greeting || intent.intent == intents::thanks;
  const std::string_view detected = courtesy ? intents::unknown : intent.intent;
  if (!found.entry) return canned(unsure_line, l, 0, detected);
  return {found.entry->answer, found.confidence,
          found.entry->intent.empty() ? std::string(detected) : found.entry->intent, std::string(code(l)), false};
}

std::optional<knowledge_entry> builtin_backend::best_entry(std::string_view message) const {
  const auto index = snapshot();
  const auto found = index->search_any(tokenize(head(message)));
  if (!found.entry) return std::nullopt;
  return *found.entry;
}

}  // namespace ringcast::ai
