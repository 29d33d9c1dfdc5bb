#pragma once
// Helpers shared by the openai backend tests: a chat-completions body, and the two sides of an
// outcome checked with GoogleTest.
#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <string>
#include <variant>

#include "broker/ai/backends/backend.h"

namespace ringcast::ai::openai::test {

// A 200 chat-completions body whose first choice's message says `content`.
inline std::string completion_body(const std::string& content) {
  boost::json::object message{{"role", "assistant"}, {"content", content}};
  boost::json::object choice{{"index", 0}, {"message", std::move(message)}, {"finish_reason", "stop"}};
  return boost::json::serialize(boost::json::object{
      {"id", "chatcmpl-test"}, {"object", "chat.completion"}, {"choices", boost::json::array{std::move(choice)}}});
}

// The answer of `o`; records a test failure when it is a failure.
inline answer as_answer(const outcome& o) {
  if (const answer* a = std::get_if<answer>(&o)) return *a;
  ADD_FAILURE() << "expected an answer, got the failure " << std::get<failure>(o).reason;
  return {};
}

// The failure of `o`; records a test failure when it is an answer.
inline failure as_failure(const outcome& o) {
  if (const failure* f = std::get_if<failure>(&o)) return *f;
  ADD_FAILURE() << "expected a failure, got the answer " << std::get<answer>(o).text;
  return {};
}

}  // namespace ringcast::ai::openai::test
