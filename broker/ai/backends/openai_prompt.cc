#include "broker/ai/backends/openai_prompt.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace ringcast::ai::openai {

namespace {

// The intents the broker understands (backend.h); naming them keeps the model's choice among them.
constexpr const char* known_intents[] = {
    intents::greeting, intents::billing,       intents::account, intents::shipping, intents::technical,
    intents::complaint, intents::human_request, intents::thanks,  intents::unknown,
};

boost::json::object message(const char* role, const std::string& content) {
  return boost::json::object{{"role", role}, {"content", content}};
}

}  // namespace

std::string system_prompt(const std::vector<knowledge_entry>& knowledge) {
  std::string p =
      "You are the customer-support assistant of a company's support inbox. Answer the customer's "
      "last message helpfully and briefly, in the language the customer writes in. Base your answer "
      "on the knowledge-base entries below; do not invent prices, policies, dates or facts that they "
      "do not give. If you cannot answer reliably, or the customer asks for a person, set escalate "
      "to true so that a human agent takes over.\n"
      "Reply ONLY with one JSON object and no other text, of this form:\n"
      "{\"answer\": string, \"confidence\": number from 0 to 1, \"intent\": string, \"escalate\": "
      "boolean}\n"
      "confidence is how sure you are that the answer is correct and complete. intent is one of:";
  for (const char* intent : known_intents) {
    p += ' ';
    p += intent;
  }
  p += ".\n\n";
  if (knowledge.empty()) {
    p += "No knowledge-base entry matches this message.";
    return p;
  }
  p += "Knowledge-base entries:";
  int n = 0;
  for (const auto& [question, answer] : knowledge) {
    p += "\n" + std::to_string(++n) + ". Q: " + question + "\n   A: " + answer;
  }
  return p;
}

const char* chat_role(const std::string& sender_type) noexcept {
  if (sender_type == "customer") return "user";
  if (sender_type == "ai" || sender_type == "staff") return "assistant";
  return "";
}

std::string build_request_body(const prompt_settings& s, const request& r,
                               const std::vector<knowledge_entry>& knowledge) {
  boost::json::array dialogue;
  for (const turn& t : r.history) {
    const char* role = chat_role(t.sender_type);
    if (*role != '\0' && !t.content.empty()) dialogue.push_back(message(role, t.content));
  }
  boost::json::array messages;
  messages.reserve(std::min(dialogue.size(), s.max_history) + 2);
  messages.push_back(message("system", system_prompt(knowledge)));
  std::size_t skip = dialogue.size() > s.max_history ? dialogue.size() - s.max_history : 0;
  for (std::size_t i = skip; i < dialogue.size(); ++i) messages.push_back(std::move(dialogue[i]));
  messages.push_back(message("user", r.content));

  boost::json::object body{
      {"model", s.model},
      {"messages", std::move(messages)},
      {"response_format", boost::json::object{{"type", "json_object"}}},
      {"temperature", s.temperature},
  };
  return boost::json::serialize(body);
}

}  // namespace ringcast::ai::openai
