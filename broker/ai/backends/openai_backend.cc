#include "broker/ai/backends/openai_backend.h"

#include <exception>
#include <utility>

#include "broker/ai/backends/openai_reply.h"

namespace ringcast::ai {

openai_backend::openai_backend(openai_config c)
    : prompt_{std::move(c.model), c.max_history, c.temperature},
      knowledge_(std::move(c.knowledge)),
      poster_(std::move(c.url), c.api_key, c.max_response_bytes) {}

outcome openai_backend::generate(const request& r) {
  // The worker threads expect an outcome, never an exception: whatever throws here (the broker's
  // lookup, an allocation) is a failure that a later attempt may not meet.
  try {
    std::vector<openai::knowledge_entry> entries;
    if (knowledge_) entries = knowledge_(r.content);
    const std::string body = openai::build_request_body(prompt_, r, entries);
    openai::http_result result = poster_.post(body, r.deadline);
    if (auto* f = std::get_if<failure>(&result)) return std::move(*f);
    const auto& response = std::get<openai::http_response>(result);
    return openai::outcome_of_http(response.status, response.body);
  } catch (const std::exception& e) {
    return failure{std::string("openai backend: ") + e.what(), true};
  }
}

}  // namespace ringcast::ai
