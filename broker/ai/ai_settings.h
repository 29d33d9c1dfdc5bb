#pragma once
// The AI auto-responder's flags (server/options.cc parses them).
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "broker/ai/retry_policy.h"

namespace ringcast::broker::ai {

struct ai_settings {
  std::string backend = "builtin";  // builtin | openai | off
  unsigned concurrency = 3;         // worker threads: jobs generating at once
  // From a customer message's commit to the reply or the fallback reaching the customer.
  std::chrono::milliseconds deadline{5500};
  std::string fallback_text = "Thanks for your message! A member of our team will reply here shortly.";
  std::string handover_text = "I'm passing you to a member of our team; they will reply here shortly.";
  std::string assistant_name = "Assistant";
  double min_confidence = 0.7;
  retry_policy retry;
  // A customer asking for a person (whole words or phrases, ASCII case-insensitive).
  std::vector<std::string> human_words{"human",          "a person",        "real person",     "agent",
                                       "representative", "operator",        "speak to someone", "talk to someone",
                                       "una persona",    "un agente",       "un humano",       "une personne",
                                       "un humain",      "un conseiller",   "einen menschen",  "mitarbeiter",
                                       "uma pessoa",     "um atendente",    "um humano"};
  // Such a message's job gets priority 1.
  std::vector<std::string> urgent_words{"urgent", "asap", "emergency", "immediately", "urgente",
                                        "urgence", "dringend", "sofort", "emergencia"};
  std::string knowledge_file;  // builtin: JSON entries loaded at start
  // openai
  std::string url;
  std::string model = "gpt-4o-mini";
  std::string api_key;  // RINGCAST_AI_API_KEY
  std::size_t max_queue = 100'000;  // jobs waiting; past it a job gets the fallback at its deadline
  std::chrono::hours keep_finished{24 * 7};  // finished jobs older than this are deleted
};

}  // namespace ringcast::broker::ai
