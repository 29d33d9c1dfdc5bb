#pragma once
// The body of a chat-completions request (the OpenAI wire format, which compatible endpoints
// share): a system prompt with the knowledge-base entries, the recent conversation, then the
// customer's message. Sans-I/O: it only builds a string.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "broker/ai/backends/backend.h"

namespace ringcast::ai::openai {

// A knowledge-base entry as plain text: (question, answer).
using knowledge_entry = std::pair<std::string, std::string>;

struct prompt_settings {
  std::string model;
  std::size_t max_history = 10;  // the most recent turns kept; older ones are left out
  double temperature = 0.2;      // low: the answer should follow the knowledge base, not invent
};

// The system prompt: the role, the reply format and the entries (numbered, or a line saying there
// are none).
std::string system_prompt(const std::vector<knowledge_entry>& knowledge);

// "user" for the customer, "assistant" for the AI and staff, "" for turns left out (system notices
// and unknown senders: they are not part of the dialogue the model continues).
const char* chat_role(const std::string& sender_type) noexcept;

// The JSON request body: model, messages (system, the last max_history dialogue turns oldest first,
// the customer's message), response_format json_object and the temperature.
std::string build_request_body(const prompt_settings& s, const request& r,
                               const std::vector<knowledge_entry>& knowledge);

}  // namespace ringcast::ai::openai
