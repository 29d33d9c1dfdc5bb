// Turning an endpoint's reply into an outcome: the answer object in the message content (fenced or
// not), its field checks, the response envelope, and which HTTP statuses are worth a retry.
#include <gtest/gtest.h>

#include <string>

#include "broker/ai/backends/openai_reply.h"
#include "tests/ai/openai_test_support.h"

namespace ringcast::ai::openai {
namespace {

using test::as_answer;
using test::as_failure;

TEST(openai_reply, parses_a_complete_answer) {
  answer a = as_answer(parse_answer(
      R"({"answer": "Your parcel left on Monday.", "confidence": 0.82, "intent": "shipping", "escalate": false})"));
  EXPECT_EQ(a.text, "Your parcel left on Monday.");
  EXPECT_DOUBLE_EQ(a.confidence, 0.82);
  EXPECT_EQ(a.intent, "shipping");
  EXPECT_FALSE(a.escalate);
  EXPECT_EQ(a.language, "");  // the broker decides it
}

TEST(openai_reply, tolerates_whitespace_and_a_code_fence) {
  const char* variants[] = {
      "  \n{\"answer\": \"ok\", \"confidence\": 1}\n ",
      "```json\n{\"answer\": \"ok\", \"confidence\": 1}\n```",
      "```\n{\"answer\": \"ok\", \"confidence\": 1}\n```\n",
      "\n```JSON\r\n{\"answer\": \"ok\", \"confidence\": 1}```",
  };
  for (const char* v : variants) {
    answer a = as_answer(parse_answer(v));
    EXPECT_EQ(a.text, "ok") << v;
  }
}

TEST(openai_reply, defaults_intent_and_escalate) {
  answer a = as_answer(parse_answer(R"({"answer": "ok", "confidence": 0.5})"));
  EXPECT_EQ(a.intent, "unknown");
  EXPECT_FALSE(a.escalate);
  answer b = as_answer(parse_answer(R"({"answer": "ok", "confidence": 0.5, "intent": null, "escalate": null})"));
  EXPECT_EQ(b.intent, "unknown");
  EXPECT_FALSE(b.escalate);
  EXPECT_EQ(as_answer(parse_answer(R"({"answer": "ok", "confidence": 1, "intent": " Billing "})")).intent, "billing");
  EXPECT_EQ(as_answer(parse_answer(R"({"answer": "ok", "confidence": 1, "intent": ""})")).intent, "unknown");
}

TEST(openai_reply, clamps_confidence_into_zero_to_one) {
  EXPECT_DOUBLE_EQ(as_answer(parse_answer(R"({"answer": "a", "confidence": 1.7})")).confidence, 1.0);
  EXPECT_DOUBLE_EQ(as_answer(parse_answer(R"({"answer": "a", "confidence": -0.2})")).confidence, 0.0);
  EXPECT_DOUBLE_EQ(as_answer(parse_answer(R"({"answer": "a", "confidence": 1})")).confidence, 1.0);
  EXPECT_DOUBLE_EQ(as_answer(parse_answer(R"({"answer": "a", "confidence": 0})")).confidence, 0.0);
  EXPECT_DOUBLE_EQ(as_answer(parse_answer(R"({"answer": "a", "confidence": 1e400})")).confidence, 1.0);
}

TEST(openai_reply, an_empty_answer_is_only_a_hand_over) {
  answer a = as_answer(parse_answer(R"({"answer": "", "confidence": 0.1, "escalate": true})"));
  EXPECT_TRUE(a.escalate);
  EXPECT_EQ(a.text, "");
  EXPECT_TRUE(as_failure(parse_answer(R"({"answer": "  ", "confidence": 0.9})")).retryable);
}

TEST(openai_reply, rejects_malformed_answers_as_retryable) {
  const char* bad[] = {
      "",
      "Sure! Here is your answer.",
      "{\"answer\": \"cut off",
      "[\"answer\", 1]",
      "\"just a string\"",
      R"({"confidence": 0.9})",                                    // no answer
      R"({"answer": "ok"})",                                       // no confidence
      R"({"answer": 42, "confidence": 0.9})",                      // answer not a string
      R"({"answer": "ok", "confidence": "0.9"})",                  // confidence as text
      R"({"answer": "ok", "confidence": null})",
      R"({"answer": "ok", "confidence": true})",
      R"({"answer": "ok", "confidence": 0.9, "intent": 3})",       // intent not a string
      R"({"answer": "ok", "confidence": 0.9, "escalate": "yes"})",  // escalate not a boolean
      R"({"answer": "ok", "confidence": 0.9, "escalate": 1})",
      "```json\n```",
  };
  for (const char* b : bad) {
    failure f = as_failure(parse_answer(b));
    EXPECT_TRUE(f.retryable) << b;
    EXPECT_EQ(f.reason.rfind("malformed answer: ", 0), 0u) << f.reason;
  }
}

TEST(openai_reply, reads_the_first_choice_of_a_response) {
  answer a = as_answer(parse_response(
      test::completion_body(R"({"answer": "Hola, ¿en qué puedo ayudarte?", "confidence": 0.7, "intent": "greeting"})")));
  EXPECT_EQ(a.text, "Hola, ¿en qué puedo ayudarte?");
  EXPECT_EQ(a.intent, "greeting");
}

TEST(openai_reply, rejects_malformed_responses_as_retryable) {
  const char* bad[] = {
      "",
      "<html>Bad gateway</html>",
      "{}",
      R"({"choices": []})",
      R"({"choices": {}})",
      R"({"choices": [1]})",
      R"({"choices": [{"finish_reason": "stop"}]})",
      R"({"choices": [{"message": {"role": "assistant"}}]})",
      R"({"choices": [{"message": {"role": "assistant", "content": null}}]})",
      R"({"choices": [{"message": {"role": "assistant", "content": {"answer": "ok"}}}]})",
  };
  for (const char* b : bad) EXPECT_TRUE(as_failure(parse_response(b)).retryable) << b;
  failure refused = as_failure(
      parse_response(R"({"choices": [{"message": {"role": "assistant", "content": null, "refusal": "I can't"}}]})"));
  EXPECT_EQ(refused.reason, "the model refused: I can't");
}

TEST(openai_reply, classifies_statuses) {
  for (long s : {500L, 502L, 503L, 504L, 429L, 408L, 409L}) EXPECT_TRUE(status_retryable(s)) << s;
  for (long s : {400L, 401L, 403L, 404L, 413L, 422L, 301L}) EXPECT_FALSE(status_retryable(s)) << s;
}

TEST(openai_reply, failed_statuses_name_the_status_and_the_start_of_the_body) {
  failure f = as_failure(outcome_of_http(401, "{\"error\": {\"message\": \"Incorrect API key\"}}\n"));
  EXPECT_FALSE(f.retryable);
  EXPECT_EQ(f.reason, "HTTP 401: {\"error\": {\"message\": \"Incorrect API key\"}}");
  failure g = as_failure(outcome_of_http(503, std::string(5000, 'x')));
  EXPECT_TRUE(g.retryable);
  EXPECT_EQ(g.reason, "HTTP 503: " + std::string(200, 'x') + "...");
  EXPECT_EQ(as_answer(outcome_of_http(200, test::completion_body(R"({"answer": "a", "confidence": 1})"))).text, "a");
}

TEST(openai_reply, excerpts_stay_on_one_line) {
  EXPECT_EQ(excerpt("a\nb\tc", 10), "a b c");
  EXPECT_EQ(excerpt("abcdef", 3), "abc...");
}

}  // namespace
}  // namespace ringcast::ai::openai
