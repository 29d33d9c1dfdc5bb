#pragma once
// What a chat-completions endpoint answered, turned into an outcome. Sans-I/O: the status and the
// body in, an answer or a failure out.
//
// The model is asked for {"answer", "confidence", "intent", "escalate"} in choices[0].message.content
// (see openai_prompt.h). Anything else is a retryable failure: a model sometimes breaks the format,
// and the next attempt usually does not.
#include <cstddef>
#include <string>
#include <string_view>

#include "broker/ai/backends/backend.h"

namespace ringcast::ai::openai {

// The answer object in a message's content: whitespace and a ```json fence around it are tolerated.
// answer: string (required; may be empty only with escalate), confidence: number (required, clamped
// to [0, 1]), intent: string (default "unknown"), escalate: boolean (default false). language is
// left empty: the broker decides it.
outcome parse_answer(std::string_view content);

// The whole 2xx response body: choices[0].message.content parsed by parse_answer.
outcome parse_response(std::string_view body);

// Whether a failed HTTP status is worth another attempt: 5xx, 408, 409, 425 and 429 are (the
// endpoint is busy or broken for now); other statuses mean the request or the configuration is
// wrong (400 bad request, 401/403 key, 404 URL or model), which a retry does not change.
bool status_retryable(long status) noexcept;

// The outcome of an HTTP exchange: parse_response for 2xx, otherwise a failure naming the status
// with the start of the body (endpoints explain errors there).
outcome outcome_of_http(long status, std::string_view body);

// At most `limit` bytes of `text` on one line (control characters as spaces), "..." when cut: for
// reasons that go to a log line.
std::string excerpt(std::string_view text, std::size_t limit = 200);

}  // namespace ringcast::ai::openai
