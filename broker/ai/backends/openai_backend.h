#pragma once
// The `openai` backend: any OpenAI-compatible chat-completions endpoint, asked for a JSON answer
// with the recent conversation and the best knowledge-base entries in the prompt. One object serves
// every AI worker thread; each thread keeps its own connection (openai_http.h).
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "broker/ai/backends/backend.h"
#include "broker/ai/backends/openai_http.h"
#include "broker/ai/backends/openai_prompt.h"

namespace ringcast::ai {

// The knowledge-base entries that best match a customer's message, best first. Called on the
// worker threads, concurrently: the broker supplies a thread-safe function.
using openai_knowledge_lookup = std::function<std::vector<openai::knowledge_entry>(const std::string& content)>;

struct openai_config {
  std::string url;      // the full chat-completions URL, e.g. https://host/v1/chat/completions
  std::string model;    // --ai-model
  std::string api_key;  // RINGCAST_AI_API_KEY; empty: no Authorization header
  std::size_t max_history = 10;
  openai_knowledge_lookup knowledge;  // may be empty: no entries in the prompt
  std::size_t max_response_bytes = 1 << 20;
  double temperature = 0.2;
};

class openai_backend final : public backend {
 public:
  explicit openai_backend(openai_config c);

  // Never throws; returns by r.deadline (see openai::json_poster::post).
  outcome generate(const request& r) override;
  const char* name() const noexcept override { return "openai"; }

 private:
  openai::prompt_settings prompt_;
  openai_knowledge_lookup knowledge_;
  openai::json_poster poster_;
};

}  // namespace ringcast::ai
